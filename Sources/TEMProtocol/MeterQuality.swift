/// What may be wrong with a meter's served numbers: the `status.quality` bit field (CONTRACT,
/// "Coming this round"), served on Modbus, `/api/status`, MQTT and `/metrics` with these bits
/// and names. 0 = nothing doubtful.
public struct MeterQuality: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Bit 0: no good poll within `stale_after`; meter-derived registers answer as `on_stale` says.
    public static let stale = MeterQuality(rawValue: 1)
    /// Bit 1: where the meter keeps `comma` is a guess; integrators may be off by ×10^n.
    public static let commaUnconfirmed = MeterQuality(rawValue: 2)
    /// Bit 2: the last poll gave a plausibility warning (see `Plausibility`).
    public static let implausible = MeterQuality(rawValue: 4)
    /// Bit 3: the newest archive record read of some kind is damaged.
    public static let archiveDamaged = MeterQuality(rawValue: 8)
    /// Bit 4: the meter's configuration has not been read yet: nothing of it is served.
    public static let configurationNotRead = MeterQuality(rawValue: 16)

    /// Every bit with its fixed name, in bit order.
    public static let named: [(bit: MeterQuality, name: String)] = [
        (.stale, "stale"), (.commaUnconfirmed, "comma_unconfirmed"), (.implausible, "implausible"),
        (.archiveDamaged, "archive_damaged"), (.configurationNotRead, "configuration_not_read"),
    ]

    /// The names of the bits set, in bit order: `["stale", "comma_unconfirmed"]`.
    public var names: [String] { Self.named.filter { contains($0.bit) }.map(\.name) }
}
