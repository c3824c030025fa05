import TEMProtocol

/// A checked mapping file: what the bridge serves, which lines it polls, and which registers
/// each meter answers with. Every value here has passed `MappingParser`'s checks: references
/// resolve, unit ids are unique, registers of one unit never overlap.
public struct Mapping: Sendable, Equatable {
    public var server: ServerConfiguration
    public var lines: [LineConfig]
    public var meters: [MeterConfig]
    /// Where meter values are published over MQTT; nil when the file has no `mqtt` section.
    public var mqtt: MQTTConfig?
    /// `archive_store:`, if the file has one.
    public var archiveStore: ArchiveStoreConfig?
    /// The operations console (`http:`); nil = none.
    public var http: HTTPConfiguration?

    /// A mapping without the optional sections (`mqtt`, `archive_store`, `http`); set those as
    /// the file has them.
    public init(server: ServerConfiguration, lines: [LineConfig], meters: [MeterConfig]) {
        self.server = server
        self.lines = lines
        self.meters = meters
    }

    /// The line called `name`.
    public func line(named name: String) -> LineConfig? {
        lines.first { $0.name == name }
    }

    /// The first meter answering for Modbus unit id `unitID` on listener `listener` (0: the
    /// first `server.listen` address); with `register_offset`, several may.
    public func meter(unitID: UInt8, listener: Int = 0) -> MeterConfig? {
        meters.first { $0.listener == listener && $0.unitIDs.contains(unitID) }
    }

    /// The meters polled on the line called `line`, in file order.
    public func meters(onLine line: String) -> [MeterConfig] {
        meters.filter { $0.line == line }
    }
}

/// One meter line: one endpoint, one poller; exchanges on a line never overlap.
public struct LineConfig: Sendable, Equatable {
    public static let defaultTimeout: Duration = .seconds(1)
    public static let defaultRetries = 2

    public var name: String
    public var endpoint: Endpoint
    /// How long one exchange waits for the meter's reply.
    public var timeout: Duration
    /// Repeats of a failed exchange before the poll counts as failed.
    public var retries: Int

    public init(name: String, endpoint: Endpoint, timeout: Duration = defaultTimeout, retries: Int = defaultRetries) {
        self.name = name
        self.endpoint = endpoint
        self.timeout = timeout
        self.retries = retries
    }
}

/// One TEM-106 on a line and the Modbus unit id(s) answering for it.
public struct MeterConfig: Sendable, Equatable {
    public static let defaultPollInterval: Duration = .seconds(5)
    /// `stale_after` when the file does not give one: three poll intervals, so the data goes
    /// stale after two polls in a row have failed.
    public static func defaultStaleAfter(pollInterval: Duration) -> Duration { pollInterval * 3 }

    public var name: String
    /// The `LineConfig.name` of the line the meter is on.
    public var line: String
    /// The meter's TEM-106 network address.
    public var address: UInt8
    /// The Modbus unit ids answering with this meter's registers (at least one).
    public var unitIDs: [UInt8]
    public var pollInterval: Duration
    /// With no good poll for this long, the meter's data is stale (Modbus exception 0B).
    public var staleAfter: Duration
    /// The register entries, resolved from a register set or the meter's inline list, in file
    /// order, at their served addresses (the file's address + `registerOffset`).
    public var registers: [RegisterEntry]
    /// `register_offset`: how many registers higher than the file's addresses the meter's
    /// registers are served, so that several meters may share one unit id.
    public var registerOffset = 0
    /// Index into `ServerConfiguration.listeners` of the listener serving the meter's unit ids
    /// (`listen:`; 0, the first, by default).
    public var listener = 0
    /// What meter-derived registers answer once the data is stale (`on_stale`).
    public var onStale: StalePolicy
    /// `comma_address`: where the meter keeps `comma`, fixed by the map; nil: ask the meter
    /// (`CommaDetection`).
    public var commaAddress: CommaAddress?
    /// `config_interval`: the longest time between two reads of the meter's configuration.
    public var configInterval: Duration
    public static let defaultConfigInterval: Duration = .seconds(3600)

