import Config
import Foundation
import MQTT
import Mapping
import Platform
import TEMProtocol
import Testing

/// The pure pieces of the MQTT module: payloads, discovery configs, queue and rate policies.
@Suite struct StatePayloadTests {
    @Test func writesSortedKeysAndUTCTime() throws {
        let payload = StatePayload(
            time: 1_795_000_000,
            values: [("temperature.1", 71.25), ("energy.1", 1234.5), ("raw 0x0200 f32", -0.5)])
        let text = String(decoding: payload.json, as: UTF8.self)
        #expect(
            text
                == #"{"quality":0,"time":"2026-11-18T11:06:40Z","values":{"energy.1":1234.5,"raw 0x0200 f32":-0.5,"temperature.1":71.25}}"#
        )
        // The quality bits as of the poll (here: comma unconfirmed).
        let flagged = StatePayload(time: 0, values: [], quality: 2)
        #expect(String(decoding: flagged.json, as: UTF8.self) == #"{"quality":2,"time":"1970-01-01T00:00:00Z","values":{}}"#)
    }

    /// Every number reads back as exactly the same Double (parsed with `Double(String)`, as a
    /// strict consumer would).
    @Test func numbersRoundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [(name: String, value: Double)] = [
            ("a", 0.1), ("b", 1e-300), ("c", 123_456_789.123_456_78), ("d", Double(Float(71.3))), ("e", -0.0),
            ("f", Double.greatestFiniteMagnitude), ("g", 4_294_967_295), ("h", Double.leastNonzeroMagnitude),
        ]
        for i in 0..<500 {
            values.append(("r\(i)", Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)))
        }
        let text = String(decoding: StatePayload(time: WallClock.seconds(), values: values).json, as: UTF8.self)
        for (name, value) in values {
            let pattern = "\"\(name)\":"
            let start = try #require(text.range(of: pattern)).upperBound
            let number = text[start...].prefix { !",}".contains($0) }
            #expect(Double(number)?.bitPattern == value.bitPattern, "\(name): \(value) written as \(number)")
        }
    }

    @Test func leavesOutNonFiniteNumbers() {
        let payload = StatePayload(time: WallClock.seconds(), values: [("a", .nan), ("b", .infinity), ("c", 1)])
        #expect(payload.values == ["c": 1])
        #expect(String(decoding: payload.json, as: UTF8.self).contains(#""values":{"c":1}"#))
    }
}

@Suite struct DiscoveryConfigTests {
    let topics = MQTTTopics(prefix: "tembridge", clientID: "plant.1")

    func meter(_ values: [String]) -> MeterConfig {
        MeterConfig(
            name: "boiler", line: "l", address: 1, unitIDs: [1],
            registers: values.enumerated().map { index, name in
                RegisterEntry(address: UInt16(index * 4), source: .value(ValueCatalog.definition(named: name)!))
            } + [RegisterEntry(address: 100, source: .raw(t2k: 0x200, type: .f32))])
    }

    @Test func oneConfigPerValueWithoutStatus() throws {
        let configs = DiscoveryConfig.all(
            for: meter(["temperature.1", "status.online", "energy.1", "temperature.1"]), deviceID: "tem106_1234",
            serialNumber: 1234, topics: topics)
        #expect(
            configs.map(\.topic) == [
                "homeassistant/sensor/plant_1/boiler_temperature_1/config",
                "homeassistant/sensor/plant_1/boiler_energy_1/config",
                "homeassistant/sensor/plant_1/boiler_raw_0x0200_f32/config",
            ])
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(configs[0].config.json)) as? [String: Any])
        #expect(json["unique_id"] as? String == "tem106_1234_temperature_1")
        #expect(json["state_topic"] as? String == "tembridge/boiler/state")
        #expect(json["value_template"] as? String == "{{ value_json['values']['temperature.1'] }}")
        #expect(json["unit_of_measurement"] as? String == "°C")
        #expect(json["device_class"] as? String == "temperature")
        #expect(json["state_class"] as? String == "measurement")
        #expect(json["availability_mode"] as? String == "all")
        let availability = try #require(json["availability"] as? [[String: String]])
        #expect(availability.map { $0["topic"] } == ["tembridge/bridge/availability", "tembridge/boiler/availability"])
        let device = try #require(json["device"] as? [String: Any])
        #expect(device["identifiers"] as? [String] == ["tem106_1234"])
        #expect(device["model"] as? String == "TEM-106")
        #expect(device["serial_number"] as? String == "1234")
    }

    /// Units from the catalog; integrators count up, instantaneous values are measurements.
    @Test(
        arguments: [
            ("temperature.3", "°C", "temperature", "measurement"),
            ("pressure.1", "MPa", "pressure", "measurement"),
            ("energy.1", "MWh", "energy", "total_increasing"),
            ("energy.total", "MWh", "energy", "total_increasing"),
            ("volume.2", "m³", "water", "total_increasing"),
            ("mass.1", "t", nil, "total_increasing"),
            ("flow.1", "m³/h", "volume_flow_rate", "measurement"),
            ("mass_flow.1", "t/h", nil, "measurement"),
            ("time.powered", "s", "duration", "total_increasing"),
            ("serial_number", nil, nil, nil),
            ("archive.hourly.energy.1", "MWh", "energy", nil),
        ] as [(String, String?, String?, String?)])
    func classesFollowTheCatalog(value: String, unit: String?, deviceClass: String?, stateClass: String?) {
        let config = DiscoveryConfig(meter: "m", value: value, deviceID: "d", serialNumber: nil, topics: topics)
        #expect(config.unitOfMeasurement == unit)
        #expect(config.deviceClass == deviceClass)
        #expect(config.stateClass == stateClass)
        let text = String(decoding: config.json, as: UTF8.self)
        #expect(text.contains("device_class") == (deviceClass != nil))
    }
}

