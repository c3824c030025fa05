import ArgumentParser
import Config
import Mapping

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a mapping file: exit 0, or exit 1 printing FILE:LINE:COL: message for every problem.")

    @Option(help: "The mapping file (YAML).")
    var mapping: String

    func run() throws {
        let m: Mapping
        do {
            m = try MappingParser.load(path: mapping)
        } catch {
            for problem in error.problems { print(problem.description) }
            throw ExitCode.failure
        }
        if let store = m.archiveStore, let problem = ArchiveStoreOpening.problem(store) {
            print(problem)
            throw ExitCode.failure
        }
        let registers = m.meters.reduce(0) { $0 + $1.registers.count * $1.unitIDs.count }
        let mqtt = m.mqtt.map { ", MQTT to \($0.broker)" } ?? ""
        print("\(mapping): ok (\(m.lines.count) line(s), \(m.meters.count) meter(s), \(registers) register entries\(mqtt))")
    }
}
