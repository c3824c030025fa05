import Glibc

/// tembridge's one monotonic clock: `CLOCK_MONOTONIC`. It never jumps with wall-clock changes
/// and is comparable across threads of one process. Poll schedules, data freshness
/// (`UnitImage.validUntil`), deadlines and timeouts (`Deadline`), inter-byte gaps, rate limits,
/// progress rates and benchmarks all read it; no timeout is measured on the wall clock
/// (`WallClock` is for time stamps people read).
///
/// `now()` is the raw count of nanoseconds, for what is stored in an atomic; `Instant.now` is the
/// same reading as a value that adds and subtracts `Duration`s.
public enum MonotonicClock {
    /// The current monotonic time in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// `now()` plus `duration` (negative durations count as zero), saturating.
    public static func now(plus duration: Duration) -> UInt64 {
        let (sum, overflow) = now().addingReportingOverflow(duration.monotonicNanoseconds)
        return overflow ? .max : sum
    }

    /// Seconds since an arbitrary start, as a Double: for rates and elapsed times in messages.
    public static func seconds() -> Double { Double(now()) / 1e9 }

    /// A reading of the clock: nanoseconds since an arbitrary start. Adding a `Duration`
    /// saturates at the ends instead of wrapping.
    public struct Instant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
        public var nanoseconds: UInt64

        public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

        /// Now.
        public static var now: Instant { Instant(nanoseconds: MonotonicClock.now()) }

        public func advanced(by duration: Duration) -> Instant {
            let (seconds, attoseconds) = duration.components
            let total = Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
            let moved = Int128(nanoseconds) + total
            return Instant(nanoseconds: UInt64(clamping: moved))
        }

        public func duration(to other: Instant) -> Duration {
            .nanoseconds(Int64(clamping: Int128(other.nanoseconds) - Int128(nanoseconds)))
        }

        public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

        public static func + (instant: Instant, duration: Duration) -> Instant { instant.advanced(by: duration) }

        public static func - (instant: Instant, duration: Duration) -> Instant { instant.advanced(by: .zero - duration) }

        public static func - (later: Instant, earlier: Instant) -> Duration { earlier.duration(to: later) }

        public static func += (instant: inout Instant, duration: Duration) { instant = instant + duration }

        public var description: String { "\(Double(nanoseconds) / 1e9) s (monotonic)" }
    }
}
