import ArgumentParser
import Config
import Mapping

struct Registers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the register table to import into a PLC/SCADA tag list.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, csv }

    @Option(help: "The mapping file (YAML).")
    var mapping: String

    @Option(help: "markdown or csv.")
    var format: Format = .markdown

    func run() throws {
        let m = try loadMapping(mapping)
        print(format == .csv ? RegisterTable.csv(m) : RegisterTable.markdown(m), terminator: "")
    }
}
