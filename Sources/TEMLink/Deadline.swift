/// The instant by which an operation must finish, and how much time is left until then.
struct Deadline {
    let instant: ContinuousClock.Instant

    /// The deadline `duration` from now.
    init(after duration: Duration) { instant = .now + duration }

    /// Time left; zero once the deadline has passed.
    var remaining: Duration { max(.zero, instant - .now) }

    var hasPassed: Bool { ContinuousClock.now >= instant }
}

extension Duration {
    /// Whole milliseconds for `poll()`, rounded up so that a wait never turns into a busy loop,
    /// clamped to 0...Int32.max.
    var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0, self > .zero else { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let ms = seconds * 1000 + (attoseconds + perMillisecond - 1) / perMillisecond
        return Int32(clamping: ms)
    }

    /// Seconds in short form for messages, to the nearest millisecond: `1s`, `0.5s`, `1.25s`.
    var brief: String {
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
