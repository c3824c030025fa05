// The MQTT module publishes what the bridge polls to an MQTT broker: state messages, meter and
// bridge availability, and Home Assistant discovery configs. It is the only code that touches
// libmosquitto (`CMosquitto`, in MosquittoClient.swift). The pure pieces (payloads, discovery
// configs, queue and rate policies, topics) are values testable without a broker.
// It must not import ModbusServer, CModbus, Bridge or TEMSimulator: the executable composes
// the bridge and the publisher.

/// The topics the bridge publishes under a prefix (`mqtt.topic`), and Home Assistant's.
public struct MQTTTopics: Sendable, Equatable {
    /// Home Assistant's default discovery prefix.
    public static let discoveryPrefix = "homeassistant"

    public let prefix: String
    /// Home Assistant's node id: the client id with what HA does not allow replaced by `_`.
    public let node: String

    public init(prefix: String, clientID: String) {
        self.prefix = prefix
        node = Self.identifier(clientID)
    }

    /// `<prefix>/<meter>/state`
    public func state(_ meter: String) -> String { "\(prefix)/\(meter)/state" }
    /// `<prefix>/<meter>/availability`
    public func availability(_ meter: String) -> String { "\(prefix)/\(meter)/availability" }
    /// `<prefix>/bridge/availability`: `online`, or `offline` as the last will.
    public var bridgeAvailability: String { "\(prefix)/bridge/availability" }

    /// `homeassistant/sensor/<node>/<meter>_<value>/config`
    public func discovery(meter: String, value: String) -> String {
        "\(Self.discoveryPrefix)/sensor/\(node)/\(Self.identifier(meter + "_" + value))/config"
    }

    /// `text` with every character but ASCII letters, digits, `_` and `-` replaced by `_`
    /// (Home Assistant's rule for node and object ids).
    public static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" })
    }
}

/// What the bridge publishes on an availability topic.
public enum Availability: String, Sendable {
    case online, offline
}
