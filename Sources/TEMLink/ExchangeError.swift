import Config
import Platform
import TEMProtocol

/// A request that got no valid reply after every attempt, with the meter, the command and the
/// endpoint it concerns. `description` is one line:
///
///     meter 1 at tcp://127.0.0.1:4001: read T2K 0x0200 ×28: no reply within 1s (3 attempts)
public struct ExchangeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the last attempt failed.
    public enum Reason: Error, Sendable, Hashable, CustomStringConvertible {
        /// The exchange timeout passed. `partial` holds the start of a reply that never
        /// completed; empty when no reply began (nothing, or only noise and echo, arrived).
        case timeout(after: Duration, partial: [UInt8])
        /// A reply began but stopped: no byte for `gap` (the inter-byte timeout) after `partial`.
        case stalled(gap: Duration, partial: [UInt8])
        /// Bytes arrived that are not a valid reply (checksum, address, command, length).
        case reply(ReplyError)
        /// The link failed (refused, closed by peer, device gone).
        case link(LinkError)
        /// The client's stop signal fired before this attempt (the poller is stopping).
        case stopped

        public var description: String {
            switch self {
            case let .timeout(after, partial) where partial.isEmpty:
                "no reply within \(after.brief)"
            case let .timeout(after, partial):
                "incomplete reply within \(after.brief): \(Self.show(partial))"
            case let .stalled(gap, partial):
                "reply stalled, no byte for \(gap.brief) after \(Self.show(partial))"
            case let .reply(error):
                error.description
            case let .link(error):
                error.message
            case .stopped:
                "stopped"
            }
        }

        private static func show(_ bytes: [UInt8]) -> String {
            let shown = bytes.count > 8 ? hexDump(bytes.prefix(8)) + " …" : hexDump(bytes)
            return "\(bytes.count) byte\(bytes.count == 1 ? "" : "s") (\(shown))"
        }
    }

    /// The meter's network address.
    public let address: UInt8
    public let command: Command
    public let endpoint: Endpoint
    /// Attempts made, the first included.
    public let attempts: Int
    public let reason: Reason

    public var description: String {
        "meter \(address) at \(endpoint): \(command): \(reason) (\(attempts) attempt\(attempts == 1 ? "" : "s"))"
    }
}
