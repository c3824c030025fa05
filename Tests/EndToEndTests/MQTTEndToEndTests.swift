import Foundation
import Testing

/// `tembridge serve` publishing to a real Mosquitto broker (started by each test on a free
/// loopback port), checked with `mosquitto_sub` as an independent subscriber and with
/// libmodbus reading the same bridge.
@Suite(.serialized) struct MQTTEndToEndTests {
    /// Values the state payload carries; all float64 registers so Modbus serves them exactly.
    static let registers = """
            - { address: 0, value: status.online, type: uint16 }
            - { address: 1, value: status.polls_ok, type: uint16 }
            - { address: 10, value: temperature.1, type: float64 }
            - { address: 14, value: energy.1, type: float64 }
            - { address: 18, value: volume.1, type: float64 }
            - { address: 22, value: serial_number, type: uint32 }
        """
    static let names = ["temperature.1", "energy.1", "volume.1"]

    /// Every value of one state message equals the one Modbus serves; the simulator is frozen,
    /// so each poll reads the same numbers and "the same poll" is every poll.
    @Test func stateEqualsModbusAndAvailabilityFollowsTheMeter() throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port)
        let rig = try MQTTRig(broker: broker)
        defer { rig.stop() }

        try subscriber.wait(for: "tembridge/bridge/availability") { $0 == "online" }
        try subscriber.wait(for: "tembridge/boiler/availability") { $0 == "online" }
        let payload = try subscriber.wait(for: "tembridge/boiler/state")
        // A frozen meter with its comma confirmed by the archive: nothing doubtful.
        #expect(payload.hasPrefix(#"{"quality":0,"time":""#))
        let time = String(payload.dropFirst(21).prefix(20))
        let parsed = try #require(ISO8601DateFormatter().date(from: time), "time \(time)")
        #expect(abs(parsed.timeIntervalSinceNow) < 30)
        let values = stateValues(payload)
        #expect(!values.keys.contains { $0.hasPrefix("status.") }, "\(payload)")
        let registers = try rig.client.read(unit: 1, address: 10, count: 14).get()
        for (index, name) in Self.names.enumerated() {
            let served = Decode.float64(Array(registers[(4 * index)..<(4 * index + 4)]))
            #expect(values[name] == served, "\(name): MQTT \(String(describing: values[name])), Modbus \(served)")
        }
        #expect(values["serial_number"] == Double(Decode.uint32(Array(registers[12..<14]))))
        #expect(values == (try rig.simulatorValues()).filter { values.keys.contains($0.key) })

        // The meter goes silent: stale on Modbus and offline on MQTT; then it answers again.
        try rig.control("fault silent")
        try subscriber.wait(for: "tembridge/boiler/availability", timeout: 10) { $0 == "offline" }
        #expect(rig.dataRegisters() == nil, "stale data must answer 0B")
        let statesWhenOffline = subscriber.payloads("tembridge/boiler/state").count
        try rig.control("fault none")
        try subscriber.wait(for: "tembridge/boiler/availability", skipping: 1, timeout: 10) { $0 == "online" }
        try subscriber.wait(for: "tembridge/boiler/state", skipping: statesWhenOffline, timeout: 10)
        #expect(subscriber.payloads("tembridge/boiler/availability") == ["online", "offline", "online"])
        #expect(subscriber.payloads("tembridge/bridge/availability") == ["online"])
    }

    /// `interval: 1s` with a poll every 200 ms: at most one state message a second.
    @Test func intervalLimitsStateMessages() throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topics: ["tembridge/boiler/state"])
        let rig = try MQTTRig(broker: broker, interval: "1s")
        defer { rig.stop() }
        try subscriber.wait(for: "tembridge/boiler/state")
        let polls = try rig.client.read(unit: 1, address: 1, count: 1).get()[0]
        usleep(3_500_000)
        let pollsAfter = try rig.client.read(unit: 1, address: 1, count: 1).get()[0]
        let states = subscriber.payloads("tembridge/boiler/state")
        #expect(pollsAfter - polls >= 10, "only \(pollsAfter - polls) polls in 3.5 s")
        #expect((3...5).contains(states.count), "\(states.count) state messages in about 3.5 s")
        // `{"quality":0,"time":"…`
        let times = states.compactMap { ISO8601DateFormatter().date(from: String($0.dropFirst(21).prefix(20))) }
        #expect(times.count == states.count)
    }

    /// `check` names the broker of a good section, and `serve` refuses to start (one line,
    /// exit 1) with a password file that is empty.
    @Test func checkAndAnEmptyPasswordFile() throws {
        let example = repositoryRoot.appendingPathComponent("mapping/examples/home-assistant-mqtt.yaml").path
        let checked = try tembridge(["check", "--mapping", example])
        #expect(checked.status == 0)
        #expect(checked.stdout.contains("MQTT to mqtt://127.0.0.1:1883"), "\(checked.stdout)")

        let empty = try temporaryFile("", name: "empty.secret")
        let map = try temporaryFile(
            """
            server: { listen: "127.0.0.1:0" }
            lines: [{ name: sim, endpoint: "sim://" }]
            meters: [{ name: m, address: 1, registers: [{ address: 0, value: temperature.1 }] }]
            mqtt: { broker: "mqtt://127.0.0.1:1", username: u, password_file: "\(empty)" }

            """)
        let served = try tembridge(["serve", "--mapping", map], timeout: 10)
        #expect(served.status == 1)
        let lines = served.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("MQTT password_file \(empty) is empty"), "\(served.stderr)")
    }

    /// kill -9: the broker publishes the bridge's last will.
    @Test func lastWillWhenKilled() throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topics: ["tembridge/bridge/availability"])
        let rig = try MQTTRig(broker: broker)
        defer { rig.stop() }
        try subscriber.wait(for: "tembridge/bridge/availability") { $0 == "online" }
        rig.bridge.signal(SIGKILL)
        rig.bridge.process.waitUntilExit()
        try subscriber.wait(for: "tembridge/bridge/availability", timeout: 10) { $0 == "offline" }
        #expect(try retainedMessages(port: broker.port, topics: ["tembridge/bridge/availability"]).values.first == "offline")
    }

    /// A clean stop says offline itself (a clean disconnect sends no will).
    @Test func offlineOnCleanStop() throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topics: ["tembridge/bridge/availability"])
        let rig = try MQTTRig(broker: broker)
        try subscriber.wait(for: "tembridge/bridge/availability") { $0 == "online" }
        #expect(rig.bridge.stop() == 0)
        rig.stop()
        try subscriber.wait(for: "tembridge/bridge/availability", timeout: 5) { $0 == "offline" }
    }

    /// One retained config per mapped value, valid JSON with the fields Home Assistant reads;
    /// a meter removed from the map has its configs cleared on reload.
    @Test func discoveryConfigsAndRemovedMeterClearedOnReload() throws {
        let broker = try MosquittoBroker()
        let subscriber = try Subscriber(port: broker.port, topics: ["homeassistant/#"])
        let rig = try MQTTRig(broker: broker, meters: ["boiler": 1, "flat": 2], homeAssistant: true)
        defer { rig.stop() }
        let node = "tembridge-e2e"
        let expectedTopics = Set(
            ["boiler", "flat"].flatMap { meter in
                ["temperature_1", "energy_1", "volume_1", "serial_number"].map {
                    "homeassistant/sensor/\(node)/\(meter)_\($0)/config"
                }
            })
        let deadline = Date().addingTimeInterval(15)
        var retained: [String: String] = [:]
        while Date() < deadline {
            retained = try retainedMessages(port: broker.port, topics: ["homeassistant/#"])
            if Set(retained.keys) == expectedTopics { break }
        }
        #expect(Set(retained.keys) == expectedTopics)
        let serials = try rig.simulatorSerials()
        for (topic, payload) in retained {
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any], "\(topic): \(payload)")
            let meter = topic.contains("/boiler_") ? "boiler" : "flat"
            let value = try #require(json["name"] as? String)
            let serial = try #require(serials[meter])
            #expect(json["unique_id"] as? String == "tem106_\(serial)_\(value.replacingOccurrences(of: ".", with: "_"))")
            #expect(json["state_topic"] as? String == "tembridge/\(meter)/state")
            #expect(json["value_template"] as? String == "{{ value_json['values']['\(value)'] }}")
            let availability = (json["availability"] as? [[String: String]])?.compactMap { $0["topic"] }
            #expect(availability == ["tembridge/bridge/availability", "tembridge/\(meter)/availability"])
            let device = try #require(json["device"] as? [String: Any])
            #expect(device["identifiers"] as? [String] == ["tem106_\(serial)"])
            #expect(device["model"] as? String == "TEM-106")
            let expected: (unit: String?, deviceClass: String?, stateClass: String?) =
                switch value {
                case "temperature.1": ("°C", "temperature", "measurement")
                case "energy.1": ("MWh", "energy", "total_increasing")
                case "volume.1": ("m³", "water", "total_increasing")
                default: (nil, nil, nil)
                }
            #expect(json["unit_of_measurement"] as? String == expected.unit, "\(topic)")
            #expect(json["device_class"] as? String == expected.deviceClass, "\(topic)")
            #expect(json["state_class"] as? String == expected.stateClass, "\(topic)")
        }

        try rig.rewriteMap(meters: ["boiler": 1], homeAssistant: true)
        rig.bridge.signal(SIGHUP)
        try rig.bridge.wait(for: "mapping reloaded: 1 meter")
        let flatTopics = expectedTopics.filter { $0.contains("/flat_") }
        for topic in flatTopics { try subscriber.wait(for: topic, timeout: 10) { $0.isEmpty } }
        let after = try retainedMessages(port: broker.port, topics: ["homeassistant/#"])
        #expect(Set(after.keys) == expectedTopics.subtracting(flatTopics))
        // The remaining meter keeps publishing.
        let subscriberState = try Subscriber(port: broker.port, topics: ["tembridge/boiler/state"])
        try subscriberState.wait(for: "tembridge/boiler/state", timeout: 10)
    }

    /// A reload that names another broker: the bridge says offline on the old one and
    /// publishes on the new one; Modbus serving goes on.
    @Test func reloadMovesToAnotherBroker() throws {
        let first = try MosquittoBroker()
        let second = try MosquittoBroker()
        let onFirst = try Subscriber(port: first.port)
        let onSecond = try Subscriber(port: second.port)
        let rig = try MQTTRig(broker: first)
        defer { rig.stop() }
        try onFirst.wait(for: "tembridge/boiler/state")
        #expect(onSecond.messages.isEmpty)

        rig.settings = rig.settings.replacingOccurrences(of: ":\(first.port)", with: ":\(second.port)")
        try rig.rewriteMap(meters: ["boiler": 1], homeAssistant: false)
        rig.bridge.signal(SIGHUP)
        try onSecond.wait(for: "tembridge/bridge/availability") { $0 == "online" }
        try onSecond.wait(for: "tembridge/boiler/availability") { $0 == "online" }
        try onSecond.wait(for: "tembridge/boiler/state")
        try onFirst.wait(for: "tembridge/bridge/availability", timeout: 5) { $0 == "offline" }
        let statesOnFirst = onFirst.payloads("tembridge/boiler/state").count
        usleep(1_000_000)
        #expect(onFirst.payloads("tembridge/boiler/state").count == statesOnFirst, "still publishing to the old broker")
        #expect(rig.dataRegisters() != nil)
    }

    /// The broker stops for 10 s: polling and Modbus serving go on without a pause, the bridge
    /// logs the loss once, reconnects when the broker is back and republishes its state and
    /// availability (the restarted broker keeps nothing: persistence is off).
    @Test func brokerGoneTenSecondsAndBack() throws {
        let broker = try MosquittoBroker()
        let rig = try MQTTRig(broker: broker, retain: true)
        defer { rig.stop() }
        let subscriber = try Subscriber(port: broker.port)
        try subscriber.wait(for: "tembridge/boiler/state")
        subscriber.stop()

        broker.stop()
        let stopped = Date()
        var pollsOK: [Int] = []
        var slowest = 0.0
        while Date().timeIntervalSince(stopped) < 10 {
            let before = Date()
            let status = try rig.client.read(unit: 1, address: 0, count: 2).get()
            #expect(status[0] == 1, "the meter went offline while the broker was away")
            #expect(rig.dataRegisters() != nil)
            slowest = max(slowest, Date().timeIntervalSince(before))
            pollsOK.append(Int(status[1]))
            usleep(100_000)
        }
        #expect(slowest < 0.5, "a Modbus read took \(slowest) s with the broker away")
        // Polls every 200 ms: about 50 in 10 s; never a pause of a second.
        #expect(pollsOK.last! - pollsOK.first! >= 30, "only \(pollsOK.last! - pollsOK.first!) polls in 10 s")
        try rig.bridge.wait(for: "MQTT: connection to .* lost")

        try broker.start()
        let back = try Subscriber(port: broker.port)
        try back.wait(for: "tembridge/bridge/availability", timeout: 20) { $0 == "online" }
        try back.wait(for: "tembridge/boiler/availability", timeout: 5) { $0 == "online" }
        try back.wait(for: "tembridge/boiler/state", timeout: 5)
        try rig.bridge.wait(for: "MQTT: back on")
        #expect(rig.bridge.process.isRunning)
        let lost = rig.bridge.stderr.split(separator: "\n").filter { $0.contains("MQTT: connection to") }
        #expect(lost.count == 1, "the loss is logged once: \(rig.bridge.stderr)")
        let retained = try retainedMessages(port: broker.port, topics: ["tembridge/#"])
        #expect(retained["tembridge/boiler/availability"] == "online")
        #expect(retained["tembridge/boiler/state"].map { !stateValues($0).isEmpty } == true)
    }

    /// mqtts:// with a CA and broker certificate made here: connects with ca_file; a broker
    /// whose certificate another CA signed is refused and reported, and Modbus goes on.
    @Test func tlsWithCAFileAndRefusedForeignCertificate() throws {
        let dir = try temporaryDirectory("tls")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try makeCertificates("good", in: dir)
        let other = try makeCertificates("other", in: dir)
        let tls = { (files: (ca: String, cert: String, key: String)) in
            "allow_anonymous true\ncafile \(files.ca)\ncertfile \(files.cert)\nkeyfile \(files.key)"
        }
        let broker = try MosquittoBroker(config: tls(good))
        let subscriber = try Subscriber(port: broker.port, options: ["--cafile", good.ca])
        let rig = try MQTTRig(broker: broker, scheme: "mqtts", caFile: good.ca)
        try subscriber.wait(for: "tembridge/bridge/availability") { $0 == "online" }
        try subscriber.wait(for: "tembridge/boiler/state")
        rig.stop()

        let foreign = try MosquittoBroker(config: tls(other))
        let watcher = try Subscriber(port: foreign.port, options: ["--cafile", other.ca])
        let refused = try MQTTRig(broker: foreign, scheme: "mqtts", caFile: good.ca)
        defer { refused.stop() }
        try refused.bridge.wait(for: "certificate verify failed")
        #expect(refused.dataRegisters() != nil, "Modbus must serve while MQTT is refused")
        usleep(3_000_000)
        #expect(watcher.messages.isEmpty, "\(watcher.output)")
        #expect(!refused.bridge.stderr.contains("MQTT: connected"))
        #expect(refused.bridge.process.isRunning)
        let reports = refused.bridge.stderr.split(separator: "\n").filter { $0.contains("certificate verify failed") }
        #expect(reports.count == 1, "reported once: \(refused.bridge.stderr)")

        // The broker gets a certificate the CA signed, on the same port: tembridge, which kept
        // retrying, connects without a restart.
        watcher.stop()
        foreign.stop()
        let fixed = try MosquittoBroker(config: tls(good), port: foreign.port)
        let fixedWatcher = try Subscriber(port: fixed.port, options: ["--cafile", good.ca])
        try fixedWatcher.wait(for: "tembridge/boiler/state", timeout: 25)
    }

    /// No broker yet when tembridge starts: it serves Modbus at once, and connects when the
    /// broker appears.
    @Test func brokerAbsentAtStart() throws {
        let port = try freeLoopbackPort()
        let absent = try MosquittoBroker(port: port)
        absent.stop()
        let rig = try MQTTRig(broker: absent)
        defer { rig.stop() }
        #expect(rig.dataRegisters() != nil)
        try rig.bridge.wait(for: "MQTT broker mqtt://127.0.0.1:\(port): Connection refused")
        try absent.start()
        let subscriber = try Subscriber(port: port)
        try subscriber.wait(for: "tembridge/boiler/state", timeout: 20)
        try rig.bridge.wait(for: "MQTT: connected")
    }

    /// username and password_file accepted; a wrong password is reported once, clearly, while
    /// libmosquitto keeps retrying, and Modbus goes on.
    @Test func usernameAndPasswordFile() throws {
        let dir = try temporaryDirectory("auth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let passwords = dir.appendingPathComponent("passwords").path
        try runTool("/usr/bin/mosquitto_passwd", ["-c", "-b", passwords, "plant", "right horse battery"])
        let broker = try MosquittoBroker(config: "allow_anonymous false\npassword_file \(passwords)")
        let subscriber = try Subscriber(port: broker.port, options: ["-u", "plant", "-P", "right horse battery"])
        let right = dir.appendingPathComponent("right.secret").path
        try "right horse battery\n".write(toFile: right, atomically: true, encoding: .utf8)
        let rig = try MQTTRig(broker: broker, username: "plant", passwordFile: right)
        try subscriber.wait(for: "tembridge/boiler/state")
        rig.stop()

        let wrong = dir.appendingPathComponent("wrong.secret").path
        try "wrong horse battery\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        let refused = try MQTTRig(broker: broker, username: "plant", passwordFile: wrong)
        defer { refused.stop() }
        try refused.bridge.wait(for: "refused the connection")
        usleep(4_000_000)  // libmosquitto retries after 1 s, 2 s, …
        let lines = refused.bridge.stderr.split(separator: "\n").filter { $0.contains("MQTT") && $0.contains("refused") }
        #expect(lines.count == 1, "\(refused.bridge.stderr)")
        #expect(lines.first?.contains("not authorised") == true || lines.first?.contains("not authorized") == true)
        #expect(lines.first?.contains("check username and password_file") == true)
        #expect(broker.log().components(separatedBy: "not authorised").count > 2, "libmosquitto should keep retrying")
        #expect(refused.dataRegisters() != nil)
    }
}

