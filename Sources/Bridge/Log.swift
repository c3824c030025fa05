import Glibc

/// The bridge's log: one line per event on stderr, `2026-11-26T20:31:05Z level message`.
public struct Log: Sendable {
    public enum Level: String, Sendable { case info, warning, error }

    private let sink: @Sendable (String) -> Void

    /// A log that writes to stderr.
    public static let standardError = Log { line in
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    public init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    public func callAsFunction(_ level: Level, _ message: String) {
        sink("\(Self.timestamp()) \(level.rawValue) \(message)")
    }

    static func timestamp() -> String {
        var now = time(nil)
        var t = tm()
        gmtime_r(&now, &t)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
    }
}
