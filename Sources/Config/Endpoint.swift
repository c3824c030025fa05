/// Where a meter line is reached.
///
/// - `tcp://HOST:PORT`: raw bytes through a serial-to-Ethernet converter.
/// - `serial:///dev/ttyUSB0?baud=9600`: a local serial port, 8N1.
/// - `sim://` (optionally `sim://?addresses=1,2&...`): the in-process simulator.
public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: UInt16)
    case serial(path: String, baud: Int)
    /// The in-process simulator with its query options (see TEMSimulator).
    case simulator(options: [String: String])

    /// The baud rates a TEM-106 speaks.
    public static let baudRates = [9600, 19200, 38400, 57600]

    /// Parses an endpoint; the error says what is wrong in one line.
    public init(parsing text: String) throws(EndpointError) {
        func fail(_ why: String) -> EndpointError { EndpointError(text: text, reason: why) }
        let (scheme, rest, query) = try Self.components(of: text)
        switch scheme {
        case "tcp":
            guard query.isEmpty else { throw fail("tcp:// takes no options") }
            guard let colon = rest.lastIndex(of: ":") else { throw fail("missing :PORT") }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains("/") else { throw fail("missing host") }
            guard let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
                throw fail("port must be 1...65535")
            }
            self = .tcp(host: host, port: port)
        case "serial":
            guard rest.hasPrefix("/"), rest.count > 1 else { throw fail("expected serial:///dev/PORT") }
            var baud = 9600
            for (key, value) in query {
                guard key == "baud" else { throw fail("unknown option '\(key)' (serial takes baud)") }
                guard let b = Int(value), Self.baudRates.contains(b) else {
                    throw fail("unsupported baud rate \(value) (use 9600, 19200, 38400 or 57600)")
                }
                baud = b
            }
            self = .serial(path: rest, baud: baud)
        case "sim":
            guard rest.isEmpty else { throw fail("sim:// takes no host or path, only ?options") }
            self = .simulator(options: query)
        default:
            throw fail("unknown scheme '\(scheme)' (use tcp, serial or sim)")
        }
    }

    /// Splits `SCHEME://REST?K=V&K=V` into its scheme, the part before `?` and the options.
    static func components(of text: String) throws(EndpointError) -> (scheme: String, rest: String, query: [String: String]) {
        func fail(_ why: String) -> EndpointError { EndpointError(text: text, reason: why) }
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw fail("expected tcp://HOST:PORT, serial:///dev/PORT?baud=N or sim://")
        }
        var rest = String(parts[1])
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, !kv[0].isEmpty else { throw fail("malformed option '\(pair)'") }
                query[String(kv[0])] = String(kv[1])
            }
            rest = String(rest[..<q])
        }
        return (String(parts[0]), rest, query)
    }

    public var description: String {
        switch self {
        case let .tcp(host, port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case let .serial(path, baud): "serial://\(path)?baud=\(baud)"
        case let .simulator(options):
            options.isEmpty
                ? "sim://" : "sim://?" + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
    }
}

/// A malformed endpoint.
public struct EndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid endpoint '\(text)': \(reason)" }
}
