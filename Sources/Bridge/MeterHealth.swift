import Platform

/// One meter's poll health as a state machine without I/O: it takes poll results and clock
/// ticks and says what to log. Each transition is logged once, not every failed poll.
public struct MeterHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Not read yet.
        case waiting
        /// The last poll succeeded.
        case online
        /// Polls are failing but the data is not stale yet.
        case failing
        /// No good poll for `staleAfter`: the data is stale and not served.
        case offline
    }

    /// What the caller should log.
    public enum Action: Sendable, Equatable {
        case cameOnline(firstTime: Bool, failedPolls: Int)
        case startedFailing(reason: String)
        case wentOffline(reason: String)
    }

    public private(set) var state: State = .waiting
    public private(set) var pollsOK = 0
    public private(set) var pollsFailed = 0
    /// Monotonic nanoseconds of the last good poll.
    public private(set) var lastGood: UInt64?
    /// Failed polls since the last good one.
    public private(set) var failureStreak = 0
    private var lastReason = ""
    /// Why the last failed poll failed; nil if no poll has failed.
    public var lastError: String? { lastReason.isEmpty ? nil : lastReason }
    /// How long data stays fresh after a good poll, nanoseconds.
    public private(set) var staleAfter: UInt64

    public init(staleAfter: Duration) {
        self.staleAfter = UInt64(staleAfter.nanoseconds)
    }

    /// The same health with another freshness window (after a mapping reload).
    public func with(staleAfter: Duration) -> MeterHealth {
        var copy = self
        copy.staleAfter = UInt64(staleAfter.nanoseconds)
        return copy
    }

    /// Until when (monotonic ns) the data may be served; nil if never read.
    public var validUntil: UInt64? { lastGood.map { $0 &+ staleAfter } }

    /// True while the data is fresh at `now`.
    public func isFresh(at now: UInt64) -> Bool { validUntil.map { now < $0 } ?? false }

    public mutating func pollSucceeded(at now: UInt64) -> Action? {
        pollsOK += 1
        lastGood = now
        defer { state = .online; failureStreak = 0 }
        switch state {
        case .waiting: return .cameOnline(firstTime: true, failedPolls: 0)
        case .failing, .offline: return .cameOnline(firstTime: false, failedPolls: failureStreak)
        case .online: return nil
        }
    }

    public mutating func pollFailed(at now: UInt64, reason: String) -> Action? {
        pollsFailed += 1
        failureStreak += 1
        lastReason = reason
        switch state {
        case .waiting:
            state = .offline
            return .wentOffline(reason: reason)
        case .online:
            state = .failing
            return tick(at: now) ?? .startedFailing(reason: reason)
        case .failing:
            return tick(at: now)
        case .offline:
            return nil
        }
    }

    /// The clock moved: a failing meter whose data went stale is now offline.
    public mutating func tick(at now: UInt64) -> Action? {
        guard state == .failing || state == .online, !isFresh(at: now) else { return nil }
        state = .offline
        return .wentOffline(reason: lastReason.isEmpty ? "no good poll for \(staleAfter / 1_000_000_000)s" : lastReason)
    }
}
