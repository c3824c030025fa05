import Config
import Foundation
import Mapping
import TEMProtocol
import Testing

/// Big files check fast. Serialized: the two tests would otherwise compete for the CPU.
@Suite(.serialized) struct MappingSizeTests {
    /// `count` uint16 entries at addresses 0..<count, cycling through the catalog's names.
    static func hugeFile(count: Int, value: (Int) -> String, address: (Int) -> Int = { $0 }) -> String {
        var yaml = """
            lines: [{ name: sim, endpoint: "sim://" }]
            meters: [{ name: m, address: 1, registers: big }]
            register_sets:
              big:

            """
        for index in 0..<count {
            yaml += "    - { address: \(address(index)), value: \(value(index)), type: uint16, scale: 10 }\n"
        }
        return yaml
    }

    static func time(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return clock.now - start
    }

    /// Debug builds run Yams unoptimised (about 5× slower); release checks 10 000 registers in
    /// about 0.2 s.
    #if DEBUG
        static let limit: Duration = .seconds(3)
    #else
        static let limit: Duration = .seconds(1)
    #endif

    @Test func tenThousandRegistersCheckFast() throws {
        // The archive window is one block per list (each name once, with an archive store).
        let names = ValueCatalog.all.map(\.name).filter { !$0.hasPrefix("archive_window.") }
        let yaml = Self.hugeFile(count: 10_000) { names[$0 % names.count] }
        var mapping: Mapping?
        let elapsed = try Self.time { mapping = try MappingParser.parse(yaml: yaml, file: "test.yaml") }
        #expect(mapping?.meters.first?.registers.count == 10_000)
        #expect(elapsed < Self.limit, "\(elapsed)")
        let table = Self.time { _ = RegisterTable.csv(mapping!) }
        #expect(table < Self.limit, "\(table)")
    }

    /// Ten thousand problems are as quick: unknown names are looked up once, overlaps swept.
    @Test func tenThousandProblemsReportFast() {
        let yaml = Self.hugeFile(
            count: 10_000, value: { $0 % 2 == 0 ? "temprature.\($0 % 7 + 1)" : "flow.1" },
            address: { $0 / 2 })
        var problems: [String] = []
        let elapsed = Self.time { problems = MappingParserTests.problems(yaml) }
        #expect(problems.count == 10_000)
        #expect(problems.first == "test.yaml:5:28: unknown value 'temprature.1' (did you mean 'temperature.1'?)")
        #expect(problems[1] == "test.yaml:6:7: register 0 overlaps temprature.1 at 0 (unit 1)")
        #expect(elapsed < Self.limit, "\(elapsed)")
    }
}
