import Config
import Foundation
import Yams

/// Reads the `mqtt:` section (see docs/MAPPING.md, "`mqtt`").
extension MappingReader {
    static let mqttKeys = [
        "broker", "client_id", "username", "password_file", "ca_file", "topic", "qos", "retain", "interval",
        "home_assistant",
    ]

    /// The section, or nil when it has a problem (reported).
    mutating func readMQTT(_ node: Node) -> MQTTConfig? {
        guard let fields = read.fields(of: node, allowed: Self.mqttKeys) else { return nil }
        let problemsBefore = read.problems.count
        var broker: MQTTBroker?
        if let node = read.required("broker", in: fields), let text = read.string(node) {
            do throws(MQTTBrokerSyntaxError) {
                broker = try MQTTBroker(parsing: text)
            } catch {
                read.report(error.description, at: node)
            }
        }
        var config = MQTTConfig(broker: broker ?? MQTTBroker(host: "", port: 0, tls: false))
        if let node = fields["client_id"], let text = read.string(node) {
            if text.utf8.count > 23 || !text.allSatisfy(\.isASCII) {
                // MQTT 3.1.1 brokers must accept 1...23 ASCII characters; most accept more.
                read.report(
                    "client_id '\(text)' is longer than 23 characters or not ASCII (not every broker accepts it)", at: node)
            }
            config.clientID = text
        }
        if let node = fields["username"] { config.username = read.string(node) }
        if let node = fields["password_file"], let path = read.string(node) {
            if readable(path, what: "password_file", at: node) { config.passwordFile = path }
            if fields["username"] == nil {
                read.report("password_file without username (the broker needs both)", at: node)
            }
        }
        if let node = fields["ca_file"], let path = read.string(node) {
            if readable(path, what: "ca_file", at: node) { config.caFile = path }
            if let broker, !broker.tls {
                read.report("ca_file applies to mqtts:// brokers; \(broker) is not TLS", at: node)
            }
        }
        if let node = fields["topic"], let text = read.string(node) {
            if text.contains("+") || text.contains("#") {
                read.report("topic '\(text)' contains a wildcard (+ or #); a topic to publish to cannot", at: node)
            } else if text.hasPrefix("/") || text.hasSuffix("/") || text.contains("//") {
                read.report("topic '\(text)' has an empty level (leading, trailing or double '/')", at: node)
            } else if text == "homeassistant" || text.hasPrefix("homeassistant/") {
                read.report("topic '\(text)' is Home Assistant's discovery prefix; choose another", at: node)
            } else {
                config.topic = text
            }
        }
        if let node = fields["qos"], let value = read.integer(node) {
            if value == 0 || value == 1 {
                config.qos = value
            } else {
                read.report("qos \(value) is not supported (use 0 or 1)", at: node)
            }
        }
        if let node = fields["retain"], let value = read.bool(node) { config.retain = value }
        if let node = fields["interval"] { config.interval = read.duration(node, what: "interval") }
        if let node = fields["home_assistant"], let value = read.bool(node) { config.homeAssistant = value }
        guard broker != nil, read.problems.count == problemsBefore else { return nil }
        return config
    }

    /// True when `path` is a readable file; else reports why not.
    private mutating func readable(_ path: String, what: String, at node: Node) -> Bool {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            read.report("\(what) '\(path)' does not exist", at: node)
            return false
        }
        guard !isDirectory.boolValue else {
            read.report("\(what) '\(path)' is a directory", at: node)
            return false
        }
        guard files.isReadableFile(atPath: path) else {
            read.report("\(what) '\(path)' is not readable (permission denied)", at: node)
            return false
        }
        return true
    }

    /// With MQTT, each meter's name is a topic level: `<topic>/<meter>/state`.
    mutating func checkTopicNames(_ meters: [ReadMeter]) {
        for meter in meters {
            guard let name = meter.name else { continue }
            if name.contains(where: { "+#/".contains($0) }) {
                read.report("meter name '\(name)' cannot be an MQTT topic level (no +, # or /)", at: meter.namePosition)
            } else if name == "bridge" {
                read.report("meter name 'bridge' is taken by the MQTT topic <topic>/bridge/availability", at: meter.namePosition)
            }
        }
    }
}
