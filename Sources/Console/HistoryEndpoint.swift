import ArchiveStore
import Config
import Dispatch
import JSONOutput
import Synchronization
import TEMProtocol

/// What a `/api/history?meter=&kind=&from=&to=&format=csv|json&last=N` request asks for, decided
/// from its parameters and the running mapping alone (no I/O): the records `tembridge history
/// --mapping FILE --meter M --kind K --from D --to D --format F` would print, or why not; with
/// `last`, only the newest N of them (the status page's charts ask for the last week's hours).
struct HistoryQuery: Equatable {
    var meter: String?
    var kind: ArchiveKind
    /// Unix seconds (meter local time read as UTC), as `history --from` / `--to` take them.
    var from: Int?
    var to: Int?
    var format: ArchiveRecordText.Format
    var last: Int?

    static let parameterNames = ["meter", "kind", "from", "to", "format", "last"]

    /// `parameters` as the query string gives them, values percent-decoded. An empty value is
    /// no value (`meter=`: every meter; `format=`: csv).
    init(parameters: [(key: String, value: String)], mapping: Mapping) throws(HistoryRefusal) {
        guard mapping.archiveStore != nil else {
            throw HistoryRefusal(status: 404, message: "no archive_store section in the mapping: no history is kept")
        }
        let given = try HistoryRefusal.given(parameters, names: Self.parameterNames)
        guard let kindText = given["kind"] else { throw HistoryRefusal.badRequest("kind: missing: hourly, daily or monthly") }
        guard let kind = ArchiveKind(rawValue: kindText) else {
            throw HistoryRefusal.badRequest("kind '\(kindText)': not hourly, daily or monthly")
        }
        self.kind = kind
        meter = given["meter"]
        if let meter, !mapping.meters.contains(where: { $0.name == meter }) {
            throw HistoryRefusal.badRequest("meter '\(meter)': no such meter in the mapping")
        }
        func date(_ key: String, _ bound: (ArchiveDate) -> Int) throws(HistoryRefusal) -> Int? {
            guard let text = given[key] else { return nil }
            do {
                return bound(try ArchiveDate(parsing: text))
            } catch {
                throw HistoryRefusal.badRequest("\(key) '\(text)': \(error.reason)")
            }
        }
        from = try date("from") { $0.start }
        to = try date("to") { $0.end }
        let formatText = given["format"] ?? "csv"
        guard let format = ArchiveRecordText.Format(rawValue: formatText), format != .table else {
            throw HistoryRefusal.badRequest("format '\(formatText)': not csv or json")
        }
        self.format = format
        if let text = given["last"] {
            guard let n = Int(text), n > 0 else { throw HistoryRefusal.badRequest("last '\(text)': not a whole number above 0") }
            last = n
        }
    }

    /// The records' text, byte for byte as `history` prints it.
    func text(from store: ArchiveStore) throws(HistoryRefusal) -> String {
        let records: [StoredRecord]
        do {
            let selected = try store.records(meter: meter, kind: kind, from: from, to: to)
            records = last.map { Array(selected.suffix($0)) } ?? selected
        } catch {
            throw HistoryRefusal(status: 503, message: "archive store \(store.path): \(error.message)")
        }
        do {
            return try ArchiveRecordText(format: format, identified: true).document(records)
        } catch {
            throw HistoryRefusal(status: 500, message: "cannot write the records as \(format.rawValue): \(error)")
        }
    }

    /// The content type of the answer.
    var contentType: String { format == .json ? "application/json" : "text/csv; charset=utf-8" }
}

/// Why `/api/history` gives no records: an HTTP status and one line, served as
/// `{"error":"…"}`.
struct HistoryRefusal: Error, Equatable {
    let status: Int
    let message: String

    static func badRequest(_ message: String) -> Self { Self(status: 400, message: message) }

