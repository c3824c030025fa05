/// Where a named value comes from and how it is computed.
public enum ValueSource: Sendable, Hashable {
    /// One number at a T2K address.
    case field(address: UInt16, type: FieldType)
    /// An integrator: (whole part L + fraction part F) / k, k from the channel's `comma` byte.
    case integrator(Integrator)
    /// The meter clock as Unix seconds (the meter's local time read as UTC).
    case clock
    /// One part of the clock: 0 second, 1 minute, 2 hour, 3 day, 4 month, 5 year (4 digits).
    case clockPart(Int)
    /// Installed Flash in KiB, from the `FLASH_TYPE` code.
    case flashKiB
    /// A set flow limit: `g_max` × a percentage byte × factor.
    case flowLimit(gMax: UInt16, percent: UInt16, factor: Double)
    /// A field whose bytes the seed also lists as `comma` (`diam78` at 0x02FA): decoded only
    /// where `SharedCommaBytes.readable(under:)` says `comma` lives elsewhere, else missing.
    case sharedWithComma(address: UInt16, type: FieldType)
    /// A register of the archive window (served per Modbus connection from the archive store).
    case archiveWindow(ArchiveWindowValue)
    /// A bridge status value, not read from the meter.
    case status(StatusValue)
    /// A value of the newest complete archive record of one kind: `time`, `energy.1`, ….
    case archive(ArchiveKind, String)
}

/// The bridge's own values about a meter; they always answer, fresh or not.
public enum StatusValue: String, Sendable, Hashable, CaseIterable {
    case online, age, pollsOK = "polls_ok", pollsFailed = "polls_failed"
    /// The `MeterQuality` bits.
    case quality
}

/// The three archive areas of Flash.
public enum ArchiveKind: String, Sendable, Hashable, CaseIterable, Codable {
    case hourly, daily, monthly
}

/// The T2K addresses of one integrator and the scaling table that applies to it.
public struct Integrator: Sendable, Hashable {
    public enum Scaling: Sendable, Hashable {
        /// Energy: comma 6→100000, 5→10000, 4→1000, 3→100, 2→10, other→1.
        case energy
        /// Volume and mass: comma 5→1000, 4→100, 3→10, other→1.
        case volume

        /// The divisor k for a `comma` code.
        public func divisor(comma: UInt8) -> Double {
            switch (self, comma) {
            case (.energy, 6): 100_000
            case (.energy, 5): 10_000
            case (.energy, 4), (.volume, 5): 1_000
            case (.energy, 3), (.volume, 4): 100
            case (.energy, 2), (.volume, 3): 10
            default: 1
            }
        }
    }

    /// Address of the float32 fraction part F.
    public var fraction: UInt16
    /// Address of the uint32 whole part L.
    public var whole: UInt16
    /// Address of the `comma` byte that scales it, with `comma` at 0x02FA (`CommaAddress.listed`).
    public var comma: UInt16
    public var scaling: Scaling

    /// Address of the `comma` byte that scales it when the codes live at `location`.
    public func comma(at location: CommaAddress) -> UInt16 {
        location.address + (comma - CommaAddress.listed.address)
    }

    /// (L + F) / k. Both parts must come from one meter reply (see `ReadPlanner`).
    public func value(whole l: UInt32, fraction f: Float, comma: UInt8) -> Double {
        scaling.value(whole: l, fraction: f, comma: comma)
    }
}

/// A value name of the contract with its unit, meaning and source.
public struct ValueDefinition: Sendable, Hashable {
    public let name: String
    public let unit: String
    public let description: String
    public let source: ValueSource
    /// True for configuration, which changes only when the meter is reprogrammed (read on first
    /// contact and every `config_interval`, not every poll). An integrator's `comma` byte is
    /// configuration too, though the integrator is not (see `ReadPlanner.tiered`).
    public let isConfiguration: Bool

    /// True when the value is read from the meter's live memory (T2K).
    public var isFromT2K: Bool {
        switch source {
        case .status, .archive, .archiveWindow: false
        default: true
        }
    }

    /// The T2K byte ranges the value needs with `comma` at 0x02FA; each range must come from one reply.
    public var t2kRanges: [ClosedRange<UInt16>] { t2kRanges(comma: .listed) }

