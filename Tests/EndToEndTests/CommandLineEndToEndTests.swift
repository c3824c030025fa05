import Foundation
import Glibc
import Testing

/// The command line itself, through the real binary: usage errors are one line and exit 64,
/// `--log-level` filters the log, and JSON comes out with sorted keys and exact numbers.
@Suite struct CommandLineEndToEndTests {
    @Test(arguments: [
        (["read", "sim://", "--timeout", "5x"], "malformed duration '5x' (unknown unit 'x'"),
        (["read", "sim://", "--retries", "11"], "retries 11 is out of range 0...10"),
        (["identify", "sim://", "--address=-1"], "address -1 is out of range 0...255"),
        (["archive", "sim://", "--kind", "weekly"], "one of 'hourly', 'daily' or 'monthly'"),
        (["archive", "sim://", "--kind", "hourly", "--last", "0"], "--last must be at least 1"),
        (["archive", "sim://", "--kind", "hourly", "--from", "2024-02-30"], "not a real date"),
        (["archive", "sim://", "--kind", "hourly", "--to", "yesterday"], "write YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
        (["archive", "sim://"], "Missing expected argument '--kind <kind>'"),
        (["serve", "--mapping", "map.yaml", "--log-level", "loud"], "'trace', 'debug', 'info', 'warning' or 'error'"),
        (["demo", "--listen", "[::1]:1502"], "tembridge serves IPv4 only"),
        (["simulate", "--listen", "nowhere"], "malformed listen address 'nowhere'"),
        (["read", "sim://", "--no-such-option"], "Unknown option '--no-such-option'"),
    ])
    func aBadOptionIsOneLineAndExit64(arguments: [String], mentions: String) throws {
        let out = try tembridge(arguments)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(out.stdout.isEmpty)
        let lines = out.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(out.stderr)")
        #expect(lines.first?.hasPrefix("tembridge: ") == true, "\(out.stderr)")
        #expect(out.stderr.contains(mentions), "\(out.stderr)")
        #expect(out.seconds < 3, "took \(out.seconds)s")
    }

    @Test func helpGoesToStdoutAndExitsZero() throws {
        let out = try tembridge(["serve", "--help"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("--log-level <log-level>"), "\(out.stdout)")
        #expect(out.stderr.isEmpty)
    }

    /// The executable's own lines go through swift-log with the one-line format; `--log-level
    /// warning` leaves out its info lines.
    @Test func logLevelFiltersTheLog() throws {
        let info = try Background(["demo", "--listen", "127.0.0.1:0"])
        defer { info.stop() }
        try info.wait(for: "Ctrl-C stops")
        try info.wait(for: "serving Modbus TCP")
        #expect(info.stop() == 0)
        let line = try #require(info.stderr.split(separator: "\n").first { $0.contains("serving Modbus TCP") })
        #expect(
            line.wholeMatch(
                of:
                    #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info serving Modbus TCP on 127\.0\.0\.1:\d+: 2 meter\(s\) on 1 line\(s\) .*/#
            )
                != nil, "\(line)")
        #expect(info.stderr.contains("Z info stopping\n"), "\(info.stderr)")

        let quiet = try Background(["demo", "--listen", "127.0.0.1:0", "--log-level", "warning"])
        defer { quiet.stop() }
        try quiet.wait(for: "Ctrl-C stops")
        #expect(quiet.stop() == 0)
        #expect(!quiet.stderr.contains("serving Modbus TCP"), "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("stopping"), "\(quiet.stderr)")
    }

    /// `read --format json`: keys sorted; a value decoded from a float32 comes out as the full
    /// double it is, not rounded to the float's short text.
    @Test func readJSONHasSortedKeysAndExactNumbers() throws {
        let out = try tembridge(["read", "sim://?frozen=1&seed=5", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let keys = out.stdout.matches(of: #/"([^"]+)" :/#).map { String($0.1) }
        #expect(Array(keys.prefix(4)) == ["address", "comma_address", "identity", "values"])
        let names = Array(keys.dropFirst(4))
        #expect(names.count > 50 && names == names.sorted(), "\(names)")
        let reading = try JSONDecoder().decode(Reading.self, from: Data(out.stdout.utf8))
        #expect(reading.address == 1)
        let temperature = try #require(reading.values["temperature.1"] ?? nil)
        #expect(Double(Float(temperature)) == temperature && temperature != temperature.rounded())
    }

    /// The same archive records as CSV (Swift's shortest round-trip text) and as JSON
    /// (`JSONEncoder`) carry bit-identical numbers. Decoded with `JSONDecoder`: Linux
    /// Foundation's `JSONSerialization` reads some doubles off by an ulp or two
    /// (0.5471391081809998 comes back as 0.547139108181).
    @Test func archiveJSONAndCSVCarryTheSameDoubles() throws {
        let arguments = ["archive", "sim://?frozen=1&seed=12", "--kind", "hourly", "--last", "3"]
        let csv = try tembridge(arguments)
        let json = try tembridge(arguments + ["--format", "json"])
        #expect(csv.status == 0 && json.status == 0, "\(csv.stderr)\(json.stderr)")
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = rows[0].map(String.init)
        let records = try JSONDecoder().decode([Record].self, from: Data(json.stdout.utf8))
        try #require(records.count == 3 && rows.count == 4)
        var compared = 0
        for (row, record) in zip(rows.dropFirst(), records) {
            #expect(record.time == String(row[0]))
            #expect(record.period == String(row[1]))
            #expect(header.last == "flags" && row.last == "")  // no flag on these records
            #expect(record.values.count == header.count - 3)
            for (name, cell) in zip(header.dropFirst(2).dropLast(), row.dropFirst(2).dropLast()) {
                let number = record.values[name] ?? nil
                #expect(
                    number?.bitPattern == Double(cell)?.bitPattern, "\(name): json \(String(describing: number)), csv \(cell)")
                if let number, number != number.rounded() { compared += 1 }
            }
        }
        #expect(compared > 10, "too few fractional values compared: \(compared)")
    }

    struct Reading: Decodable {
        let address: Int
        let identity: String
        let values: [String: Double?]
    }

    struct Record: Decodable {
        let time: String
        let period: String
        let values: [String: Double?]
    }
}
