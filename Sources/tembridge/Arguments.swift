import ArgumentParser
import Config
import Logging
import TEMProtocol

// How the command line reads its typed values.
//
// Closed sets (archive kinds, log levels, formats) are `ExpressibleByArgument`: a wrong word is
// answered with the list of right ones. Open grammars (endpoints, durations, listen addresses,
// dates) are read with `transform:` by the parser that owns the grammar, because
// `init?(argument:)` cannot say *why* a value is wrong and the reason is the useful part:
// "The value '5x' is invalid for '--timeout <timeout>': malformed duration '5x' (unknown unit 'x'; …)".

extension ArchiveKind: ExpressibleByArgument {}

/// `--log-level` takes swift-log's own level: the five tembridge logs at (it says nothing at
/// `notice` or `critical`, so they are not offered).
extension Logger.Level: @retroactive ExpressibleByArgument {
    public static var allValueStrings: [String] { offered.map(\.rawValue) }

    public init?(argument: String) {
        guard let level = Self.offered.first(where: { $0.rawValue == argument }) else { return nil }
        self = level
    }

    private static let offered: [Logger.Level] = [.trace, .debug, .info, .warning, .error]
}

/// The parsers the options' `transform:` use; each throws the owning type's one-line error.
enum ArgumentText {
    @Sendable static func endpoint(_ text: String) throws -> Endpoint { try Endpoint(parsing: text) }

    @Sendable static func duration(_ text: String) throws -> Duration { try Duration(parsing: text) }

    @Sendable static func listenAddress(_ text: String) throws -> HostPort {
        let (host, port) = try ListenAddress.parse(text).get()
        return HostPort(host: host, port: port)
    }
}

/// A `HOST:PORT` to listen on, as `--listen` takes it (port 0: any free port).
struct HostPort: Sendable, CustomStringConvertible {
    var host: String
    var port: UInt16
    var description: String { "\(host):\(port)" }
}
