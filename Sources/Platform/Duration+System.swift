import Glibc

// Every conversion of a Duration to what a system call or a counter takes. All saturate or
// clamp; none traps.

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.min`/`Int64.max` (Duration reaches far beyond).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow || carry ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole nanoseconds for the monotonic clock: negative durations count as zero, huge ones
    /// saturate at `UInt64.max`.
    public var monotonicNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (scaled, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = scaled.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow || carry ? .max : sum
    }

    /// Whole milliseconds for `poll()`, rounded up so that a wait never turns into a busy loop,
    /// clamped to 0...Int32.max.
    public var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0, self > .zero else { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return .max }
        return Int32(clamping: scaled + (attoseconds + perMillisecond - 1) / perMillisecond)
    }

    /// Whole seconds and microseconds (rounded up, so a positive duration never becomes zero),
    /// as libmodbus and `timeval` take them; negative durations count as zero, huge ones saturate.
    public var secondsAndMicroseconds: (UInt32, UInt32) {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0, seconds | attoseconds > 0 else { return (0, 0) }
        guard seconds < Int64(UInt32.max) else { return (UInt32.max, 0) }
        let microseconds = (attoseconds + 999_999_999_999) / 1_000_000_000_000
        return microseconds == 1_000_000 ? (UInt32(seconds) + 1, 0) : (UInt32(seconds), UInt32(microseconds))
    }

    /// The duration as a `timeval` (for SO_RCVTIMEO/SO_SNDTIMEO), rounded up like `secondsAndMicroseconds`.
    public var timeval: timeval {
        let (seconds, microseconds) = secondsAndMicroseconds
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(microseconds))
    }

    /// The duration in seconds, as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// Seconds in short form for messages, to the nearest millisecond: `1s`, `0.5s`, `1.25s`.
    public var brief: String {
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let ms = Int(seconds) * 1000 + Int((attoseconds + perMillisecond / 2) / perMillisecond)
        let whole = ms / 1000, fraction = ms % 1000
        guard fraction != 0 else { return "\(whole)s" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)s"
    }
}
