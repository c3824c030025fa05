import Config
import ModbusServer
import TEMProtocol

/// The register span of one meter's map, computed once per mapping: where each entry sits and
/// which registers are meter-derived. Rendering it with a snapshot gives the unit images.
public struct RegisterLayout: Sendable {
    struct Slot: Sendable {
        let offset: Int
        let entry: RegisterEntry
    }

    public let start: UInt16
    public let count: Int
    let slots: [Slot]
    let meterDerived: [Bool]

    public init(entries: [RegisterEntry]) {
        let start = entries.map(\.address).min() ?? 0
        let end = entries.map { Int($0.address) + $0.count }.max() ?? Int(start)
        var derived = [Bool](repeating: false, count: end - Int(start))
        let slots = entries.map { Slot(offset: Int($0.address - start), entry: $0) }
        for slot in slots where !slot.entry.isStatus {
            for i in slot.offset..<(slot.offset + slot.entry.count) { derived[i] = true }
        }
        self.start = start
        self.count = end - Int(start)
        self.slots = slots
        self.meterDerived = derived
    }

    /// The registers for one snapshot and health at `now`. Gaps are 0.
    public func render(snapshot: Snapshot?, health: MeterHealth, now: UInt64, since start: UInt64) -> [UInt16] {
        rendering(snapshot: snapshot, health: health, now: now, since: start).registers
    }

    /// The registers for one snapshot and health at `now` (gaps 0), and which of them are integer
    /// registers with no value (NaN or not given: answered 0B, see `UnitImage.unavailable`; nil
    /// when there is none).
    public func rendering(snapshot: Snapshot?, health: MeterHealth, now: UInt64, since start: UInt64)
        -> (registers: [UInt16], unavailable: [Bool]?)
    {
        var registers = [UInt16](repeating: 0, count: count)
        var unavailable: [Bool]?
        for slot in slots {
            let value = Self.value(of: slot.entry.source, snapshot: snapshot, health: health, now: now, since: start)
            let words = RegisterEncoder.encode(value, type: slot.entry.type, order: slot.entry.order, scale: slot.entry.scale)
            registers.replaceSubrange(slot.offset..<(slot.offset + words.count), with: words)
            if slot.entry.type.isInteger, !slot.entry.isStatus, value.map({ $0.isNaN }) ?? true {
                if unavailable == nil { unavailable = [Bool](repeating: false, count: count) }
                for i in slot.offset..<(slot.offset + words.count) { unavailable![i] = true }
            }
        }
        return (registers, unavailable)
    }

    /// What `on_stale: nan` serves while stale: `registers` (a rendering with the snapshot) with
    /// every meter-derived register rendered without meter data (NaN in floats, 0 in integers);
    /// the `status.*` registers keep their values (`status.quality` still tells what the last
    /// poll found).
    public func withoutMeterData(_ registers: [UInt16], health: MeterHealth, now: UInt64, since start: UInt64) -> [UInt16] {
        var stale = render(snapshot: nil, health: health, now: now, since: start)
        for i in stale.indices where !meterDerived[i] { stale[i] = registers[i] }
        return stale
    }

    /// `registers` (a rendering of `snapshot`) with only the `status.*` entries rendered again for
    /// `health` at `now`: what time alone changes, without decoding the meter's values.
    func renderStatus(over registers: [UInt16], snapshot: Snapshot?, health: MeterHealth, now: UInt64, since start: UInt64)
        -> [UInt16]
    {
        var registers = registers
        for slot in slots where slot.entry.isStatus {
            let value = Self.value(of: slot.entry.source, snapshot: snapshot, health: health, now: now, since: start)
            let words = RegisterEncoder.encode(value, type: slot.entry.type, order: slot.entry.order, scale: slot.entry.scale)
            registers.replaceSubrange(slot.offset..<(slot.offset + words.count), with: words)
        }
        return registers
    }

    static func value(of source: RegisterEntry.Source, snapshot: Snapshot?, health: MeterHealth, now: UInt64, since start: UInt64)
        -> Double?
    {
        switch source {
        case let .raw(t2k, type):
            return snapshot?.image.field(type, at: t2k)
        case let .value(definition):
            guard case let .status(status) = definition.source else { return snapshot?.value(of: definition) }
            switch status {
            case .online: return health.isFresh(at: now) ? 1 : 0
            case .age: return Double((now &- (health.lastGood ?? start)) / 1_000_000_000)
            case .pollsOK: return Double(health.pollsOK)
            case .pollsFailed: return Double(health.pollsFailed)
            case .quality: return Double(MeterQuality.now(snapshot: snapshot, health: health, at: now).rawValue)
            }
        }
    }

    /// One image per unit id, all sharing the same registers (and, for `on_stale: nan`, the
    /// registers served while stale; and the identity Read Device Identification answers with).
    public func images(
        unitIDs: [UInt8], registers: [UInt16], validUntil: UInt64?, onStale: StalePolicy = .exception,
        staleRegisters: [UInt16]? = nil, identity: DeviceIdentity? = nil, unavailable: [Bool]? = nil
    ) -> [UnitImage] {
        unitIDs.map {
            UnitImage(
                unitID: $0, start: start, registers: registers, meterDerived: meterDerived, validUntil: validUntil,
                onStale: onStale, staleRegisters: staleRegisters, identity: identity, unavailable: unavailable)
        }
    }
}
