import CPostgres
import Glibc

/// One libpq connection (`PGconn *`), finished in `deinit`. Every result goes through `check`,
/// which throws a `StoreError` with the operation and libpq's message. Not Sendable: only the
/// forwarder's thread uses it.
final class PostgresConnection {
    private let handle: OpaquePointer

    /// Connects to `conninfo` (a `postgres://` URL or `key=value` words), waiting at most
    /// `timeout` seconds.
    init(_ conninfo: String, timeout: Int = 5) throws(StoreError) {
        let keywords = ["dbname", "connect_timeout", "application_name"]
        let values = [conninfo, String(timeout), "tembridge"]
        let handle = withCStrings(keywords) { k in
            withCStrings(values) { v in lazy_PQconnectdbParams(k, v, 1) }
        }
        guard let handle else { throw StoreError(operation: "connect", message: "out of memory") }
        guard lazy_PQstatus(handle) == CONNECTION_OK else {
            let message = Self.message(lazy_PQerrorMessage(handle))
            lazy_PQfinish(handle)
            throw StoreError(operation: "connect", message: message)
        }
        self.handle = handle
    }

    deinit { lazy_PQfinish(handle) }

    /// True while the server is still there (as far as libpq knows).
    var isOK: Bool { lazy_PQstatus(handle) == CONNECTION_OK }

    /// Runs `sql` with text parameters (nil is NULL); throws unless it succeeded. Returns the
    /// rows it affected.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = [], operation: String) throws(StoreError) -> Int {
        let result = PostgresResult(
            withOptionalCStrings(parameters) { p in
                lazy_PQexecParams(handle, sql, Int32(parameters.count), nil, p, nil, nil, 0)
            })
        let status = lazy_PQresultStatus(result.handle)
        guard let r = result.handle, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let text = result.handle.map { Self.message(lazy_PQresultErrorMessage($0)) } ?? ""
            throw StoreError(operation: operation, message: text.isEmpty ? Self.message(lazy_PQerrorMessage(handle)) : text)
        }
        return Int(String(cString: lazy_PQcmdTuples(r))) ?? 0
    }

    /// libpq's message on one line.
    private static func message(_ text: UnsafeMutablePointer<CChar>?) -> String {
        guard let text else { return "" }
        return String(cString: text).split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.joined(separator: "; ")
    }
}

/// One libpq result (`PGresult *`), cleared in `deinit`.
final class PostgresResult {
    let handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }

    deinit { lazy_PQclear(handle) }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// Calls `body` with a NULL-terminated array of C strings copied from `strings`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Like `withCStrings`, with nil entries passed as NULL (SQL NULL parameters).
private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
