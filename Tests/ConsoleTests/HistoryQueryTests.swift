import ArchiveStore
import Config
import Foundation
import Mapping
import TEMProtocol
import Testing

@testable import Console

/// `/api/history`'s parameters decided without I/O, and the store read back through the
/// console's read-only reader.
@Suite struct HistoryQueryTests {
    static func mapping(store: String? = "/tmp/none.sqlite", kinds: String = "[hourly, daily, monthly]") throws -> Mapping {
        try MappingParser.parse(
            yaml: """
                lines:
                  - { name: l, endpoint: "tcp://127.0.0.1:4001" }
                meters:
                  - { name: boiler, address: 1, registers: [ { address: 0, value: temperature.1 } ] }
                  - { name: flat 2, address: 2, unit_id: 2, registers: [ { address: 0, value: temperature.1 } ] }
                \(store.map { "archive_store:\n  path: \($0)\n  kinds: \(kinds)" } ?? "")

                """, file: "map.yaml")
    }

    static func query(_ pairs: [(String, String)], mapping: Mapping? = nil) throws -> Result<HistoryQuery, HistoryRefusal> {
        let mapping = try mapping ?? Self.mapping()
        do throws(HistoryRefusal) {
            return .success(try HistoryQuery(parameters: pairs.map { (key: $0.0, value: $0.1) }, mapping: mapping))
        } catch {
            return .failure(error)
        }
    }

    @Test func everyParameter() throws {
        let q = try Self.query([
            ("meter", "flat 2"), ("kind", "daily"), ("from", "2024-01-10"), ("to", "2024-01-20"), ("format", "json"),
        ]).get()
        #expect(q.meter == "flat 2" && q.kind == .daily && q.format == .json && q.last == nil)
        #expect(try Self.query([("kind", "hourly"), ("last", "169")]).get().last == 169)
        // As `history --from 2024-01-10 --to 2024-01-20`: the first second to the last of the days.
        #expect(q.from == 1_704_844_800 && q.to == 1_705_795_199)
        #expect(q.contentType == "application/json")
    }

    @Test func emptyValuesAreNoValues() throws {
        let q = try Self.query([("meter", ""), ("kind", "hourly"), ("from", ""), ("to", "2024-01-20T10:00"), ("format", "")])
            .get()
        #expect(q.meter == nil && q.from == nil && q.to == 1_705_744_800 && q.format == .csv)
        #expect(q.contentType == "text/csv; charset=utf-8")
    }

    @Test func badParametersAre400WithOneLine() throws {
        let cases: [([(String, String)], String)] = [
            ([("kind", "weekly")], "kind 'weekly': not hourly, daily or monthly"),
            ([], "kind: missing: hourly, daily or monthly"),
            ([("kind", "daily"), ("meter", "nobody")], "meter 'nobody': no such meter in the mapping"),
            ([("kind", "daily"), ("from", "yesterday")], "from 'yesterday': write YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
            ([("kind", "daily"), ("to", "2024-02-30")], "to '2024-02-30': not a real date"),
            ([("kind", "daily"), ("format", "table")], "format 'table': not csv or json"),
            ([("kind", "daily"), ("limit", "3")], "unknown parameter 'limit': use meter, kind, from, to, format, last"),
            ([("kind", "daily"), ("last", "0")], "last '0': not a whole number above 0"),
            ([("kind", "daily"), ("kind", "hourly")], "parameter 'kind' given twice"),
        ]
        for (pairs, message) in cases {
            let refusal = HistoryRefusal(status: 400, message: message)
            #expect(try Self.query(pairs) == .failure(refusal), "\(pairs)")
        }
        #expect(HistoryRefusal.badRequest(#"meter "x""#).json == #"{"error":"meter \"x\""}"# + "\n")
    }

    @Test func noStoreIs404() throws {
        let result = try Self.query([("kind", "weekly")], mapping: Self.mapping(store: nil))
        guard case let .failure(refusal) = result else {
            Issue.record("answered without a store")
            return
        }
        #expect(refusal.status == 404)
        #expect(!refusal.json.dropLast().contains("\n"))
    }

    @Test func gapCountsAndHistoryFromARealStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("console-history-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/archive.sqlite"
        let writer = try ArchiveStore(path: path)
        var batch = ArchiveStore.Batch(serialNumber: 123, meter: "boiler")
        batch.gaps = [
            ArchiveGap(kind: .hourly, first: 1_704_844_800, last: 1_704_862_800, count: 6),
            ArchiveGap(kind: .hourly, first: 1_705_000_000, last: 1_705_003_600, count: 2),
            ArchiveGap(kind: .monthly, first: 1_704_067_200, last: 1_704_067_200, count: 1),
        ]
        try writer.save(batch)

        let reader = ArchiveStoreReader()
        let mapping = try Self.mapping(store: path, kinds: "[hourly, daily]")
        #expect(reader.gapCounts(mapping) == ["boiler": ["hourly": 8, "daily": 0], "flat 2": ["hourly": 0, "daily": 0]])
        #expect(reader.gapCounts(try Self.mapping(store: nil)) == nil)

        let answer = reader.history(parameters: [(key: "kind", value: "daily")], mapping: mapping)
        #expect(answer.status == 200 && answer.type == "text/csv; charset=utf-8")
        #expect(answer.body == ArchiveRecordText(format: .csv, identified: true).header + "\n")
        let json = reader.history(parameters: [(key: "kind", value: "daily"), (key: "format", value: "json")], mapping: mapping)
        #expect(json.status == 200 && json.body == "[\n]\n")
        let missing = reader.history(
            parameters: [(key: "kind", value: "daily")], mapping: try Self.mapping(store: directory + "/nothing.sqlite"))
        #expect(missing.status == 503 && missing.body.hasPrefix(#"{"error":"archive_store path '"#), "\(missing)")
    }
}
