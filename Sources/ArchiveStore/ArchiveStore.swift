// The ArchiveStore module owns the archive records tembridge keeps: the SQLite file (the only
// code that touches SQLite's C API), forwarding to PostgreSQL (the only code that touches
// libpq), the backfill/follow walk as a value, the queries `history` and `report` read, and the
// statement of heat consumption made from them (Statement*.swift; the PDF by running Chromium).
// It must not import the Modbus server, the links or the mapping: it stores what it is given.

import CSQLite
import Glibc
import Platform
import Synchronization
import TEMProtocol

/// The local archive store: one SQLite file in WAL mode. Every record the meter wrote is kept
/// once, keyed by its own bytes (serial number, kind, raw): a record read again is not doubled,
/// and nothing is dropped for its stamps (damaged, or a period already stored); each batch (records, gaps, cursors) is one transaction, so a
/// crash at any moment leaves either all of a batch or none of it. See docs/ARCHIVE-STORE.md.
public final class ArchiveStore: Sendable {
    public let path: String
    private let connection: Mutex<SQLiteConnection>
    /// Whether the file has the `flags` column (a store made before it, opened read-only, has not).
    private let hasFlags: Bool
    /// Rung after each batch that stored something (the upstream forwarder waits on it).
    private let listeners = Mutex<[@Sendable () -> Void]>([])

