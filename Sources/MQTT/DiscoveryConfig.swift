import Config
import JSONOutput
import TEMProtocol

/// One Home Assistant MQTT discovery config: a sensor for one mapped value of one meter,
/// published retained on `homeassistant/sensor/<node>/<meter>_<value>/config`.
public struct DiscoveryConfig: Sendable, Equatable, Encodable {
    public struct Device: Sendable, Equatable, Encodable {
        public var identifiers: [String]
        public var name: String
        public var model: String
        public var manufacturer: String
        public var serialNumber: String?

        enum CodingKeys: String, CodingKey {
            case identifiers, name, model, manufacturer
            case serialNumber = "serial_number"
        }
    }

    public struct AvailabilityTopic: Sendable, Equatable, Encodable {
        public var topic: String
    }

    public var name: String
    public var uniqueID: String
    public var stateTopic: String
    public var valueTemplate: String
    public var unitOfMeasurement: String?
    public var deviceClass: String?
    public var stateClass: String?
    public var availability: [AvailabilityTopic]
    /// Available only while both the bridge and the meter are.
    public var availabilityMode = "all"
    public var device: Device

    enum CodingKeys: String, CodingKey {
        case name, availability, device
        case uniqueID = "unique_id"
        case stateTopic = "state_topic"
        case valueTemplate = "value_template"
        case unitOfMeasurement = "unit_of_measurement"
        case deviceClass = "device_class"
        case stateClass = "state_class"
        case availabilityMode = "availability_mode"
    }

    /// The config for value `name` (as the map writes it) of `meter`. `deviceID` identifies the
    /// meter: its serial number when known.
    public init(meter: String, value name: String, deviceID: String, serialNumber: UInt32?, topics: MQTTTopics) {
        let kind = ValueKind(name: name)
        self.name = name
        uniqueID = MQTTTopics.identifier("\(deviceID)_\(name)")
        stateTopic = topics.state(meter)
        valueTemplate = "{{ value_json['values']['\(name)'] }}"
        unitOfMeasurement = kind.unit
        deviceClass = kind.deviceClass
        stateClass = kind.stateClass
        availability = [
            AvailabilityTopic(topic: topics.bridgeAvailability), AvailabilityTopic(topic: topics.availability(meter)),
        ]
        device = Device(
            identifiers: [deviceID], name: meter, model: "TEM-106", manufacturer: "TEM",
            serialNumber: serialNumber.map(String.init))
    }

    /// The JSON bytes, keys sorted.
    public var json: [UInt8] {
        Array(JSONText.document(self).utf8)
    }

    /// The configs of every value `meter` publishes (`status.*` left out), in file order.
    public static func all(for meter: MeterConfig, deviceID: String, serialNumber: UInt32?, topics: MQTTTopics) -> [(
        topic: String, config: DiscoveryConfig
    )] {
        var seen = Set<String>()
        return meter.registers.compactMap { entry in
            let value = entry.sourceName
            guard !entry.isStatus, seen.insert(value).inserted else { return nil }
            let config = DiscoveryConfig(
                meter: meter.name, value: value, deviceID: deviceID, serialNumber: serialNumber, topics: topics)
            return (topics.discovery(meter: meter.name, value: value), config)
        }
    }
}

/// How Home Assistant should treat a value, from the catalog's unit and the kind of source.
struct ValueKind: Equatable {
    var unit: String?
    var deviceClass: String?
    var stateClass: String?

    init(name: String) {
        guard let definition = ValueCatalog.definition(named: name) else {
            // A raw T2K number: no unit known.
            self.init(unit: nil, deviceClass: nil, stateClass: "measurement")
            return
        }
        let unit = definition.unit.isEmpty ? nil : definition.unit
        var isCounter = false
        var isArchive = false
        switch definition.source {
        case .integrator: isCounter = true
        case .field where name.hasPrefix("time."): isCounter = true
        case .archive: isArchive = true
        default: break
        }
        let deviceClass: String? =
            switch definition.unit {
            case "°C": "temperature"
            case "MPa": "pressure"
            case "MWh": "energy"
            case "m³": "water"
            case "m³/h": "volume_flow_rate"
            case "Hz": "frequency"
            case "KiB": "data_size"
            case "mm": "distance"
            case "s" where isCounter: "duration"
            default: nil
            }
        let stateClass: String? =
            if isCounter {
                "total_increasing"
            } else if isArchive || unit == nil || name == "clock" {
                // Archive records, identifiers, codes and the clock are not measurements.
                nil
            } else {
                "measurement"
            }
        self.init(unit: unit, deviceClass: deviceClass, stateClass: stateClass)
    }

    init(unit: String?, deviceClass: String?, stateClass: String?) {
        self.unit = unit
        self.deviceClass = deviceClass
        self.stateClass = stateClass
    }
}
