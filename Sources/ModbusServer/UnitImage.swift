import Config

/// An immutable register image for one Modbus unit id: the span from the lowest to the highest
/// mapped register.
///
/// Whoever builds it (the bridge) fills gaps with 0 and marks which registers come from the meter;
/// the server answers a read from exactly one image, so one response never mixes two polls.
public struct UnitImage: Sendable {
    /// The Modbus unit id this image answers for.
    public let unitID: UInt8
    /// Lowest mapped register address (0-based protocol address).
    public let start: UInt16
    /// Values for `start ..< start + registers.count`; gaps already 0.
    public let registers: [UInt16]
    /// Same length as `registers`: true = the value comes from the meter (served only while the
    /// image is fresh, else exception 0B); false = a status register or a gap (always served).
    public let meterDerived: [Bool]
    /// Monotonic time (see `MonotonicClock.now()`) in nanoseconds until which meter-derived data
    /// may be served (while now < validUntil); nil = the meter was never read.
    public let validUntil: UInt64?
    /// What meter-derived registers answer while the image is not fresh.
    public let onStale: StalePolicy
    /// For `onStale == .nan`: the registers served while not fresh (same length as `registers`).
    public let staleRegisters: [UInt16]?
    /// What Read Device Identification tells about the meter; nil until it has been read.
    public let identity: DeviceIdentity?
    /// Same length as `registers`, or nil when every register has a value: true = an integer
    /// register whose value the meter did not give (NaN). A read touching one answers 0B, never
    /// a 0 that would look like a reading.
    public let unavailable: [Bool]?

    /// - Precondition: `meterDerived.count == registers.count`, and the span ends at or before
    ///   address 65535 (`start + registers.count <= 65536`).
    public init(
        unitID: UInt8, start: UInt16, registers: [UInt16], meterDerived: [Bool], validUntil: UInt64?,
        onStale: StalePolicy = .exception, staleRegisters: [UInt16]? = nil, identity: DeviceIdentity? = nil,
        unavailable: [Bool]? = nil
    ) {
        precondition(
            meterDerived.count == registers.count,
            "unit \(unitID): \(registers.count) registers but \(meterDerived.count) meterDerived flags")
        precondition(
            Int(start) + registers.count <= 65536, "unit \(unitID): span \(start)+\(registers.count) passes address 65535")
        self.unitID = unitID
        self.start = start
        self.registers = registers
        self.meterDerived = meterDerived
        self.validUntil = validUntil
        precondition(staleRegisters.map { $0.count == registers.count } ?? true, "unit \(unitID): staleRegisters length")
        self.onStale = onStale
        self.staleRegisters = staleRegisters
        self.identity = identity
        precondition(unavailable.map { $0.count == registers.count } ?? true, "unit \(unitID): unavailable length")
        self.unavailable = unavailable
    }

    /// Whether meter-derived registers may be served at monotonic time `now`.
    public func isFresh(at now: UInt64) -> Bool {
        guard let validUntil else { return false }
        return now < validUntil
    }
}
