import Glibc

/// tembridge's one wall-clock source (`CLOCK_REALTIME`), for time stamps people and other
/// programs read: log lines, trace frames, `received_at` in the archive store, MQTT state, dump
/// files, the console's `started`. It may jump (NTP, a person setting the clock): nothing that
/// measures a timeout or an age reads it — that is `MonotonicClock`.
public enum WallClock {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public static func nanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (Unix time).
    public static func seconds() -> Int { Int(nanoseconds() / 1_000_000_000) }

    /// Seconds since 1970-01-01T00:00:00Z with their fraction.
    public static func secondsWithFraction() -> Double { Double(nanoseconds()) / 1e9 }
}

/// The one set of time-stamp formats: ISO 8601 in UTC (logs, JSON, dump files) and the local
/// time of day (the `--trace` lines a person watches beside a terminal clock).
public enum Timestamp {
    /// `2026-11-26T20:31:05Z`: Unix `seconds` in UTC.
    public static func iso8601(seconds: Int) -> String {
        let t = parts(seconds, local: false)
        return "\(date(t))T\(timeOfDay(t))Z"
    }

    /// `2026-11-30T04:23:04.120Z`: Unix time in `nanoseconds`, in UTC, to the millisecond.
    public static func iso8601(nanoseconds: Int64) -> String {
        let (seconds, fraction) = split(nanoseconds)
        let t = parts(seconds, local: false)
        return "\(date(t))T\(timeOfDay(t)).\(pad(fraction / 1_000_000, 3))Z"
    }

    /// `20:31:05.120`: Unix time in `nanoseconds` as the local time of day, to the millisecond.
    public static func localTimeOfDay(nanoseconds: Int64) -> String {
        let (seconds, fraction) = split(nanoseconds)
        return "\(timeOfDay(parts(seconds, local: true))).\(pad(fraction / 1_000_000, 3))"
    }

    private static func split(_ nanoseconds: Int64) -> (seconds: Int, fraction: Int) {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        return (Int(seconds), Int(nanoseconds - seconds * 1_000_000_000))
    }

    private static func parts(_ seconds: Int, local: Bool) -> tm {
        var clock = time_t(seconds)
        var t = tm()
        if local { localtime_r(&clock, &t) } else { gmtime_r(&clock, &t) }
        return t
    }

    private static func date(_ t: tm) -> String {
        "\(pad(Int(t.tm_year) + 1900, 4))-\(pad(Int(t.tm_mon) + 1, 2))-\(pad(Int(t.tm_mday), 2))"
    }

    private static func timeOfDay(_ t: tm) -> String {
        "\(pad(Int(t.tm_hour), 2)):\(pad(Int(t.tm_min), 2)):\(pad(Int(t.tm_sec), 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
