import Config
import Platform

/// "At most one state message per meter per interval": remembers when each meter last
/// published and says whether a new reading may go out now. No interval lets every one through.
public struct PublishLimiter: Sendable, Equatable {
    public var interval: Duration?
    private var last: [String: MonotonicClock.Instant] = [:]

    public init(interval: Duration?) {
        self.interval = interval
    }

    /// True (and remembered) when `meter` may publish at `now`.
    public mutating func allow(_ meter: String, at now: MonotonicClock.Instant) -> Bool {
        if let interval, let previous = last[meter], now - previous < interval { return false }
        last[meter] = now
        return true
    }

    /// Forgets meters not in `meters` (after a reload).
    public mutating func keep(only meters: Set<String>) {
        last = last.filter { meters.contains($0.key) }
    }
}
