import ArgumentParser
import Config
import Mapping

struct Registers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the register table to import into a PLC/SCADA tag list.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, csv, kepware }

    @Option(help: "The mapping file (YAML).")
    var mapping: String

    @Option(help: "markdown, csv, or kepware (a KEPServerEX tag import CSV).")
    var format: Format = .markdown

    @Option(help: "Only this unit id (kepware: one KEPServerEX device per unit id).")
    var unit: UInt8?

    func validate() throws {
        if format != .kepware, unit != nil { throw ValidationError("--unit applies to --format kepware") }
    }

    func run() throws {
        let m = try loadMapping(mapping)
        switch format {
        case .csv: print(RegisterTable.csv(m), terminator: "")
        case .markdown: print(RegisterTable.markdown(m), terminator: "")
        case .kepware: print(KepwareTags.csv(m, unitID: unit), terminator: "")
        }
    }
}