    /// The T2K byte ranges the value needs with `comma` at `location`.
    public func t2kRanges(comma location: CommaAddress) -> [ClosedRange<UInt16>] {
        switch source {
        case let .field(address, type), let .sharedWithComma(address, type):
            return [address...(address + UInt16(type.size) - 1)]
        case let .integrator(i):
            let low = min(i.fraction, i.whole), high = max(i.fraction, i.whole) + 3
            let comma = i.comma(at: location)
            return [low...high, comma...comma]
        case .clock, .clockPart:
            return [T2KMap.clock...(T2KMap.clock + 5)]
        case .flashKiB:
            return [T2KMap.flashType...(T2KMap.flashType + 1)]
        case let .flowLimit(gMax, percent, _):
            return [gMax...(gMax + 3), percent...percent]
        case .status, .archive, .archiveWindow:
            return []
        }
    }
}

/// Every value name of the contract, as data: the decoder, the planner, the mapping check,
/// the `registers` export and the docs all read this one table.
public enum ValueCatalog {
    /// All definitions, in presentation order.
    public static let all: [ValueDefinition] = build()

    private static let byName: [String: ValueDefinition] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The definition of `name`, or nil if the contract has no such value.
    public static func definition(named name: String) -> ValueDefinition? { byName[name] }

    /// Names of the archive record values (without the `archive.KIND.` prefix), as
    /// `ArchiveRecord.values` keys them: read from `ArchiveRecordLayout`, so an `archive.*` name
    /// exists only for a field the decoder reads.
    public static let archiveRecordNames: [(name: String, unit: String, description: String)] =
        ArchiveRecordLayout.values.map { ($0.name, $0.unit, $0.description) }

