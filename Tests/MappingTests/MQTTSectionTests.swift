import Config
import Foundation
import Mapping
import Testing

/// The `mqtt:` section: every key read, defaults, and broker URLs.
@Suite struct MQTTSectionTests {
    static let base = """
        lines: [{ name: sim, endpoint: "sim://" }]
        meters: [{ name: boiler, address: 1, registers: [{ address: 0, value: temperature.1 }] }]

        """

    @Test func readsEveryKey() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-\(UUID().uuidString).secret")
        try "s3cret\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let mapping = try MappingParser.parse(
            yaml: Self.base + """
                mqtt:
                  broker: mqtts://broker.example:8884
                  client_id: tembridge-plant-1
                  username: plant
                  password_file: \(secret.path)
                  ca_file: \(secret.path)
                  topic: plant/heat
                  qos: 0
                  retain: true
                  interval: 10s
                  home_assistant: true
                """, file: "m.yaml")
        let mqtt = try #require(mapping.mqtt)
        #expect(mqtt.broker == MQTTBroker(host: "broker.example", port: 8884, tls: true))
        #expect(mqtt.clientID == "tembridge-plant-1")
        #expect(mqtt.username == "plant")
        #expect(mqtt.passwordFile == secret.path && mqtt.caFile == secret.path)
        #expect(mqtt.topic == "plant/heat")
        #expect(mqtt.qos == 0 && mqtt.retain && mqtt.homeAssistant)
        #expect(mqtt.interval == .seconds(10))
    }

    @Test func defaults() throws {
        let mapping = try MappingParser.parse(yaml: Self.base + "mqtt: { broker: \"mqtt://127.0.0.1\" }\n", file: "m.yaml")
        #expect(
            mapping.mqtt
                == MQTTConfig(
                    broker: MQTTBroker(host: "127.0.0.1", port: 1883, tls: false), clientID: nil, username: nil,
                    passwordFile: nil, caFile: nil, topic: "tembridge", qos: 1, retain: false, interval: nil,
                    homeAssistant: false))
        #expect(try MappingParser.parse(yaml: Self.base, file: "m.yaml").mqtt == nil)
    }

    @Test(arguments: [
        ("mqtt://h", "mqtt://h:1883"), ("mqtts://h", "mqtts://h:8883"), ("mqtt://10.0.0.1:1884", "mqtt://10.0.0.1:1884"),
    ])
    func brokerURLs(text: String, parsed: String) throws {
        #expect(try MQTTBroker(parsing: text).description == parsed)
    }

    @Test(arguments: ["tcp://h:1883", "mqtt://", "mqtt://h:0", "mqtt://h:x", "mqtt://user@h", "mqtt://h/path"])
    func badBrokerURLs(text: String) {
        #expect(throws: MQTTBrokerSyntaxError.self) { try MQTTBroker(parsing: text) }
    }
}