/// A frozen simulator (TCP) and `tembridge serve` polling it every 200 ms (stale after 1.5 s:
/// a loaded machine may lose a poll without the meter flapping) and publishing to
/// `broker`.
private final class MQTTRig {
    let simulator: Background
    let simulatorPort: Int
    let bridge: Background
    let client: ModbusClient
    let mapPath: String
    let broker: MosquittoBroker
    var settings: String

    init(
        broker: MosquittoBroker, meters: [String: Int] = ["boiler": 1], homeAssistant: Bool = false,
        retain: Bool = false, scheme: String = "mqtt", caFile: String? = nil, username: String? = nil,
        passwordFile: String? = nil, interval: String? = nil
    ) throws {
        self.broker = broker
        let addresses = meters.values.sorted().map(String.init).joined(separator: ",")
        simulator = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "77", "--addresses", addresses,
        ])
        simulatorPort = Int(try simulator.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))!
        var settings = "  client_id: tembridge-e2e\n  retain: \(retain)\n"
        if let caFile { settings += "  ca_file: \(caFile)\n" }
        if let username { settings += "  username: \(username)\n" }
        if let passwordFile { settings += "  password_file: \(passwordFile)\n" }
        if let interval { settings += "  interval: \(interval)\n" }
        self.settings = "  broker: \(scheme)://127.0.0.1:\(broker.port)\n" + settings
        mapPath = try temporaryFile(
            Self.yaml(simulatorPort: simulatorPort, meters: meters, settings: self.settings, homeAssistant: homeAssistant))
        bridge = try Background(["serve", "--mapping", mapPath])
        let port = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        client = try ModbusClient(port: port, timeout: 1)
        let deadline = Date().addingTimeInterval(10)
        while dataRegisters() == nil, Date() < deadline { usleep(20_000) }
    }

    func rewriteMap(meters: [String: Int], homeAssistant: Bool) throws {
        let yaml = Self.yaml(simulatorPort: simulatorPort, meters: meters, settings: settings, homeAssistant: homeAssistant)
        try yaml.write(toFile: mapPath, atomically: true, encoding: .utf8)
    }

    static func yaml(simulatorPort: Int, meters: [String: Int], settings: String, homeAssistant: Bool) -> String {
        let meterLines = meters.sorted { $0.value < $1.value }.map { name, address in
            "  - { name: \(name), line: l, address: \(address), unit_id: \(address), poll_interval: 200ms, stale_after: 1500ms, registers: set }"
        }
        return """
            server:
              listen: 127.0.0.1:0
            lines:
              - { name: l, endpoint: "tcp://127.0.0.1:\(simulatorPort)", timeout: 200ms, retries: 1 }
            meters:
            \(meterLines.joined(separator: "\n"))
            register_sets:
              set:
            \(MQTTEndToEndTests.registers)
            mqtt:
            \(settings)  home_assistant: \(homeAssistant)

            """
    }

    /// Unit 1's data registers 10..<24, or nil when they do not answer (0B when stale).
    func dataRegisters() -> [UInt16]? {
        try? client.read(unit: 1, address: 10, count: 14).get()
    }

    func simulatorValues(address: Int = 1) throws -> [String: Double] {
        let out = try tembridge(["read", "tcp://127.0.0.1:\(simulatorPort)", "--address", "\(address)", "--format", "json"])
        guard out.status == 0 else { throw TestFailure("read: \(out.stderr)") }
        return exactJSONNumbers(out.stdout)
    }

    /// Serial numbers of the simulated meters, by meter name (boiler 1, flat 2).
    func simulatorSerials() throws -> [String: Int] {
        [
            "boiler": Int(try simulatorValues(address: 1)["serial_number"] ?? 0),
            "flat": Int(try simulatorValues(address: 2)["serial_number"] ?? 0),
        ]
    }

    /// Sends a control command to the simulator and waits for its answer.
    func control(_ command: String) throws { try simulator.control(command) }

    func stop() {
        bridge.stop()
        simulator.stop()
    }
}
