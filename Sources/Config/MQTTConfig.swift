/// The `mqtt:` section: where and how the bridge publishes meter values over MQTT. Every value
/// here has passed the reader's checks: the broker URL parses, the topic has no wildcard, QoS
/// is 0 or 1, and the password and CA files were readable when the map was read.
public struct MQTTConfig: Sendable, Equatable {
    public static let defaultTopic = "tembridge"

    public var broker: MQTTBroker
    /// Nil: `tembridge-<hostname>`, chosen when connecting.
    public var clientID: String?
    public var username: String?
    /// The file holding the password (its first line); never the password itself.
    public var passwordFile: String?
    /// CA certificate(s) (PEM) that sign the broker's certificate; nil trusts the system's CAs.
    public var caFile: String?
    /// The prefix of every topic the bridge publishes (never `homeassistant/`).
    public var topic: String
    public var qos: Int
    /// Whether state messages are retained (availability and discovery always are).
    public var retain: Bool
    /// At most one state message per meter per interval; nil publishes every good poll.
    public var interval: Duration?
    /// Publish Home Assistant discovery configs under `homeassistant/`.
    public var homeAssistant: Bool

    public init(
        broker: MQTTBroker, clientID: String? = nil, username: String? = nil, passwordFile: String? = nil,
        caFile: String? = nil, topic: String = defaultTopic, qos: Int = 1, retain: Bool = false,
        interval: Duration? = nil, homeAssistant: Bool = false
    ) {
        self.broker = broker
        self.clientID = clientID
        self.username = username
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.topic = topic
        self.qos = qos
        self.retain = retain
        self.interval = interval
        self.homeAssistant = homeAssistant
    }
}

/// `mqtt://HOST[:PORT]` (plain, port 1883) or `mqtts://HOST[:PORT]` (TLS, port 8883).
public struct MQTTBroker: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public var tls: Bool

    public init(host: String, port: UInt16, tls: Bool) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// Parses a broker URL; the error text says what is wrong and how to write it.
    public init(parsing text: String) throws(MQTTBrokerSyntaxError) {
        let hint = "write mqtt://HOST:PORT or mqtts://HOST:PORT"
        let rest: Substring
        if text.hasPrefix("mqtt://") {
            tls = false
            rest = text.dropFirst("mqtt://".count)
        } else if text.hasPrefix("mqtts://") {
            tls = true
            rest = text.dropFirst("mqtts://".count)
        } else {
            throw MQTTBrokerSyntaxError(text: text, reason: hint)
        }
        var hostPart = rest
        port = tls ? 8883 : 1883
        if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            let digits = rest[rest.index(after: colon)...]
            guard let number = UInt16(digits), number > 0 else {
                throw MQTTBrokerSyntaxError(text: text, reason: "port '\(digits)' is not 1...65535")
            }
            port = number
        }
        let allowed = hostPart.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        guard !hostPart.isEmpty, allowed else {
            throw MQTTBrokerSyntaxError(text: text, reason: hint)
        }
        host = String(hostPart)
    }

    public var description: String { "\(tls ? "mqtts" : "mqtt")://\(host):\(port)" }
}

/// A broker URL that does not read as `mqtt[s]://HOST[:PORT]`.
public struct MQTTBrokerSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "malformed broker URL '\(text)' (\(reason))" }
}
