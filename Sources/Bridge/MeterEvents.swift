import Config
import TEMProtocol

/// What the bridge tells an observer outside it (the executable connects MQTT here): each good
/// poll's values, and each change in whether a meter's data is fresh. Called in order on the
/// poller's or the renderer's thread, under the bridge's lock: a handler must return promptly
/// and must not call back into the bridge.
public struct MeterEvents: Sendable {
    public var polled: @Sendable (MeterReading) -> Void
    public var availability: @Sendable (_ meter: String, _ online: Bool) -> Void

    public init(
        polled: @escaping @Sendable (MeterReading) -> Void,
        availability: @escaping @Sendable (_ meter: String, _ online: Bool) -> Void
    ) {
        self.polled = polled
        self.availability = availability
    }
}

/// The mapped values of one good poll of one meter, as Modbus serves them before encoding
/// (unscaled): names as the map writes them, file order, `status.*` left out, and values the
/// poll did not give left out.
public struct MeterReading: Sendable, Equatable {
    public var meter: String
    /// The meter's factory serial number, when the map reads it (`serial_number`).
    public var serialNumber: UInt32?
    public var values: [MeterValue]
    /// What the poll found doubtful (`status.quality` as of the poll: never stale).
    public var quality: MeterQuality

    public init(meter: String, serialNumber: UInt32?, values: [MeterValue], quality: MeterQuality = []) {
        self.meter = meter
        self.serialNumber = serialNumber
        self.values = values
        self.quality = quality
    }

    /// The values of `snapshot` for `config`'s entries.
    public init(config: MeterConfig, snapshot: Snapshot) {
        var seen = Set<String>()
        var values: [MeterValue] = []
        for entry in config.registers where !entry.isStatus {
            let name = entry.sourceName
            guard seen.insert(name).inserted else { continue }
            let value: Double? =
                switch entry.source {
                case let .raw(t2k, type): snapshot.image.field(type, at: t2k)
                case let .value(definition): snapshot.value(of: definition)
                }
            if let value { values.append(MeterValue(name: name, value: value)) }
        }
        let serial = ValueCatalog.definition(named: "serial_number").flatMap { snapshot.value(of: $0) }
        self.init(
            meter: config.name, serialNumber: serial.flatMap { UInt32(exactly: $0) }, values: values,
            quality: snapshot.quality)
    }
}

/// One named number of a reading.
public struct MeterValue: Sendable, Equatable {
    public var name: String
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}
