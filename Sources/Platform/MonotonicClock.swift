import Glibc

/// tembridge's one monotonic clock: `CLOCK_MONOTONIC` in nanoseconds. It never jumps with
/// wall-clock changes and is comparable across threads of one process. Poll schedules, data
/// freshness (`UnitImage.validUntil`), progress rates and benchmarks all read it.
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
}
