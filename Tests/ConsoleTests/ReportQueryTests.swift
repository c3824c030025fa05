import ArchiveStore
import Config
import Foundation
import Testing

@testable import Console

/// `/api/report`'s parameters decided without I/O, as `report`'s options.
@Suite struct ReportQueryTests {
    static func query(_ pairs: [(String, String)], store: Bool = true) throws -> Result<ReportQuery, HistoryRefusal> {
        let mapping = try HistoryQueryTests.mapping(store: store ? "/tmp/none.sqlite" : nil)
        do throws(HistoryRefusal) {
            return .success(try ReportQuery(parameters: pairs.map { (key: $0.0, value: $0.1) }, mapping: mapping))
        } catch {
            return .failure(error)
        }
    }

    @Test func defaultsAndEveryParameter() throws {
        let q = try Self.query([("meter", "boiler"), ("from", "2024-01-01"), ("to", "2024-01-31")]).get().request
        #expect(
            q == StatementRequest(meter: "boiler", kind: .daily, from: 1_704_067_200, to: 1_706_745_599, format: .csv, unit: .mwh)
        )
        #expect(q.contentType == "text/csv; charset=utf-8")
        let all = try Self.query([
            ("meter", "flat 2"), ("from", "2024-01-01"), ("to", "2024-01-02"), ("kind", "hourly"), ("format", "pdf"),
            ("unit", "gcal"),
        ]).get().request
        #expect(all.kind == .hourly && all.format == .pdf && all.unit == .gcal && all.meter == "flat 2")
        #expect(all.contentType == "application/pdf")
    }

    @Test func badParametersAre400WithOneLine() throws {
        let base = [("meter", "boiler"), ("from", "2024-01-01"), ("to", "2024-01-31")]
        let cases: [([(String, String)], String)] = [
            ([("from", "2024-01-01"), ("to", "2024-01-31")], "meter: missing: the meter's name"),
            (
                [("meter", "nobody"), ("from", "2024-01-01"), ("to", "2024-01-31")],
                "meter 'nobody': no such meter in the mapping"
            ),
            ([("meter", "boiler"), ("to", "2024-01-31")], "from: missing: YYYY-MM-DD"),
            ([("meter", "boiler"), ("from", "2024-02-30"), ("to", "2024-03-01")], "from '2024-02-30': not a real date"),
            ([("meter", "boiler"), ("from", "2024-02-03"), ("to", "2024-02-01")], "from is after to"),
            (base + [("kind", "weekly")], "kind 'weekly': not hourly, daily or monthly"),
            (base + [("format", "xlsx")], "format 'xlsx': not csv, html or pdf"),
            (base + [("unit", "kcal")], "unit 'kcal': not mwh or gcal"),
            (base + [("sort", "x")], "unknown parameter 'sort': use meter, from, to, kind, format, unit"),
            (base + [("meter", "boiler")], "parameter 'meter' given twice"),
        ]
        for (pairs, message) in cases {
            #expect(try Self.query(pairs) == .failure(.badRequest(message)), "\(pairs)")
        }
        guard case let .failure(refusal) = try Self.query(base, store: false) else {
            Issue.record("a statement without a store")
            return
        }
        #expect(refusal.status == 404)
    }
}
