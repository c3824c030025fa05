import Glibc
import Platform
import Synchronization

/// What happens on one meter line, counted and tapped for the operations console: exchanges by
/// outcome (relaxed atomics), each exchange's outcome and duration, and every native frame, handed
/// to the observers given at creation. The observers run on the poller's thread and must return
/// at once (count, or queue without waiting); with none, a frame costs one nil check.
public final class LineMonitor: Sendable {
    /// How an exchange (one request, its retries included) ended.
    public enum Outcome: Int, Sendable, CaseIterable {
        case ok, timeout, badReply, linkError

        /// The metrics label: `ok`, `timeout`, `bad_reply`, `link_error`.
        public var label: String {
            switch self {
            case .ok: "ok"
            case .timeout: "timeout"
            case .badReply: "bad_reply"
            case .linkError: "link_error"
            }
        }

        /// The outcome a failed exchange counts as; nil for one the poller's stop ended (not a
        /// failure of the line).
        init?(_ reason: ExchangeError.Reason) {
            switch reason {
            case .timeout, .stalled: self = .timeout
            case .reply: self = .badReply
            case .link: self = .linkError
            case .stopped: return nil
            }
        }
    }

    /// Bytes on the line, as they were written or as they arrived.
    public struct Frame: Sendable {
        public enum Direction: String, Sendable { case tx, rx }
        /// Wall-clock time, nanoseconds since 1970.
        public let time: Int64
        /// The meter address the exchange was for.
        public let address: UInt8
        public let direction: Direction
        public let bytes: [UInt8]
    }

    /// Receives what the monitor sees: the line's name with each call.
    public struct Observers: Sendable {
        public var exchange: (@Sendable (_ line: String, _ outcome: Outcome, _ nanoseconds: UInt64) -> Void)?
        public var frame: (@Sendable (_ line: String, _ frame: Frame) -> Void)?

        public init(
            exchange: (@Sendable (String, Outcome, UInt64) -> Void)? = nil,
            frame: (@Sendable (String, Frame) -> Void)? = nil
        ) {
            self.exchange = exchange
            self.frame = frame
        }
    }

    public let line: String
    private let observers: Observers
    /// One counter per `Outcome`, by raw value.
    private let counts: [Counter] = Outcome.allCases.map { _ in Counter() }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    public init(line: String, observers: Observers = Observers()) {
        self.line = line
        self.observers = observers
    }

    /// Exchanges so far by outcome.
    public func count(_ outcome: Outcome) -> Int {
        counts[outcome.rawValue].value.load(ordering: .relaxed)
    }

    func exchanged(_ outcome: Outcome, nanoseconds: UInt64) {
        counts[outcome.rawValue].value.wrappingAdd(1, ordering: .relaxed)
        observers.exchange?(line, outcome, nanoseconds)
    }

    func frame(_ direction: Frame.Direction, _ bytes: [UInt8], address: UInt8) {
        guard let tap = observers.frame else { return }
        tap(line, Frame(time: WallClock.nanoseconds(), address: address, direction: direction, bytes: bytes))
    }
}