    /// Opens the store at `path`, creating the file and the schema if missing.
    /// - Throws: `StoreError` naming the path: cannot create, not a database, locked.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        let db = try SQLiteConnection(path: path, readOnly: readOnly)
        if !readOnly {
            try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", operation: "open \(path)")
            try db.transaction("create the schema in \(path)") { () throws(StoreError) in
                try Self.migrate(db, path: path)
                try db.execute(Self.schema, operation: "create the schema in \(path)")
            }
            hasFlags = true
        } else {
            let tables = try db.prepare(
                "SELECT count(*) FROM sqlite_master WHERE name = 'records'", operation: "open \(path)")
            _ = try tables.step()
            if tables.int(0) == 0 {
                throw StoreError(operation: "open \(path)", message: "no archive records here (not a tembridge store)")
            }
            hasFlags = try Self.columns(of: "records", in: db).contains("flags")
        }
        connection = Mutex(db)
    }

    /// The `records` table: `period` is the period the record is filed under (its stamp, or its
    /// place in the ring when the stamp is damaged), `written` NULL when that stamp is not a date.
    static let recordsTable = """
        CREATE TABLE IF NOT EXISTS records (
            id INTEGER PRIMARY KEY,
            serial_number INTEGER NOT NULL,
            kind TEXT NOT NULL,
            period INTEGER NOT NULL,
            written INTEGER,
            meter TEXT NOT NULL,
            stored_at INTEGER NOT NULL,
            flags INTEGER NOT NULL DEFAULT 0,
            \(RecordColumns.sqlNames.map { "\($0) REAL" }.joined(separator: ",\n    "))
            ,raw BLOB NOT NULL,
            UNIQUE (serial_number, kind, raw)
        )
        """

    /// The local schema (created if missing).
    static let schema = """
        \(recordsTable);
        CREATE INDEX IF NOT EXISTS records_by_meter ON records (meter, kind, period);
        CREATE TABLE IF NOT EXISTS gaps (
            serial_number INTEGER NOT NULL,
            kind TEXT NOT NULL,
            first_missing INTEGER NOT NULL,
            last_missing INTEGER NOT NULL,
            missing INTEGER NOT NULL,
            meter TEXT NOT NULL,
            noticed_at INTEGER NOT NULL,
            PRIMARY KEY (serial_number, kind, first_missing)
        );
        CREATE TABLE IF NOT EXISTS cursors (
            serial_number INTEGER NOT NULL,
            kind TEXT NOT NULL,
            ring INTEGER NOT NULL,
            handled INTEGER NOT NULL,
            handled_stamp INTEGER,
            rewalk INTEGER NOT NULL,
            newest_period INTEGER,
            oldest_period INTEGER,
            backfill_next INTEGER NOT NULL,
            backfill_left INTEGER NOT NULL,
            backfill_total INTEGER NOT NULL,
            PRIMARY KEY (serial_number, kind)
        );
        CREATE TABLE IF NOT EXISTS upstream_progress (
            upstream TEXT PRIMARY KEY,
            last_id INTEGER NOT NULL
        );
        """

    // MARK: Writing

    /// What one poll found for one meter: stored in one transaction.
    public struct Batch: Sendable {
        public var serialNumber: UInt32
        public var meter: String
        public var records: [StoredRecord] = []
        public var gaps: [ArchiveGap] = []
        public var cursors: [ArchiveKind: ArchiveCursor] = [:]

        public init(serialNumber: UInt32, meter: String) {
            self.serialNumber = serialNumber
            self.meter = meter
        }
    }

    /// What a batch stored.
    public struct Saved: Sendable {
        /// The records that were new (a record read again is not), with their flags as stored.
        public var new: [StoredRecord] = []
        /// Records of an already stored period that were flagged `duplicate_period` by this batch
        /// (new ones, or one stored earlier when this batch brought an earlier-written twin).
        public var duplicates: [StoredRecord] = []
        public var inserted: Int { new.count }
    }

    /// Stores `batch` in one transaction; returns what was new and what was flagged.
    @discardableResult
    public func save(_ batch: Batch) throws(StoreError) -> Saved {
        let saved = try connection.withLock { db throws(StoreError) -> Saved in
            try db.transaction("store \(batch.records.count) record(s) of meter \(batch.meter)") { () throws(StoreError) in
                var saved = Saved()
                let insert = try db.prepare(Self.insertSQL, operation: "insert a record")
                let now = WallClock.seconds()
                for r in batch.records {
                    var values: [SQLiteStatement.Value] = [
                        .int(Int(r.serialNumber)), .text(r.kind.rawValue), .int(r.period),
                        r.written.map { .int($0) } ?? .double(nil),
                        .text(r.meter), .int(now), .int(r.flags.rawValue),
                    ]
                    values += RecordColumns.names.map { .double(r.record.values[$0]) }
                    values.append(.blob(r.raw))
                    try insert.run(values)
                    guard insert.changes > 0 else { continue }
                    var stored = r
                    let id = db.lastInsertID
                    if r.record.period != nil {
                        for twin in try Self.flagTwins(db, of: r, id: id) {
                            if twin.id == id { stored.flags = twin.record.flags }
                            if twin.record.flags.contains(.duplicatePeriod) { saved.duplicates.append(twin.record) }
                        }
                    }
                    saved.new.append(stored)
                }
                let gap = try db.prepare(
                    """
                    INSERT INTO gaps (serial_number, kind, first_missing, last_missing, missing, meter, noticed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """, operation: "record a gap")
                for g in batch.gaps {
                    try gap.run([
                        .int(Int(batch.serialNumber)), .text(g.kind.rawValue), .int(g.first), .int(g.last), .int(g.count),
                        .text(batch.meter), .int(now),
                    ])
                }
                let cursor = try db.prepare(
                    """
                    INSERT OR REPLACE INTO cursors (serial_number, kind, ring, handled, handled_stamp, rewalk,
                        newest_period, oldest_period, backfill_next, backfill_left, backfill_total)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, operation: "save the archive cursor")
                for (kind, c) in batch.cursors {
                    try cursor.run([
                        .int(Int(batch.serialNumber)), .text(kind.rawValue), .int(c.ring), .int(c.handled),
                        c.handledStamp.map { .int(Int($0)) } ?? .double(nil), .int(c.rewalk ? 1 : 0),
                        c.newestPeriod.map { .int($0) } ?? .double(nil), c.oldestPeriod.map { .int($0) } ?? .double(nil),
                        .int(c.backfillNext), .int(c.backfillLeft), .int(c.backfillTotal),
                    ])
                }
                return saved
            }
        }
        if saved.inserted > 0 { for listener in listeners.withLock({ $0 }) { listener() } }
        return saved
    }

    /// After record `id` (`r`, its period stamp a date) was inserted: every stored record of the
    /// same meter, kind and period stamp, flagged so that the first written (least `time.powered`,
    /// then the lowest id) has no `duplicate_period` and every other has it. A stored record
    /// whose flag changes gets a new id, so the forwarder sends it again (upstream updates its
    /// flags). Returns the twins with their flags as now stored (empty when `r` has none).
    private static func flagTwins(_ db: SQLiteConnection, of r: StoredRecord, id: Int) throws(StoreError) -> [Row] {
        let select = try db.prepare(
            "SELECT id, serial_number, kind, meter, raw, period, flags FROM records WHERE serial_number = ? AND kind = ? AND period = ?",
            operation: "look for records of one period")
        try select.bind([.int(Int(r.serialNumber)), .text(r.kind.rawValue), .int(r.period)])
        let twins = try rows(select).filter { $0.record.record.period != nil }
        guard twins.count > 1 else { return [] }
        let ordered = twins.sorted { ($0.record.powered, $0.id) < ($1.record.powered, $1.id) }
        var out: [Row] = []
        for (n, var twin) in ordered.enumerated() {
            var flags = twin.record.flags
            if n == 0 { flags.remove(.duplicatePeriod) } else { flags.insert(.duplicatePeriod) }
            if flags != twin.record.flags {
                let newID = twin.id == id ? "id" : "(SELECT max(id) FROM records) + 1"
                try db.prepare("UPDATE records SET flags = ?, id = \(newID) WHERE id = ?", operation: "flag a doubled period")
                    .run([.int(flags.rawValue), .int(twin.id)])
                twin.record.flags = flags
            }
            out.append(twin)
        }
        return out
    }

    static let insertSQL = """
        INSERT INTO records (serial_number, kind, period, written, meter, stored_at, flags, \
        \(RecordColumns.sqlNames.joined(separator: ", ")), raw)
        VALUES (\(Array(repeating: "?", count: 8 + RecordColumns.names.count).joined(separator: ", ")))
        ON CONFLICT DO NOTHING
        """

    /// Calls `listener` after every batch that stored a new record.
    public func onStored(_ listener: @escaping @Sendable () -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// The saved cursor of each kind of the meter with `serialNumber`.
    public func cursors(serialNumber: UInt32) throws(StoreError) -> [ArchiveKind: ArchiveCursor] {
        try connection.withLock { db throws(StoreError) in
            let s = try db.prepare(
                """
                SELECT kind, ring, handled, handled_stamp, rewalk, newest_period, oldest_period,
                    backfill_next, backfill_left, backfill_total FROM cursors WHERE serial_number = ?
                """, operation: "read the archive cursors")
            try s.bind([.int(Int(serialNumber))])
            var out: [ArchiveKind: ArchiveCursor] = [:]
            while try s.step() {
                guard let kind = ArchiveKind(rawValue: s.text(0)) else { continue }
                out[kind] = ArchiveCursor(
                    ring: s.int(1), handled: s.int(2), handledStamp: s.isNull(3) ? nil : UInt32(truncatingIfNeeded: s.int(3)),
                    rewalk: s.int(4) != 0, newestPeriod: s.isNull(5) ? nil : s.int(5),
                    oldestPeriod: s.isNull(6) ? nil : s.int(6), backfillNext: s.int(7), backfillLeft: s.int(8),
                    backfillTotal: s.int(9))
            }
            return out
        }
    }

    // MARK: Reading

    /// Records of `kind` (all meters, or only `meter`), by meter, serial number, period, then
    /// the order the meter wrote them (`time.powered`), with periods in `from...to` (Unix
    /// seconds, meter local time read as UTC). A damaged record is in the period it is filed under.
    public func records(meter: String? = nil, kind: ArchiveKind, from: Int? = nil, to: Int? = nil) throws(StoreError)
        -> [StoredRecord]
    {
        try select(.records(flags: hasFlags), kind: kind, meter: meter, from: from, to: to) { s throws(StoreError) in
            try Self.rows(s).map(\.record)
        }
    }

    /// A table read by period: its name and columns, and the columns holding the first and the
    /// last period a row covers (the same one for a record).
    private struct PeriodTable {
        let name: String
        let columns: String
        let first: String
        let last: String

        /// Rows in the same period, in this order (the records' write order).
        var then = ""

        static func records(flags: Bool) -> PeriodTable {
            PeriodTable(
                name: "records", columns: "id, serial_number, kind, meter, raw, period, \(flags ? "flags" : "0")",
                first: "period", last: "period", then: ", time_powered, id")
        }
        static let gaps = PeriodTable(
            name: "gaps", columns: "meter, serial_number, first_missing, last_missing, missing", first: "first_missing",
            last: "last_missing")
    }

    /// The rows of `table` for `kind` (all meters or only `meter`) that overlap `from...to`, by
    /// meter, serial number and period; `decode` steps through them.
    private func select<Result: Sendable>(
        _ table: PeriodTable, kind: ArchiveKind, meter: String?, from: Int?, to: Int?,
        decode: (SQLiteStatement) throws(StoreError) -> Result
    ) throws(StoreError) -> Result {
        try connection.withLock { db throws(StoreError) in
            var sql = "SELECT \(table.columns) FROM \(table.name) WHERE kind = ?"
            var values: [SQLiteStatement.Value] = [.text(kind.rawValue)]
            if let meter { sql += " AND meter = ?"; values.append(.text(meter)) }
            if let from { sql += " AND \(table.last) >= ?"; values.append(.int(from)) }
            if let to { sql += " AND \(table.first) <= ?"; values.append(.int(to)) }
            sql += " ORDER BY meter, serial_number, \(table.first)\(table.then)"
            let s = try db.prepare(sql, operation: "read \(table.name)")
            try s.bind(values)
            return try decode(s)
        }
    }

    /// A stored record with its place in the store's insertion order.
    public struct Row: Sendable {
        /// Insertion order: the order records are forwarded upstream.
        public var id: Int
        public var record: StoredRecord
    }

    /// Up to `limit` records stored after `id`, in insertion order.
    public func records(after id: Int, limit: Int) throws(StoreError) -> [Row] {
        try connection.withLock { db throws(StoreError) in
            let s = try db.prepare(
                "SELECT id, serial_number, kind, meter, raw, period, flags FROM records WHERE id > ? ORDER BY id LIMIT ?",
                operation: "read records to forward")
            try s.bind([.int(id), .int(limit)])
            return try Self.rows(s)
        }
    }

    /// Rows of `id, serial_number, kind, meter, raw, period, flags`.
    private static func rows(_ s: SQLiteStatement) throws(StoreError) -> [Row] {
        var out: [Row] = []
        while try s.step() {
            guard let kind = ArchiveKind(rawValue: s.text(2)) else { continue }
            let raw = s.blob(4)
            guard raw.count == ArchiveRecord.size,
                let record = try? StoredRecord(
                    serialNumber: UInt32(truncatingIfNeeded: s.int(1)), kind: kind, meter: s.text(3), raw: raw,
                    place: s.int(5), flags: StoredRecord.Flags(rawValue: s.int(6)))
            else { continue }
            out.append(Row(id: s.int(0), record: record))
        }
        return out
    }

    /// Records stored in all.
    public func count(kind: ArchiveKind? = nil) throws(StoreError) -> Int {
        try connection.withLock { db throws(StoreError) in
            let s = try db.prepare(
                kind == nil ? "SELECT count(*) FROM records" : "SELECT count(*) FROM records WHERE kind = ?",
                operation: "count records")
            try s.bind(kind.map { [.text($0.rawValue)] } ?? [])
            _ = try s.step()
            return s.int(0)
        }
    }

    /// A gap as stored: whose, and which periods.
    public struct StoredGap: Sendable, Hashable {
        public var meter: String
        public var serialNumber: UInt32
        public var gap: ArchiveGap
    }

    /// The gaps of `kind` (all meters or only `meter`) that overlap `from...to`.
    public func gaps(meter: String? = nil, kind: ArchiveKind, from: Int? = nil, to: Int? = nil) throws(StoreError)
        -> [StoredGap]
    {
        try select(.gaps, kind: kind, meter: meter, from: from, to: to) { s throws(StoreError) in
            var out: [StoredGap] = []
            while try s.step() {
                out.append(
                    StoredGap(
                        meter: s.text(0), serialNumber: UInt32(truncatingIfNeeded: s.int(1)),
                        gap: ArchiveGap(kind: kind, first: s.int(2), last: s.int(3), count: s.int(4))))
            }
            return out
        }
    }

    // MARK: Forwarding progress

    /// The id of the last record forwarded to `upstream` (0: none yet).
    public func forwarded(to upstream: String) throws(StoreError) -> Int {
        try connection.withLock { db throws(StoreError) in
            let s = try db.prepare(
                "SELECT last_id FROM upstream_progress WHERE upstream = ?", operation: "read the forwarding progress")
            try s.bind([.text(upstream)])
            return try s.step() ? s.int(0) : 0
        }
    }

    /// Saves that every record up to `id` has reached `upstream`.
    public func setForwarded(to upstream: String, id: Int) throws(StoreError) {
        try connection.withLock { db throws(StoreError) in
            try db.prepare(
                "INSERT OR REPLACE INTO upstream_progress (upstream, last_id) VALUES (?, ?)",
                operation: "save the forwarding progress"
            ).run([.text(upstream), .int(id)])
        }
    }
}

extension ArchiveStore {
    /// Why the store at `path` could not be opened, without creating anything; nil if it can.
    /// An existing file must be a readable database; a new one needs a writable directory.
    public static func problem(openingAt path: String) -> String? {
        if access(path, F_OK) == 0 {
            do {
                _ = try SQLiteConnection(path: path, readOnly: true)
                return access(path, W_OK) == 0 ? nil : "cannot write the file (permission denied)"
            } catch {
                return error.message
            }
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let dir = directory.isEmpty ? "/" : directory
        var info = stat()
        guard stat(dir, &info) == 0 else { return "cannot create it: directory \(dir) does not exist" }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "cannot create it: \(dir) is not a directory" }
        guard access(dir, W_OK) == 0 else { return "cannot create it: directory \(dir) is not writable" }
        return nil
    }
}
