// LogFormat owns tembridge's log line: `2026-11-26T20:31:05Z info message`, one line per event
// on stderr, as a swift-log `LogHandler` the executable installs once. It imports only swift-log
// and Platform (for the one wall clock and time-stamp format): no libmodbus, no meter protocol.
import Glibc
import Logging
import Platform

/// Writes each event as one line, `TIMESTAMP LEVEL message`, to standard error (or to `sink`).
///
/// The timestamp is UTC to the second; the level is swift-log's name for it (`trace`, `debug`,
/// `info`, `notice`, `warning`, `error`, `critical`). Metadata, when a logger carries any, follows
/// the message as ` key=value` pairs sorted by key. A line reaches stderr in one `write(2)`, so
/// lines from different threads never interleave.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let sink: @Sendable (String) -> Void
    private let now: @Sendable () -> Int

    /// A handler writing to stderr at `level` and above.
    public init(level: Logger.Level) {
        self.init(level: level, now: { WallClock.seconds() }, sink: Self.standardError)
    }

    /// A handler with its clock (Unix seconds) and its output (one line, no newline) supplied.
    public init(level: Logger.Level, now: @escaping @Sendable () -> Int, sink: @escaping @Sendable (String) -> Void) {
        self.logLevel = level
        self.now = now
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let own = event.metadata { all.merge(own) { _, new in new } }
        sink(Self.line(time: now(), level: event.level, message: event.message.description, metadata: all))
    }

    /// `2026-11-26T20:31:05Z info message key=value`.
    public static func line(time: Int, level: Logger.Level, message: String, metadata: Logger.Metadata = [:]) -> String {
        let pairs = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "\(Timestamp.iso8601(seconds: time)) \(level.rawValue) \(message)\(pairs)"
    }

    private static let standardError: @Sendable (String) -> Void = { line in
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}
