import Glibc

/// The clock `UnitImage.validUntil` is measured on: `CLOCK_MONOTONIC` in nanoseconds. It never
/// jumps with wall-clock changes and is comparable across threads of one process.
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
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return now() }
        let nanoseconds = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return .max }
        let (sum, overflow) = now().addingReportingOverflow(nanoseconds.partialValue &+ UInt64(attoseconds / 1_000_000_000))
        return overflow ? .max : sum
    }
}
