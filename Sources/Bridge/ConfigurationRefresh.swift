import Platform

/// When to read a meter's configuration again: a value with no I/O that the poller feeds with
/// events and asks before each poll.
///
/// Due on first contact, after the meter was offline (`wentOffline`), after `time.powered` went
/// backwards (the meter was reset or replaced; `observed(powered:)`), and once `interval` has
/// passed since the last configuration read. A due refresh stays due until
/// `configurationRead(at:)` records a successful one.
public struct ConfigurationRefresh: Sendable, Hashable {
    /// Why a configuration read is due.
    public enum Reason: String, Sendable, Hashable {
        case firstContact = "first contact"
        case backOnline = "the meter was offline"
        case meterReset = "time.powered went backwards"
        case interval = "config_interval passed"
    }

    /// The longest time between two configuration reads.
    public let interval: Duration
    private var lastRead: MonotonicClock.Instant?
    private var pending: Reason? = .firstContact
    private var lastPowered: Double?

    public init(interval: Duration) { self.interval = interval }

    /// Why the next poll must read the configuration, or nil when the steady plan will do.
    public func due(at now: MonotonicClock.Instant) -> Reason? {
        if let pending { return pending }
        guard let lastRead else { return .firstContact }
        return now - lastRead >= interval ? .interval : nil
    }

    /// A configuration read succeeded at `now`.
    public mutating func configurationRead(at now: MonotonicClock.Instant) {
        lastRead = now
        pending = nil
    }

    /// The meter went offline (its polls failed): read the configuration once it answers again.
    public mutating func wentOffline() {
        if pending == nil { pending = .backOnline }
    }

    /// A poll read `time.powered`; a value below the last one means the meter was reset.
    public mutating func observed(powered: Double) {
        if let lastPowered, powered < lastPowered { pending = .meterReset }
        lastPowered = powered
    }
}