    public init(
        name: String, line: String, address: UInt8, unitIDs: [UInt8],
        pollInterval: Duration = defaultPollInterval, staleAfter: Duration? = nil,
        registers: [RegisterEntry], onStale: StalePolicy = .exception, commaAddress: CommaAddress? = nil,
        configInterval: Duration = defaultConfigInterval
    ) {
        self.name = name
        self.line = line
        self.address = address
        self.unitIDs = unitIDs
        self.pollInterval = pollInterval
        self.staleAfter = staleAfter ?? Self.defaultStaleAfter(pollInterval: pollInterval)
        self.registers = registers
        self.onStale = onStale
        self.commaAddress = commaAddress
        self.configInterval = configInterval
    }
}

/// One value placed at a Modbus address.
public struct RegisterEntry: Sendable, Equatable {
    /// What the register holds.
    public enum Source: Sendable, Equatable {
        /// A named value of the contract (see `ValueCatalog`).
        case value(ValueDefinition)
        /// A number read straight from T2K memory: `type.size` bytes at `t2k`, big-endian.
        case raw(t2k: UInt16, type: FieldType)
    }

    /// 0-based Modbus protocol address of the first register.
    public var address: UInt16
    public var source: Source
    public var type: RegisterType
    public var order: WordOrder
    /// register = value × scale; only for integer types (nil means 1). See docs/MAPPING.md.
    public var scale: Double?
    /// The file's own description, if any.
    public var description: String?

    public init(
        address: UInt16, source: Source, type: RegisterType = .float32, order: WordOrder = .ABCD,
        scale: Double? = nil, description: String? = nil
    ) {
        self.address = address
        self.source = source
        self.type = type
        self.order = order
        self.scale = scale
        self.description = description
    }

    /// Registers the entry occupies.
    public var count: Int { type.registerCount }

    /// The address of the entry's last register (Int: it is checked to be ≤ 65535).
    public var lastAddress: Int { Int(address) + count - 1 }

    /// True for `status.*` values: the bridge's own, served whether the meter's data is fresh or not.
    /// (Archive window registers are too: they come from the archive store, not a poll.)
    public var isStatus: Bool {
        guard case let .value(definition) = source else { return false }
        switch definition.source {
        case .status, .archiveWindow: return true
        default: return false
        }
    }

    /// The value's name as the file writes it: `temperature.1`, or `raw 0x0200 f32`.
    public var sourceName: String {
        switch source {
        case let .value(definition): definition.name
        case let .raw(t2k, type): "raw \(hex(Int(t2k))) \(type.rawValue)"
        }
    }

    /// The entry's description, else the catalog's; empty for raw entries without one.
    public var effectiveDescription: String {
        if let description { return description }
        if case let .value(definition) = source { return definition.description }
        return ""
    }

    /// Unit of measure from the catalog; empty for raw entries.
    public var unitOfMeasure: String {
        if case let .value(definition) = source { return definition.unit }
        return ""
    }
}

/// How a value is laid out in Modbus registers.
public enum RegisterType: String, Sendable, CaseIterable {
    case uint16, int16, uint32, int32, float32, float64

    /// 16-bit registers the type occupies.
    public var registerCount: Int {
        switch self {
        case .uint16, .int16: 1
        case .uint32, .int32, .float32: 2
        case .float64: 4
        }
    }

    /// True for the integer types, the only ones that take a `scale`.
    public var isInteger: Bool {
        switch self {
        case .uint16, .int16, .uint32, .int32: true
        case .float32, .float64: false
        }
    }
}

/// Order of a value's bytes across its registers. Letters name the value's big-endian bytes
/// A (most significant) to D; see docs/MAPPING.md for 16- and 64-bit values.
public enum WordOrder: String, Sendable, CaseIterable {
    /// Big-endian registers, most significant first (the Modbus convention).
    case ABCD
    /// Registers least significant first ("word swap"), bytes big-endian in each.
    case CDAB
    /// Registers most significant first, bytes swapped in each ("byte swap").
    case BADC
    /// Registers least significant first and bytes swapped: fully little-endian.
    case DCBA

    /// True when registers come least significant first.
    public var swapsWords: Bool { self == .CDAB || self == .DCBA }
    /// True when the two bytes of each register are swapped.
    public var swapsBytes: Bool { self == .BADC || self == .DCBA }
}

/// `0x0200`: T2K addresses are written in hex, at least four digits (negative ones in decimal).
public func hex(_ value: Int) -> String {
    guard value >= 0 else { return String(value) }
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
