import Platform

/// When each meter of one line is polled next, with the link's backoff: a value with no I/O
/// that the poller asks which meter is due and tells how each poll went.
///
/// Each meter is due every `pollInterval` from its previous due time (a late poll does not make
/// the next one early: it is never due before the poll starts). When the link itself is down
/// (a converter unreachable, a serial adapter gone) every meter waits a backoff that doubles
/// from 250 ms up to the line's shortest poll interval, so a dead link is not hammered and a
/// returning one is noticed within one interval; any good poll ends the backoff.
public struct PollSchedule: Sendable, Equatable {
    /// How a poll ended.
    public enum Outcome: Sendable, Equatable {
        case succeeded
        /// The meter answered badly or not at all; the link is fine.
        case failed
        /// The link itself failed: back off before opening it again.
        case linkDown
    }

    /// The first backoff after a link failure.
    public static let firstBackoff: UInt64 = 250_000_000

    /// Monotonic nanoseconds at which each meter is due.
    public private(set) var due: [UInt64]
    /// The current backoff, nanoseconds (0 while the link works).
    public private(set) var backoff: UInt64 = 0
    private let intervals: [UInt64]
    private let maxBackoff: UInt64

    /// Every meter due at `now`, in file order.
    public init(pollIntervals: [Duration], now: UInt64) {
        intervals = pollIntervals.map(\.monotonicNanoseconds)
        due = pollIntervals.map { _ in now }
        maxBackoff = max(intervals.min() ?? 1_000_000_000, 1)
    }

    /// The meter to poll next (the earliest due; file order breaks ties) and when; nil for a
    /// line without meters.
    public func next() -> (meter: Int, at: UInt64)? {
        guard let i = due.indices.min(by: { due[$0] < due[$1] }) else { return nil }
        return (i, due[i])
    }

    /// A poll of `meter` starts at `now`: its next one is due an interval after this one was.
    public mutating func started(_ meter: Int, at now: UInt64) {
        due[meter] = max(due[meter] &+ intervals[meter], now)
    }

    /// The poll of a meter ended at `now` with `outcome`.
    public mutating func ended(_ outcome: Outcome, at now: UInt64) {
        switch outcome {
        case .succeeded:
            backoff = 0
        case .failed:
            break
        case .linkDown:
            backoff = min(max(backoff &* 2, Self.firstBackoff), maxBackoff)
            for i in due.indices { due[i] = max(due[i], now &+ backoff) }
        }
    }
}
