import Foundation
import Testing

/// The programmed configuration by name (issue 19): `read --format json` shows it, and a map's
/// register answers it; `diameter.7/8` (`diam78`) only where `comma` is proven at 0x02E8.
@Suite struct ConfigurationValuesEndToEndTests {
    /// `read --format json` of `endpoint`: every value, nulls kept as NSNull.
    static func read(_ endpoint: String) throws -> [String: Any] {
        let out = try tembridge(["read", endpoint, "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Any]
        return json["values"] as! [String: Any]
    }

    @Test func readShowsTheProgrammedValues() throws {
        let values = try Self.read("sim://?frozen=1&seed=3")
        #expect(values["channels.flow.1"] as? Double == 0x03)
        #expect(values["channels.flow.2"] as? Double == 0x0C)
        #expect(values["channels.temperature.1"] as? Double == 0x13)
        #expect(values["channels.pressure.2"] as? Double == 0x0C)
        #expect(values["sensors_used.temperature"] as? Double == 0x1F)
        #expect(values["flowmeter_binding.3"] as? Double == 2)
        #expect(values["programmed_temperature.5"] as? Double == 5)
        #expect(values["programmed_temperature.1"] as? Double == 95)
        // Float32 in the meter; JSONSerialization reads the last digit loosely.
        #expect((values["programmed_pressure.2"] as? Double).map(Float.init) == 0.4)
        #expect((values["pulse_weight.3"] as? Double).map(Float.init) == 0.001)
        #expect((values["gmax.8"] as? Double).map(Float.init) == 6.3)
        #expect(values["fmax.7"] as? Double == 0.5)
        #expect(values["fmax.3"] as? Double == 1)
        // comma lives at 0x02FA here: its bytes are not a diameter.
        #expect(values["diameter.7"] is NSNull)
        #expect(values.keys.contains("diameter.8"))
        // A meter that keeps comma at 0x02E8, proven by its archive: diam78 is served.
        let hole = try Self.read("sim://?frozen=1&seed=3&comma=0x2E8")
        #expect(hole["diameter.7"] as? Double == 15)
        #expect(hole["diameter.8"] as? Double == 20)
        #expect(hole["programmed_temperature.5"] as? Double == 5)
    }

    static func map(_ endpoint: String) -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: 300ms, retries: 0 }
        meters:
          - name: m
            line: l
            address: 1
            unit_id: 1
            poll_interval: 200ms
            stale_after: 30s
            registers:
              - { address: 0, value: programmed_temperature.5, type: float32 }
              - { address: 2, value: channels.temperature.1, type: uint16 }
              - { address: 3, value: gmax.8, type: uint16, scale: 10 }
              - { address: 4, value: diameter.7, type: float32 }

        """
    }

    @Test func mappedRegistersAnswerTheProgrammedValues() throws {
        for (endpoint, diameter) in [("sim://?frozen=1&seed=3&comma=0x2E8", Float(15)), ("sim://?frozen=1&seed=3", Float.nan)] {
            let (server, port, _) = try BridgeEndToEndTests.serve(Self.map(endpoint))
            defer { server.stop() }
            let client = try ModbusClient(port: port)
            let registers = try BridgeEndToEndTests.eventually(
                { client.read(unit: 1, address: 0, count: 6) }, until: BridgeEndToEndTests.succeeded
            ).get()
            #expect(Decode.float32(Array(registers[0..<2])) == 5)
            #expect(registers[2] == 0x13)
            #expect(registers[3] == 63)
            let served = Decode.float32(Array(registers[4..<6]))
            #expect(diameter.isNaN ? served.isNaN : served == diameter, "\(endpoint): diameter.7 = \(served)")
        }
    }

    @Test func theConsoleAndMQTTShowThem() throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        let subscriber = try Subscriber(port: broker.port, topics: ["tem/m/state"])
        defer { subscriber.stop() }
        let yaml =
            Self.map("sim://?frozen=1&seed=3&comma=0x2E8")
            + "http:\n  listen: 127.0.0.1:0\nmqtt:\n  broker: mqtt://127.0.0.1:\(broker.port)\n  topic: tem\n  interval: 200ms\n"
        let (server, _, _) = try BridgeEndToEndTests.serve(yaml)
        defer { server.stop() }
        let httpPort = try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#)
        // MQTT state: the mapped configuration values by name.
        let state = try subscriber.wait(for: "tem/m/state") { $0.contains("programmed_temperature.5") }
        let json = try JSONSerialization.jsonObject(with: Data(state.utf8)) as! [String: Any]
        let published = json["values"] as! [String: Any]
        #expect(published["programmed_temperature.5"] as? Double == 5)
        #expect(published["channels.temperature.1"] as? Double == 0x13)
        #expect(published["diameter.7"] as? Double == 15)
        // The console's /api/status: the same.
        let answer = try httpGet("http://127.0.0.1:\(httpPort)/api/status")
        #expect(answer.status == 200)
        let status = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
        let meter = (status["meters"] as! [[String: Any]])[0]
        let values = meter["values"] as! [String: Any]
        #expect(values["programmed_temperature.5"] as? Double == 5)
        #expect(values["channels.temperature.1"] as? Double == 0x13)
        #expect(values["gmax.8"] != nil)
    }

    @Test func registersListsThemWithUnits() throws {
        let file = try temporaryFile(Self.map("sim://?frozen=1&seed=3"))
        let out = try tembridge(["registers", "--mapping", file, "--format", "csv"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("programmed_temperature.5"))
        #expect(out.stdout.contains("°C"))
    }
}
