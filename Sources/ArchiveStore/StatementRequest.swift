import TEMProtocol

/// What `report` and the console's `/api/report` ask for: one meter's statement of `kind` over
/// the periods holding `from...to`, in a format and unit. `document` reads the store and renders
/// it, the same bytes for both.
public struct StatementRequest: Sendable, Equatable {
    public var meter: String
    public var kind: ArchiveKind
    /// Any second of the first and of the last period (Unix seconds, meter local time as UTC).
    public var from: Int
    public var to: Int
    public var format: StatementText.Format
    public var unit: StatementText.Unit

    public init(
        meter: String, kind: ArchiveKind, from: Int, to: Int, format: StatementText.Format, unit: StatementText.Unit
    ) {
        self.meter = meter
        self.kind = kind
        self.from = from
        self.to = to
        self.format = format
        self.unit = unit
    }

    /// The most rows a statement has (about 11 years of hours): a longer period is refused.
    public static let maximumPeriods = 100_000

    /// The content type of the document.
    public var contentType: String {
        switch format {
        case .csv: "text/csv; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        case .pdf: "application/pdf"
        }
    }

    /// The statement from `store`'s records: the period before the first (its reading starts
    /// the first row) to the end of the last.
    public func statement(_ store: ArchiveStore) throws(StoreError) -> (Statement, [StoredRecord]) {
        let first = Statement.periodStart(kind, from)
        let before = Statement.periodStart(kind, first - 1)
        let end = Statement.periods(kind, from: to, to: to).last!
        let next = Statement.periodStart(kind, end + Statement.longest(kind))
        let records = try store.records(meter: meter, kind: kind, from: before, to: next - 1)
        return (Statement(meter: meter, kind: kind, from: from, to: to, records: records), records)
    }

    /// The rendered document; one line saying why not (a store that cannot be read, no
    /// Chromium for a PDF).
    public func document(_ store: ArchiveStore) throws(StatementFailure) -> [UInt8] {
        let count = (to - from) / Statement.longest(kind)
        guard count < Self.maximumPeriods else {
            throw StatementFailure(
                message: "a \(kind.rawValue) statement of more than \(Self.maximumPeriods) rows: give a shorter period",
                unavailable: false)
        }
        let (statement, records): (Statement, [StoredRecord])
        do {
            (statement, records) = try self.statement(store)
        } catch {
            throw StatementFailure(message: "archive store \(store.path): \(error.message)", unavailable: true)
        }
        let text = StatementText(unit: unit)
        switch format {
        case .csv: return Array(text.csv(statement).utf8)
        case .html: return Array(text.html(statement, records: records).utf8)
        case .pdf:
            do {
                return try StatementPDF.print(text.html(statement, records: records))
            } catch {
                throw StatementFailure(message: error.message, unavailable: true)
            }
        }
    }
}

/// Why no statement: one line; `unavailable` when the request was right but the store or the
/// printer failed.
public struct StatementFailure: Error, CustomStringConvertible, Equatable {
    public let message: String
    public let unavailable: Bool
    public var description: String { message }
}