    private static func build() -> [ValueDefinition] {
        var out: [ValueDefinition] = []
        func add(_ name: String, _ unit: String, _ description: String, _ source: ValueSource, config: Bool = false) {
            out.append(
                ValueDefinition(name: name, unit: unit, description: description, source: source, isConfiguration: config))
        }
        func f32(_ base: UInt16, _ n: Int) -> ValueSource {
            .field(address: base + UInt16(4 * (n - 1)), type: .f32)
        }
        func u32(_ base: UInt16, _ n: Int) -> ValueSource {
            .field(address: base + UInt16(4 * (n - 1)), type: .u32)
        }
        func integrator(_ fraction: UInt16, _ whole: UInt16, _ n: Int, comma: Int, _ scaling: Integrator.Scaling) -> ValueSource {
            .integrator(
                Integrator(
                    fraction: fraction + UInt16(4 * (n - 1)), whole: whole + UInt16(4 * (n - 1)),
                    comma: T2KMap.comma + UInt16(comma - 1), scaling: scaling))
        }

        for n in 1...7 { add("temperature.\(n)", "°C", "temperature, channel \(n)", f32(T2KMap.temperature, n)) }
        for n in 1...7 { add("pressure.\(n)", "MPa", "pressure, channel \(n)", f32(T2KMap.pressure, n)) }
        for n in 1...6 { add("flow.\(n)", "m³/h", "volume flow, channel \(n)", f32(T2KMap.volumeFlow, n)) }
        for n in 7...8 { add("flow.\(n)", "m³/h", "volume flow, extra flowmeter \(n)", f32(T2KMap.flow78, n - 6)) }
        for n in 1...6 { add("mass_flow.\(n)", "t/h", "mass flow, channel \(n)", f32(T2KMap.massFlow, n)) }
        for n in 1...6 { add("frequency.\(n)", "Hz", "flowmeter frequency, channel \(n)", f32(T2KMap.frequency, n)) }
        for n in 1...6 {
            add(
                "energy.\(n)", "MWh", "energy, system \(n)",
                integrator(T2KMap.energyFraction, T2KMap.energyWhole, n, comma: n, .energy))
        }
        // PROTOCOL-NOTES decision 3: the seed does not say which comma scales energyall; system 1's.
        add(
            "energy.total", "MWh", "total energy (scaled by system 1's comma)",
            integrator(T2KMap.energyTotalFraction, T2KMap.energyTotalWhole, 1, comma: 1, .energy))
        for n in 1...6 {
            add(
                "volume.\(n)", "m³", "volume, channel \(n)",
                integrator(T2KMap.volumeFraction, T2KMap.volumeWhole, n, comma: n, .volume))
        }
        // The seed gives no comma for the extra flowmeters; like energyall, system 1's is used.
        for n in 7...8 {
            add(
                "volume.\(n)", "m³", "volume, extra flowmeter \(n) (scaled by system 1's comma)",
                integrator(T2KMap.volume78Fraction, T2KMap.volume78Whole, n - 6, comma: 1, .volume))
        }
        for n in 1...6 {
            add(
                "mass.\(n)", "t", "mass, channel \(n)",
                integrator(T2KMap.massFraction, T2KMap.massWhole, n, comma: n, .volume))
        }
        add("time.powered", "s", "seconds the meter has been powered", u32(T2KMap.timePowered, 1))
        for n in 1...6 {
            add("time.normal.\(n)", "s", "seconds system \(n) ran without error", u32(T2KMap.timeNormal, n))
            add("time.below_gmin.\(n)", "s", "seconds of system \(n) with flow below minimum", u32(T2KMap.timeBelowGMin, n))
            add("time.above_gmax.\(n)", "s", "seconds of system \(n) with flow above maximum", u32(T2KMap.timeAboveGMax, n))
            add("time.below_dtmin.\(n)", "s", "seconds of system \(n) with ΔT below minimum", u32(T2KMap.timeBelowDtMin, n))
            add("time.fault.\(n)", "s", "seconds of system \(n) with a technical fault", u32(T2KMap.timeFault, n))
        }
        add("clock", "s", "meter clock, Unix seconds (meter local time read as UTC)", .clock)
        for (i, part) in ["second", "minute", "hour", "day", "month", "year"].enumerated().reversed() {
            add("clock.\(part)", "", "meter clock: \(part)", .clockPart(i))
        }
        add("serial_number", "", "factory serial number", .field(address: T2KMap.serialNumber, type: .u32), config: true)
        add("network_address", "", "network address (net_num)", .field(address: T2KMap.networkAddress, type: .u8), config: true)
        add("systems", "", "number of heat systems configured", .field(address: T2KMap.systems, type: .u8), config: true)
        for n in 1...6 {
            add(
                "system_type.\(n)", "", "scheme type of system \(n) (0 supply … 9 temperature)",
                .field(address: T2KMap.systemType + UInt16(n - 1), type: .u8), config: true)
        }
        add("flash_kib", "KiB", "installed archive Flash", .flashKiB, config: true)
        for n in 1...6 {
            add(
                "diameter.\(n)", "mm", "flow channel diameter, channel \(n)",
                .field(address: T2KMap.diameter + UInt16(2 * (n - 1)), type: .u16), config: true)
        }
        for n in 1...6 { add("gmax.\(n)", "m³/h", "maximum flow Gmax, channel \(n)", f32(T2KMap.gMax, n), config: true) }
        for n in 1...6 {
            add(
                "gmax_set.\(n)", "m³/h", "set upper flow limit, channel \(n) (g_max × g_pcmt_max %)",
                .flowLimit(gMax: T2KMap.gMax + UInt16(4 * (n - 1)), percent: T2KMap.gMaxPercent + UInt16(n - 1), factor: 0.01),
                config: true)
            add(
                "gmin_set.\(n)", "m³/h", "set lower flow limit, channel \(n) (g_max × g_pcmt_min × 0.05 %)",
                .flowLimit(gMax: T2KMap.gMax + UInt16(4 * (n - 1)), percent: T2KMap.gMinPermille + UInt16(n - 1), factor: 0.0005),
                config: true)
        }
        for n in 1...6 { add("dt_min.\(n)", "°C", "minimum ΔT, system \(n)", f32(T2KMap.dtMin, n), config: true) }
        out += ConfigurationValues.definitions
        add("status.online", "", "1 while the meter's data is fresh, else 0", .status(.online))
        add("status.age", "s", "seconds since the last good poll (saturates)", .status(.age))
        add("status.polls_ok", "", "good polls since start", .status(.pollsOK))
        add("status.polls_failed", "", "failed polls since start", .status(.pollsFailed))
        add(
            "status.quality", "",
            "bit field, 0 = nothing doubtful: 1 stale, 2 comma unconfirmed, 4 implausible value this poll, 8 archive record damaged, 16 configuration not yet read",
            .status(.quality))
        for kind in ArchiveKind.allCases {
            for field in archiveRecordNames {
                add(
                    "archive.\(kind.rawValue).\(field.name)", field.unit,
                    "newest complete \(kind.rawValue) record: \(field.description)", .archive(kind, field.name))
            }
        }
        out += ArchiveWindowValues.definitions
        return out
    }
}
