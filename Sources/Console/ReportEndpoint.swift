import ArchiveStore
import Config
import TEMProtocol

/// What a `/api/report?meter=&from=&to=&kind=&format=&unit=` request asks for, decided from its
/// parameters and the running mapping alone (no I/O): the statement `tembridge report --mapping
/// FILE --meter M --from D --to D --kind K --format F --unit U` would print, or why not. `meter`,
/// `from` and `to` are required; `kind` defaults to daily, `format` to csv, `unit` to mwh.
struct ReportQuery: Equatable {
    var request: StatementRequest

    static let parameterNames = ["meter", "from", "to", "kind", "format", "unit"]

    init(parameters: [(key: String, value: String)], mapping: Mapping) throws(HistoryRefusal) {
        guard mapping.archiveStore != nil else {
            throw HistoryRefusal(status: 404, message: "no archive_store section in the mapping: no statement can be made")
        }
        let given = try HistoryRefusal.given(parameters, names: Self.parameterNames)
        guard let meter = given["meter"] else { throw HistoryRefusal.badRequest("meter: missing: the meter's name") }
        guard mapping.meters.contains(where: { $0.name == meter }) else {
            throw HistoryRefusal.badRequest("meter '\(meter)': no such meter in the mapping")
        }
        func date(_ key: String) throws(HistoryRefusal) -> ArchiveDate {
            guard let text = given[key] else { throw HistoryRefusal.badRequest("\(key): missing: YYYY-MM-DD") }
            do {
                return try ArchiveDate(parsing: text)
            } catch {
                throw HistoryRefusal.badRequest("\(key) '\(text)': \(error.reason)")
            }
        }
        let from = try date("from"), to = try date("to")
        guard from.start <= to.end else { throw HistoryRefusal.badRequest("from is after to") }
        func choice<T: RawRepresentable>(_ key: String, _ fallback: T, _ words: String) throws(HistoryRefusal) -> T
        where T.RawValue == String {
            guard let text = given[key] else { return fallback }
            guard let value = T(rawValue: text) else { throw HistoryRefusal.badRequest("\(key) '\(text)': not \(words)") }
            return value
        }
        request = StatementRequest(
            meter: meter, kind: try choice("kind", ArchiveKind.daily, "hourly, daily or monthly"), from: from.start,
            to: to.end, format: try choice("format", StatementText.Format.csv, "csv, html or pdf"),
            unit: try choice("unit", StatementText.Unit.mwh, "mwh or gcal"))
    }
}

extension ArchiveStoreReader {
    /// `/api/report` for `parameters`: the status, content type and body.
    func report(parameters: [(key: String, value: String)], mapping: Mapping) -> (status: Int, type: String, body: [UInt8]) {
        do throws(HistoryRefusal) {
            let query = try ReportQuery(parameters: parameters, mapping: mapping)
            // The query checked that there is an archive_store section.
            let store = try store(mapping.archiveStore!)
            do {
                return (200, query.request.contentType, try query.request.document(store))
            } catch {
                throw HistoryRefusal(status: error.unavailable ? 503 : 400, message: error.message)
            }
        } catch {
            return (error.status, "application/json", Array(error.json.utf8))
        }
    }
}