@Suite struct OutgoingQueueTests {
    func state(_ n: Int) -> OutgoingMessage {
        OutgoingMessage(topic: "t/m/state", payload: Array("\(n)".utf8), retain: false, kind: .state)
    }

    func availability(_ online: Bool) -> OutgoingMessage {
        OutgoingMessage(
            topic: "t/m/availability", payload: Array((online ? "online" : "offline").utf8), retain: true, kind: .availability)
    }

    @Test func dropsTheOldestStateFirstAndCountsIt() {
        var queue = OutgoingQueue(capacity: 3)
        queue.append(state(1))
        queue.append(availability(false))
        queue.append(state(2))
        queue.append(state(3))
        queue.append(state(4))
        #expect(queue.messages == [availability(false), state(3), state(4)])
        #expect(queue.dropped == 2)
        let (messages, dropped) = queue.take()
        #expect(messages.count == 3 && dropped == 2)
        #expect(queue.messages.isEmpty && queue.dropped == 0)
    }

    @Test func neverDropsAvailability() {
        var queue = OutgoingQueue(capacity: 2)
        for i in 0..<5 { queue.append(availability(i % 2 == 0)) }
        queue.append(state(1))
        #expect(queue.messages.count == 5)
        #expect(queue.messages.allSatisfy { $0.kind == .availability })
        #expect(queue.dropped == 1)
        queue.append(availability(true))
        #expect(queue.messages.count == 6)
    }
}

@Suite struct PublishLimiterTests {
    @Test func atMostOncePerInterval() {
        var limiter = PublishLimiter(interval: .seconds(10))
        let start = MonotonicClock.Instant.now
        let steps: [(String, Duration)] = [
            ("a", .zero), ("b", .zero), ("a", .seconds(5)), ("a", .milliseconds(9999)), ("a", .seconds(10)),
            ("a", .seconds(15)), ("b", .seconds(15)),
        ]
        let allowed = steps.map { limiter.allow($0.0, at: start + $0.1) }
        #expect(allowed == [true, true, false, false, true, false, true])
    }

    @Test func everyReadingWithoutInterval() {
        var limiter = PublishLimiter(interval: nil)
        let now = MonotonicClock.Instant.now
        let allowed = [limiter.allow("a", at: now), limiter.allow("a", at: now)]
        #expect(allowed == [true, true])
    }

    @Test func forgetsRemovedMeters() {
        var limiter = PublishLimiter(interval: .seconds(10))
        let now = MonotonicClock.Instant.now
        _ = limiter.allow("a", at: now)
        limiter.keep(only: [])
        let allowed = limiter.allow("a", at: now)
        #expect(allowed)
    }
}

@Suite struct MQTTTopicsTests {
    @Test func topics() {
        let topics = MQTTTopics(prefix: "plant/tem", clientID: "tembridge-host.local")
        #expect(topics.state("boiler") == "plant/tem/boiler/state")
        #expect(topics.availability("boiler") == "plant/tem/boiler/availability")
        #expect(topics.bridgeAvailability == "plant/tem/bridge/availability")
        #expect(topics.node == "tembridge-host_local")
        #expect(
            topics.discovery(meter: "boiler", value: "archive.daily.energy.1")
                == "homeassistant/sensor/tembridge-host_local/boiler_archive_daily_energy_1/config")
    }
}