    /// The query's parameters by name, each of `names` at most once; an empty value is no value.
    static func given(_ parameters: [(key: String, value: String)], names: [String]) throws(HistoryRefusal) -> [String: String] {
        var given: [String: String] = [:]
        for (key, value) in parameters {
            guard names.contains(key) else {
                throw badRequest("unknown parameter '\(key)': use \(names.joined(separator: ", "))")
            }
            guard given[key] == nil else { throw badRequest("parameter '\(key)' given twice") }
            if !value.isEmpty { given[key] = value }
        }
        return given
    }

    /// The body: one line of JSON.
    var json: String { "{\"error\":" + JSONText.string(message) + "}\n" }
}

/// The running mapping's archive store, opened read-only on first use and again when the
/// mapping names another file (the bridge's keeper writes it; WAL lets both work at once).
final class ArchiveStoreReader: Sendable {
    private let opened = Mutex<ArchiveStore?>(nil)

    init() {}

    func store(_ config: ArchiveStoreConfig) throws(HistoryRefusal) -> ArchiveStore {
        if let store = opened.withLock({ $0 }), store.path == config.path { return store }
        do {
            let store = try ArchiveStore(path: config.path, readOnly: true)
            opened.withLock { $0 = store }
            return store
        } catch {
            throw HistoryRefusal(status: 503, message: "archive_store path '\(config.path)': \(error.message)")
        }
    }

    /// `/api/history` for `parameters`: the status, content type and body.
    func history(parameters: [(key: String, value: String)], mapping: Mapping) -> (status: Int, type: String, body: String) {
        do throws(HistoryRefusal) {
            let query = try HistoryQuery(parameters: parameters, mapping: mapping)
            // The query checked that there is an archive_store section.
            let text = try query.text(from: try store(mapping.archiveStore!))
            return (200, query.contentType, text)
        } catch {
            return (error.status, "application/json", error.json)
        }
    }

    /// The records the status page's charts draw, served with the page for its first
    /// `chartMeters` meters: `{"NAME":{"hourly":[…],"monthly":[…]}}`, each list the newest 169
    /// hourly and 13 monthly records as `/api/history?…&format=json&last=N` gives them (the kinds
    /// the store keeps); nil without a store or when it cannot be read.
    func chartRecords(_ mapping: Mapping) -> String? {
        guard let config = mapping.archiveStore, let store = try? store(config) else { return nil }
        let text = ArchiveRecordText(format: .json, identified: true)
        var meters: [String] = []
        for meter in mapping.meters.prefix(Self.chartMeters) {
            var kinds: [String] = []
            for (kind, last) in [(ArchiveKind.hourly, 169), (.monthly, 13)] where config.kinds.contains(kind) {
                guard let records = try? store.records(meter: meter.name, kind: kind),
                    let json = try? text.document(Array(records.suffix(last)))
                else { return nil }
                kinds.append(JSONText.string(kind.rawValue) + ":" + json)
            }
            meters.append(JSONText.string(meter.name) + ":{" + kinds.joined(separator: ",") + "}")
        }
        return "{" + meters.joined(separator: ",") + "}"
    }

    /// How many meters' chart records come with the page (the others' are fetched).
    static let chartMeters = 20

    /// Missing periods per meter and kind (the kinds the mapping keeps), from the store's gaps;
    /// nil without an archive_store section or when the store cannot be read.
    func gapCounts(_ mapping: Mapping) -> [String: [String: Int]]? {
        guard let config = mapping.archiveStore, let store = try? store(config) else { return nil }
        var counts: [String: [String: Int]] = [:]
        for meter in mapping.meters {
            counts[meter.name] = Dictionary(config.kinds.map { ($0.rawValue, 0) }, uniquingKeysWith: { first, _ in first })
        }
        for kind in config.kinds {
            guard let gaps = try? store.gaps(kind: kind) else { return nil }
            for gap in gaps where counts[gap.meter] != nil { counts[gap.meter]?[kind.rawValue, default: 0] += gap.gap.count }
        }
        return counts
    }
}

/// Runs `work` (blocking store reads) on a Dispatch thread, off Swift concurrency's few.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
