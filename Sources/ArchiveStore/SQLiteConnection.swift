import CSQLite

/// A failed storage call: what was being done and the C library's own message.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What tembridge was doing: `open /var/lib/tembridge/archive.sqlite`, `insert records`.
    public let operation: String
    /// SQLite's or libpq's message.
    public let message: String

    public var description: String { "archive store: \(operation): \(message)" }
}

/// One open SQLite database (`sqlite3 *`): closed in `deinit`. Every return code goes
/// through `check`. Not Sendable: its owner keeps it behind a lock.
final class SQLiteConnection {
    fileprivate let handle: OpaquePointer
    let path: String

    /// Opens (creating if missing) the database at `path`, waits up to 5 s for another
    /// connection's lock, and checks that the file is a database.
    init(path: String, readOnly: Bool = false) throws(StoreError) {
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw StoreError(operation: "open \(path)", message: message)
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 5000)
        // A file that is not a database fails here, on the first read of its header.
        try execute("PRAGMA schema_version", operation: "open \(path)")
    }

    deinit { sqlite3_close_v2(handle) }

    /// The rowid of the last row inserted on this connection.
    var lastInsertID: Int { Int(sqlite3_last_insert_rowid(handle)) }

    /// Throws unless `rc` is one of `accepted`, with `operation` and SQLite's message.
    @discardableResult
    func check(_ rc: Int32, _ operation: String, accepted: Set<Int32> = [SQLITE_OK]) throws(StoreError) -> Int32 {
        guard accepted.contains(rc) else {
            throw StoreError(operation: operation, message: String(cString: sqlite3_errmsg(handle)))
        }
        return rc
    }

    /// Runs `sql` (one or more statements without parameters), discarding any rows.
    func execute(_ sql: String, operation: String) throws(StoreError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), operation)
    }

    func prepare(_ sql: String, operation: String) throws(StoreError) -> SQLiteStatement {
        try SQLiteStatement(sql, on: self, operation: operation)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    func transaction<T>(_ operation: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE", operation: operation)
        do {
            let result = try body()
            try execute("COMMIT", operation: operation)
            return result
        } catch {
            try? execute("ROLLBACK", operation: operation)
            throw error
        }
    }
}

/// One prepared statement (`sqlite3_stmt *`), finalized in `deinit`. Bind with `bind`, step
/// through rows with `step`, read columns with `int`/`double`/`text`/`blob`.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection
    private let operation: String

    /// Compiles `sql` on `connection`; throws with `operation` and SQLite's message.
    fileprivate init(_ sql: String, on connection: SQLiteConnection, operation: String) throws(StoreError) {
        var statement: OpaquePointer?
        try connection.check(sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil), operation)
        handle = statement!
        self.connection = connection
        self.operation = operation
    }

    deinit { sqlite3_finalize(handle) }

    /// A value a statement parameter takes.
    enum Value {
        case int(Int)
        case double(Double?)
        case text(String)
        case blob([UInt8])
    }

    /// Binds `values` to parameters 1..., after resetting the statement.
    func bind(_ values: [Value]) throws(StoreError) {
        try connection.check(sqlite3_reset(handle), operation)
        try connection.check(sqlite3_clear_bindings(handle), operation)
        for (i, value) in values.enumerated() {
            let n = Int32(i + 1)
            let rc: Int32
            switch value {
            case let .int(v): rc = sqlite3_bind_int64(handle, n, sqlite3_int64(v))
            case let .double(v?): rc = sqlite3_bind_double(handle, n, v)
            case .double(nil): rc = sqlite3_bind_null(handle, n)
            case let .text(v): rc = sqlite3_bind_text(handle, n, v, -1, sqliteTransient)
            case let .blob(v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob(handle, n, $0.baseAddress, Int32(v.count), sqliteTransient) }
            }
            try connection.check(rc, operation)
        }
    }

    /// Steps once: true when a row is ready, false when done.
    func step() throws(StoreError) -> Bool {
        try connection.check(sqlite3_step(handle), operation, accepted: [SQLITE_ROW, SQLITE_DONE]) == SQLITE_ROW
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [Value]) throws(StoreError) {
        try bind(values)
        while try step() {}
    }

    /// Rows changed by the last run.
    var changes: Int { Int(sqlite3_changes(sqlite3_db_handle(handle))) }

    func isNull(_ column: Int) -> Bool { sqlite3_column_type(handle, Int32(column)) == SQLITE_NULL }
    func int(_ column: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(column))) }
    func double(_ column: Int) -> Double? { isNull(column) ? nil : sqlite3_column_double(handle, Int32(column)) }
    func text(_ column: Int) -> String {
        sqlite3_column_text(handle, Int32(column)).map { String(cString: $0) } ?? ""
    }
    func blob(_ column: Int) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard count > 0, let base = sqlite3_column_blob(handle, Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
