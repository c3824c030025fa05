import Glibc
import Logging
import Platform
import TEMProtocol

/// Forwards every stored record to PostgreSQL, in store order, on a thread of its own: the
/// pollers never wait for it. Progress is saved in the SQLite file after each committed batch,
/// so a restart resumes; a batch re-sent after a crash is absorbed by the key (the record's own
/// bytes), and a record sent again with other flags updates them.
/// While the server is down records stay queued in the store; retries back off from 1 s to
/// 60 s, and each kind of failure is logged once, not once per retry.
public final class UpstreamForwarder: Sendable {
    private let store: ArchiveStore
    private let conninfo: String
    /// The upstream as logged and as the progress key: the URL without its password.
    public let name: String
    private let logger: Logger
    /// The forwarding thread and the signal that ends its waits.
    private let worker = Worker()
    /// Turns readable when a record was stored (the store's `onStored`).
    private let wake: (read: Int32, write: Int32)
    static let batchSize = 500

    public init(store: ArchiveStore, upstream: String, logger: Logger = Logger(label: "tembridge.archive")) {
        self.store = store
        conninfo = upstream
        name = Self.withoutPassword(upstream)
        self.logger = logger
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        for fd in ends { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        wake = (ends[0], ends[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    public func start() {
        store.onStored { [weak self] in self?.wakeUp() }
        worker.startEssential("upstream forwarder") { self.run() }
    }

    private func wakeUp() { _ = write(wake.write, "x", 1) }

    /// Stops forwarding and waits for the thread (a batch in progress finishes first).
    public func stop() { worker.stop() }

    private var isStopping: Bool { worker.isStopping }

    private func run() {
        var connection: PostgresConnection?
        var backoff = Duration.zero
        var lastFailure: FailureKind?
        var retriedAtOnce = false
        while !isStopping {
            do throws(StoreError) {
                if connection == nil || connection?.isOK == false {
                    connection = nil
                    let c = try PostgresConnection(conninfo)
                    for statement in Self.schema { try c.execute(statement, operation: "create the schema") }
                    connection = c
                }
                let sent = try forwardAll(connection!)
                if lastFailure != nil {
                    logger.info("upstream \(name): reachable again, forwarded \(sent) queued record(s)")
                    lastFailure = nil
                }
                backoff = .zero
                retriedAtOnce = false
                waitForWork(.seconds(60))
            } catch {
                let wasConnected = connection != nil
                connection = nil
                // A connection lost mid-way (the server stopping) is retried at once; what
                // that attempt finds (refused, unreachable) is the failure worth a line.
                if wasConnected, lastFailure == nil, !retriedAtOnce {
                    retriedAtOnce = true
                    continue
                }
                let kind = FailureKind(error)
                if kind != lastFailure {
                    let queued = (try? store.count()).map { $0 - ((try? store.forwarded(to: name)) ?? 0) }
                    let message =
                        "upstream \(name): \(kind.summary): \(error.message); records stay queued locally"
                        + (queued.map { " (\($0) not forwarded yet)" } ?? "") + ", retrying with backoff"
                    logger.error("\(message)")
                    lastFailure = kind
                }
                backoff = min(max(backoff * 2, .seconds(1)), .seconds(60))
                waitForWork(backoff, ignoreStores: true)
            }
        }
    }

    /// Sends every record not yet forwarded, a batch per transaction; returns how many.
    private func forwardAll(_ connection: PostgresConnection) throws(StoreError) -> Int {
        var sent = 0
        while !isStopping {
            let after = try store.forwarded(to: name)
            let rows = try store.records(after: after, limit: Self.batchSize)
            guard let last = rows.last else { break }
            try connection.execute("BEGIN", operation: "begin")
            do throws(StoreError) {
                for row in rows { try connection.execute(Self.insertSQL, Self.parameters(row.record), operation: "insert") }
                try connection.execute("COMMIT", operation: "commit")
            } catch {
                _ = try? connection.execute("ROLLBACK", operation: "rollback")
                throw error
            }
            try store.setForwarded(to: name, id: last.id)
            sent += rows.count
        }
        return sent
    }

    /// Sleeps up to `duration` (on the monotonic clock), ending at once on stop or (unless
    /// `ignoreStores`) when a record is stored.
    private func waitForWork(_ duration: Duration, ignoreStores: Bool = false) {
        let deadline = Deadline(after: duration)
        var buffer = [UInt8](repeating: 0, count: 64)
        while !isStopping, !deadline.hasPassed {
            guard
                case let .success(events) = waitFor(
                    wake.read, events: Int16(POLLIN), timeout: deadline.remaining, orStop: worker.stopSignal)
            else {
                worker.stopSignal.sleep(for: min(deadline.remaining, .seconds(1)))  // poll failed: do not spin
                continue
            }
            guard events != 0 else { continue }
            while read(wake.read, &buffer, buffer.count) > 0 {}
            if !ignoreStores { return }
        }
    }

    // MARK: Failures

    /// The kinds of failure a person acts on differently.
    enum FailureKind: Equatable {
        case unreachable, refused, wrongPassword, other(String)

        init(_ error: StoreError) {
            let m = error.message.lowercased()
            if m.contains("password authentication failed") || m.contains("no password supplied") {
                self = .wrongPassword
            } else if m.contains("connection refused") {
                self = .refused
            } else if m.contains("timeout") || m.contains("could not translate host") || m.contains("unreachable")
                || m.contains("no route to host") || m.contains("server closed the connection")
                || m.contains("no connection to the server") || m.contains("terminating connection")
            {
                self = .unreachable
            } else {
                self = .other(error.operation)
            }
        }

        var summary: String {
            switch self {
            case .unreachable: "unreachable"
            case .refused: "connection refused (is PostgreSQL running and listening there?)"
            case .wrongPassword: "wrong password or user"
            case let .other(operation): "\(operation) failed"
            }
        }
    }

    /// `postgres://user:secret@host/db` → `postgres://user@host/db`.
    static func withoutPassword(_ url: String) -> String {
        let parts = url.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let schemeEnd = parts[0].firstIndex(of: "/") else { return url }
        let userInfo = parts[0][schemeEnd...]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(parts[0][..<colon]) + "@" + String(parts[1])
    }

    // MARK: Schema

    /// The central table (created if missing), one statement each: the local `records` row,
    /// keyed the same way, by the record's own bytes. A table made by an earlier tembridge
    /// (keyed by period) is brought up to date in place: its period key is dropped, the new
    /// columns added (NULL for rows sent before), `written` may be NULL.
    public static let schema: [String] = [
        """
        CREATE TABLE IF NOT EXISTS tembridge_archive (
            serial_number bigint NOT NULL,
            kind text NOT NULL CHECK (kind IN ('hourly', 'daily', 'monthly')),
            period timestamp NOT NULL,
            written timestamp,
            meter text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            flags integer NOT NULL DEFAULT 0,
            \(RecordColumns.sqlNames.map { "\($0) double precision" }.joined(separator: ",\n    ")),
            raw bytea NOT NULL
        )
        """,
        "ALTER TABLE tembridge_archive ADD COLUMN IF NOT EXISTS flags integer NOT NULL DEFAULT 0, "
            + RecordColumns.sqlNames.map { "ADD COLUMN IF NOT EXISTS \($0) double precision" }.joined(separator: ", "),
        "ALTER TABLE tembridge_archive ALTER COLUMN written DROP NOT NULL",
        "ALTER TABLE tembridge_archive DROP CONSTRAINT IF EXISTS tembridge_archive_pkey",
        "CREATE UNIQUE INDEX IF NOT EXISTS tembridge_archive_record ON tembridge_archive (serial_number, kind, raw)",
        "CREATE INDEX IF NOT EXISTS tembridge_archive_by_period ON tembridge_archive (serial_number, kind, period)",
    ]

    static let insertSQL = """
        INSERT INTO tembridge_archive (serial_number, kind, period, written, meter, flags, \
        \(RecordColumns.sqlNames.joined(separator: ", ")), raw)
        VALUES (\((1...(7 + RecordColumns.names.count)).map { "$\($0)" }.joined(separator: ", ")))
        ON CONFLICT (serial_number, kind, raw) DO UPDATE SET flags = EXCLUDED.flags
        """

    static func parameters(_ r: StoredRecord) -> [String?] {
        let hexDigits = Array("0123456789abcdef")
        var raw = "\\x"
        for byte in r.raw {
            raw.append(hexDigits[Int(byte >> 4)])
            raw.append(hexDigits[Int(byte & 0xF)])
        }
        return [
            String(r.serialNumber), r.kind.rawValue, timestamp(r.period), r.written.map(timestamp), r.meter,
            String(r.flags.rawValue),
        ]
            + RecordColumns.names.map { name in r.record.values[name].map(number) }
            + [raw]
    }

    private static func timestamp(_ seconds: Int) -> String {
        MeterClock(unixSeconds: seconds).description.replacingT
    }

    private static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
        return "\(v)"
    }
}

extension String {
    fileprivate var replacingT: String { String(map { $0 == "T" ? " " : $0 }) }
}
