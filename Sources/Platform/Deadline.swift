/// The instant by which an operation must finish, and how much time is left until then, on the
/// monotonic clock.
public struct Deadline: Sendable {
    public let instant: MonotonicClock.Instant

    /// The deadline `duration` from now.
    public init(after duration: Duration) { instant = .now + duration }

    /// Time left; zero once the deadline has passed.
    public var remaining: Duration { max(.zero, instant - .now) }

    public var hasPassed: Bool { MonotonicClock.Instant.now >= instant }
}
