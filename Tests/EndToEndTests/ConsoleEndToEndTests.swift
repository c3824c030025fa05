import Foundation
import Testing

/// The operations console of the real binary, read with real clients: curl for the endpoints,
/// a raw socket for a client that never reads, headless Chromium for the page, a datagram socket
/// of the test's own for the systemd notifications.
@Suite struct ConsoleEndToEndTests {
    @Test func endpointsHaveTheirShapes() throws {
        let rig = try ConsoleRig(seed: 11)
        defer { rig.stop() }
        try rig.awaitOnline()

        let status = try rig.json("/api/status")
        #expect(Set(status.keys) == ["version", "started", "meters", "lines", "modbus", "summary"])
        #expect(status["summary"] as? [String: Int] == ["meters": 1, "online": 1, "stale": 0, "lines": 1])
        #expect((status["version"] as? String)?.isEmpty == false)
        let started = status["started"] as? String ?? ""
        #expect(ISO8601DateFormatter.withFraction.date(from: started) != nil, "started \(started)")
        let meters = status["meters"] as? [[String: Any]] ?? []
        #expect(meters.count == 1)
        let meter = meters.first ?? [:]
        #expect(
            Set(meter.keys) == [
                "name", "line", "address", "unit_ids", "online", "age_seconds", "polls_ok", "polls_failed",
                "last_error", "values", "gaps", "quality", "quality_flags",
            ])
        #expect(meter["quality"] as? Int == 0 && (meter["quality_flags"] as? [String])?.isEmpty == true)
        #expect(meter["name"] as? String == "m" && meter["line"] as? String == "l")
        #expect(meter["address"] as? Int == 1 && meter["unit_ids"] as? [Int] == [1, 7])
        #expect(meter["online"] as? Bool == true)
        #expect((meter["age_seconds"] as? Double).map { $0 >= 0 && $0 < 5 } == true)
        #expect((meter["polls_ok"] as? Int ?? 0) >= 1)
        #expect(meter["last_error"] is NSNull)
        #expect(meter["gaps"] is NSNull)  // no archive_store
        let values = meter["values"] as? [String: Any] ?? [:]
        #expect(Set(values.keys).isSuperset(of: ["temperature.1", "serial_number", "energy.1", "raw.0x0200"]))
        // Full precision: exactly what the simulator's meter holds (read over its own connection).
        let exact = try rig.statusValues()
        let simulator = try rig.simulatorValues()
        #expect(exact["energy.1"] == simulator["energy.1"])
        #expect(exact["temperature.1"] == simulator["temperature.1"])
        let lines = status["lines"] as? [[String: Any]] ?? []
        #expect(lines.count == 1)
        #expect(Set(lines.first?.keys.map { $0 } ?? []) == ["name", "endpoint", "exchanges_ok", "exchanges_failed"])
        #expect(lines.first?["endpoint"] as? String == "tcp://127.0.0.1:\(rig.simulatorPort)")
        #expect((lines.first?["exchanges_ok"] as? Int ?? 0) >= 1)
        let modbus = status["modbus"] as? [String: Any] ?? [:]
        #expect(Set(modbus.keys) == ["connections", "requests"])

        let health = try rig.get("/health")
        #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
        #expect(health.headers.contains("content-type: application/json"))

        let csv = try rig.get("/api/registers.csv")
        let cli = try tembridge(["registers", "--mapping", rig.mappingPath, "--format", "csv"])
        #expect(cli.status == 0 && csv.status == 200)
        #expect(csv.body == cli.stdout)
        #expect(csv.headers.contains("content-type: text/csv"))

        let metrics = try rig.get("/metrics")
        #expect(metrics.status == 200)
        for family in [
            #"tembridge_meter_up{meter="m"} 1"#, #"tembridge_meter_data_age_seconds{meter="m"} "#,
            #"tembridge_meter_polls_total{meter="m",result="ok"} "#,
            #"tembridge_meter_polls_total{meter="m",result="failed"} 0"#,
            #"tembridge_meter_value{meter="m",name="temperature.1"} "#,
            #"tembridge_meter_value{meter="m",name="raw.0x0200"} "#,
            #"tembridge_line_exchanges_total{line="l",result="ok"} "#,
            #"tembridge_line_exchanges_total{line="l",result="timeout"} 0"#,
            #"tembridge_line_exchanges_total{line="l",result="bad_reply"} 0"#,
            #"tembridge_line_exchanges_total{line="l",result="link_error"} 0"#,
            #"tembridge_line_exchange_seconds_bucket{line="l",le="0.1"} "#,
            #"tembridge_line_exchange_seconds_count{line="l"} "#, "tembridge_modbus_connections 1.0",
            #"tembridge_modbus_connections_refused_total{reason="allow"} 0"#,
            #"tembridge_modbus_connections_refused_total{reason="max_connections"} 0"#,
            #"tembridge_reloads_total{result="ok"} 0"#, #"tembridge_reloads_total{result="failed"} 0"#,
            "# TYPE tembridge_line_exchange_seconds histogram", "# TYPE tembridge_meter_up gauge",
            "# TYPE tembridge_meter_polls_total counter",
        ] {
            #expect(metrics.body.contains(family), "no \(family) in /metrics")
        }
        #expect(rig.metric(metrics.body, #"tembridge_meter_value{meter="m",name="temperature.1"}"#) == exact["temperature.1"])

        let page = try rig.get("/")
        #expect(page.status == 200 && page.headers.contains("content-type: text/html"))
        #expect(page.body.contains("<title>tembridge</title>") && page.body.contains("/api/trace"))
        // Everything the page needs is here: no external script, style, font or image (the SVG
        // namespace of the charts is a name, not an address).
        let addresses = page.body.replacing("\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!addresses.contains("http://") && !addresses.contains("https://") && !addresses.contains("//cdn"))

        #expect(try rig.get("/nope").status == 404)
        #expect(try rig.get("/api/status/").status == 404)
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let answer = try rig.get("/metrics", method: method)
            #expect(answer.status == 405, "\(method) /metrics: \(answer.status)")
        }
        #expect(try rig.get("/", method: "POST").status == 405)
    }

    @Test func countersMoveWithModbusReadsAndAFailingMeter() throws {
        let rig = try ConsoleRig(seed: 12)
        defer { rig.stop() }
        try rig.awaitOnline()
        let before = try rig.get("/metrics").body
        let requestsBefore = (try rig.json("/api/status")["modbus"] as? [String: Any])?["requests"] as? Int ?? -1
        let ok = #"tembridge_modbus_requests_total{function="03",exception="none"}"#
        let gateway = #"tembridge_modbus_requests_total{function="03",exception="0A"}"#
        let illegal = #"tembridge_modbus_requests_total{function="06",exception="01"}"#
        for _ in 0..<25 { _ = rig.client.read(unit: 1, address: 10, count: 2) }
        for _ in 0..<3 { _ = rig.client.read(unit: 99, address: 10, count: 2) }
        _ = rig.client.writeRegister(unit: 1, address: 10, value: 1)
        let during = try rig.get("/metrics").body
        #expect(rig.metric(during, ok) ?? 0 >= (rig.metric(before, ok) ?? 0) + 25, "\(during)")
        #expect(rig.metric(during, gateway) == (rig.metric(before, gateway) ?? 0) + 3)
        #expect(rig.metric(during, illegal) == 1)
        #expect(rig.metric(during, "tembridge_modbus_connections") == 1)
        let requestsAfter = (try rig.json("/api/status")["modbus"] as? [String: Any])?["requests"] as? Int ?? -1
        #expect(requestsAfter >= requestsBefore + 29)
        // max_connections 2: the third client is refused, and counted.
        let second = try ModbusClient(port: rig.modbusPort, timeout: 1)
        let third = try ModbusClient(port: rig.modbusPort, timeout: 1)
        _ = second.read(unit: 1, address: 10, count: 2)
        if case .success = third.read(unit: 1, address: 10, count: 2) { Issue.record("a third client was served") }
        let refused = #"tembridge_modbus_connections_refused_total{reason="max_connections"}"#
        #expect(rig.metric(try rig.get("/metrics").body, refused) ?? 0 >= 1)
        #expect(rig.metric(try rig.get("/metrics").body, "tembridge_modbus_connections") == 2)

        // The meter goes silent: polls and exchanges fail, it goes stale, /health says so.
        try rig.control("fault silent")
        let failedPolls = #"tembridge_meter_polls_total{meter="m",result="failed"}"#
        let timeouts = #"tembridge_line_exchanges_total{line="l",result="timeout"}"#
        let deadline = Date().addingTimeInterval(6)
        // Stale (600 ms) can come before the first exchange has failed all its attempts: wait
        // for both.
        var health = try rig.get("/health")
        var failing = try rig.get("/metrics").body
        while health.status != 503 || (rig.metric(failing, timeouts) ?? 0) < 1, Date() < deadline {
            usleep(50_000)
            health = try rig.get("/health")
            failing = try rig.get("/metrics").body
        }
        #expect(health.status == 503)
        #expect(health.body == #"{"stale":["m"],"status":"degraded"}"#)
        #expect(rig.metric(failing, failedPolls) ?? 0 >= 1)
        #expect(rig.metric(failing, timeouts) ?? 0 >= 1)
        #expect(rig.metric(failing, #"tembridge_meter_up{meter="m"}"#) == 0)
        let meter = (try rig.json("/api/status")["meters"] as? [[String: Any]])?.first ?? [:]
        #expect(meter["online"] as? Bool == false)
        #expect((meter["last_error"] as? String)?.contains("no reply") == true, "\(meter)")
        #expect((meter["polls_failed"] as? Int ?? 0) >= 1)

        try rig.control("fault none")
        let back = Date().addingTimeInterval(6)
        while health.status != 200, Date() < back {
            usleep(50_000)
            health = try rig.get("/health")
        }
        #expect(health.status == 200 && health.body == #"{"status":"ok"}"#)
    }

    @Test func allowRefusesOtherClientsAndReloadAppliesIt() throws {
        let rig = try ConsoleRig(seed: 13, allow: "[10.0.0.0/8]")
        defer { rig.stop() }
        let refused = try rig.get("/health")
        #expect(refused.status == 403, "\(refused)")
        #expect(try rig.get("/metrics").status == 403)

        // SIGHUP with the loopback allowed: the same port now answers.
        try rig.rewriteMap(allow: "[127.0.0.0/8]")
        rig.bridge.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(5)
        var answer = try rig.get("/api/status")
        while answer.status != 200, Date() < deadline {
            usleep(50_000)
            answer = try rig.get("/api/status")
        }
        #expect(answer.status == 200)
        #expect(rig.metric(try rig.get("/metrics").body, #"tembridge_reloads_total{result="ok"}"#) == 1)

        // A bad map is refused and counted.
        try "lines: [".write(toFile: rig.mappingPath, atomically: true, encoding: .utf8)
        rig.bridge.signal(SIGHUP)
        try rig.bridge.wait(for: "reload rejected")
        #expect(rig.metric(try rig.get("/metrics").body, #"tembridge_reloads_total{result="failed"}"#) == 1)
    }

    @Test func traceStreamsFramesWhileAnotherClientIsSlow() throws {
        let rig = try ConsoleRig(seed: 14)
        defer { rig.stop() }
        try rig.awaitOnline()
        // A subscriber that never reads its stream.
        let slow = try SilentSubscriber(port: rig.httpPort, path: "/api/trace")
        defer { slow.close() }

        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-N", "--max-time", "3", "http://127.0.0.1:\(rig.httpPort)/api/trace"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let events = text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }
        #expect(events.count >= 4, "\(text)")
        var directions = Set<String>()
        for event in events {
            let object = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any] ?? [:]
            #expect(Set(object.keys) == ["time", "line", "meter", "direction", "hex"])
            #expect(object["line"] as? String == "l" && object["meter"] as? String == "m")
            let hex = object["hex"] as? String ?? ""
            #expect(hex.range(of: #"^[0-9A-F]{2}( [0-9A-F]{2})*$"#, options: .regularExpression) != nil, "\(hex)")
            directions.insert(object["direction"] as? String ?? "?")
            #expect(ISO8601DateFormatter.withFraction.date(from: object["time"] as? String ?? "") != nil)
        }
        #expect(directions == ["tx", "rx"])
        // A request frame starts 55 <address> (PROTOCOL-NOTES); replies AA.
        #expect(events.contains { $0.contains(#""direction":"tx","hex":"55 01"#) })
        // The poller was never held up by the slow subscriber.
        let meter = (try rig.json("/api/status")["meters"] as? [[String: Any]])?.first ?? [:]
        #expect(meter["online"] as? Bool == true && meter["polls_failed"] as? Int == 0)
        // SIGTERM with the silent subscriber still connected: a clean, prompt stop.
        let stopping = Date()
        #expect(rig.bridge.stop() == 0)
        #expect(Date().timeIntervalSince(stopping) < 5)
    }

    @Test func pageInHeadlessChromiumShowsMetersAndGoesStale() throws {
        let rig = try ConsoleRig(seed: 15, secondMeter: true)
        defer { rig.stop() }
        try rig.awaitOnline()
        let dom = try chromiumDOM("http://127.0.0.1:\(rig.httpPort)/")
        for meter in ["m", "m2"] {
            let exact = try rig.statusValues(meter: meter)
            let card = try meterCard(dom, meter)
            #expect(card.contains(#"<span class="name">\#(meter)</span>"#), "\(card)")
            #expect(card.contains(#"data-state="online""#), "\(card)")
            let shown = try value(card, "temperature.1")
            #expect(shown.exact == exact["temperature.1"], "\(meter): page \(shown), status \(exact)")
            // Shown to people with at most 3 decimals.
            #expect(abs((Double(shown.text) ?? 0) - exact["temperature.1"]!) <= 0.0005, "page text \(shown.text)")
        }
        #expect(try rig.statusValues(meter: "m")["temperature.1"] != rig.statusValues(meter: "m2")["temperature.1"])
        #expect(dom.contains("°C"), "units from the register table")
        #expect(dom.contains("unit id 7"), "register map per unit id")

        try rig.control("fault silent")
        let deadline = Date().addingTimeInterval(6)
        while try rig.get("/health").body != #"{"stale":["m","m2"],"status":"degraded"}"#, Date() < deadline {
            usleep(50_000)
        }
        let staleDOM = try chromiumDOM("http://127.0.0.1:\(rig.httpPort)/")
        for meter in ["m", "m2"] {
            let staleCard = try meterCard(staleDOM, meter)
            #expect(staleCard.contains(#"data-state="stale""#), "\(staleCard)")
            #expect(staleCard.contains("no reply"), "the error is shown")
        }
    }

    @Test func demoServesTheConsoleAndPrintsItsURL() throws {
        let demo = try Background(["demo", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        defer { demo.stop() }
        let port = try demo.wait(for: #"console \(status page, /metrics\): http://127\.0\.0\.1:(\d+)/"#)
        let status = try httpGet("http://127.0.0.1:\(port)/api/status")
        #expect(status.status == 200 && status.body.contains(#""name":"meter-1""#), "\(status.body.prefix(300))")
        #expect(demo.stop() == 0)

        let off = try Background(["demo", "--listen", "127.0.0.1:0", "--http", "off"])
        defer { off.stop() }
        try off.wait(for: "Ctrl-C stops")
        #expect(!off.stdout.contains("http://") && !off.stderr.contains("console on"))
        let bad = try tembridge(["demo", "--listen", "127.0.0.1:0", "--http", "nowhere"])
        #expect(bad.status != 0 && bad.stderr.contains("--http: malformed listen address 'nowhere'"), "\(bad.stderr)")
    }

    @Test func serveRefusesAnHTTPPortInUse() throws {
        let first = try ConsoleRig(seed: 16)
        defer { first.stop() }
        let yaml = first.yaml(http: "127.0.0.1:\(first.httpPort)", allow: nil)
        let out = try tembridge(["serve", "--mapping", try temporaryFile(yaml)], timeout: 10)
        #expect(out.status == 1)
        #expect(out.stderr.contains("cannot serve HTTP on 127.0.0.1:\(first.httpPort): Address already in use"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count <= 2, "one clear line: \(out.stderr)")
    }

    /// sd_notify to a datagram socket of the test's own: READY=1 once serving, WATCHDOG=1 at half
    /// WATCHDOG_USEC, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM.
    @Test(arguments: [false, true])
    func speaksSystemdNotify(abstract: Bool) throws {
        let name =
            abstract ? "@tembridge-test-\(getpid())-\(Int.random(in: 0..<1_000_000))" : try temporaryFile("", name: "notify.sock")
        let socket = try DatagramSocket(path: name)
        defer { socket.close() }
        let rig = try ConsoleRig(seed: 17, environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "400000"])
        defer { rig.stop() }
        var got = socket.receive(timeout: 5)
        #expect(got.first == "READY=1", "\(got)")
        // Two pings within 0.6 s (every 0.2 s).
        let pings = socket.receive(timeout: 0.6).filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 2, "\(pings) watchdog pings")
        rig.bridge.signal(SIGHUP)
        got = socket.receive(timeout: 1).filter { $0 != "WATCHDOG=1" }
        #expect(got.count == 2 && got[0].hasPrefix("RELOADING=1\nMONOTONIC_USEC=") && got[1] == "READY=1", "\(got)")
        rig.bridge.signal(SIGTERM)
        got = socket.receive(timeout: 2).filter { $0 != "WATCHDOG=1" }
        #expect(got == ["STOPPING=1"], "\(got)")
        #expect(rig.bridge.stop() == 0)
    }
}

// MARK: - The rig

/// One frozen simulator and one `serve` with the console on a free loopback port.
private final class ConsoleRig {
    let simulator: Background
    let bridge: Background
    let client: ModbusClient
    let simulatorPort: Int
    let modbusPort: Int
    let httpPort: Int
    let mappingPath: String

    /// With `secondMeter`, the simulator has addresses 1 and 2 and the map meter `m2` (unit id 2).
    init(seed: UInt64, allow: String? = nil, secondMeter: Bool = false, environment: [String: String] = [:]) throws {
        simulator = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "\(seed)", "--addresses", secondMeter ? "1,2" : "1",
        ])
        simulatorPort = Int(try simulator.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))!
        mappingPath = try temporaryFile("")
        try Self.yaml(simulatorPort: simulatorPort, http: "127.0.0.1:0", allow: allow, secondMeter: secondMeter)
            .write(toFile: mappingPath, atomically: true, encoding: .utf8)
        bridge = try Background(["serve", "--mapping", mappingPath], environment: environment)
        modbusPort = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        httpPort = Int(try bridge.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#))!
        client = try ModbusClient(port: modbusPort, timeout: 1)
    }

    static func yaml(simulatorPort: Int, http: String, allow: String?, secondMeter: Bool = false) -> String {
        """
        server:
          listen: 127.0.0.1:0
          max_connections: 2
        http:
          listen: \(http)
        \(allow.map { "  allow: \($0)" } ?? "")
        lines:
          - { name: l, endpoint: "tcp://127.0.0.1:\(simulatorPort)", timeout: 200ms, retries: 1 }
        meters:
          - name: m
            line: l
            address: 1
            unit_id: [1, 7]
            poll_interval: 200ms
            stale_after: 600ms
            registers:
              - { address: 0, value: status.online, type: uint16 }
              - { address: 10, value: temperature.1, type: float32 }
              - { address: 12, value: serial_number, type: uint32 }
              - { address: 14, value: energy.1, type: float64 }
              - { address: 18, raw: { t2k: 0x0200, type: f32 }, type: float32 }
        \(secondMeter ? "  - { name: m2, line: l, address: 2, unit_id: 2, poll_interval: 200ms, stale_after: 600ms, registers: [{ address: 10, value: temperature.1, type: float32 }] }" : "")

        """
    }

    func yaml(http: String, allow: String?) -> String {
        Self.yaml(simulatorPort: simulatorPort, http: http, allow: allow)
    }

    /// Rewrites the map with the same port (the running console's) and `allow`.
    func rewriteMap(allow: String?) throws {
        try yaml(http: "127.0.0.1:\(httpPort)", allow: allow).write(toFile: mappingPath, atomically: true, encoding: .utf8)
    }

    func stop() {
        bridge.stop()
        simulator.stop()
    }

    /// Sends a control command to the simulator and waits for its answer (`ok …`).
    func control(_ command: String) throws { try simulator.control(command) }

    func get(_ path: String, method: String = "GET") throws -> HTTPAnswer {
        try httpGet("http://127.0.0.1:\(httpPort)\(path)", method: method)
    }

    func json(_ path: String) throws -> [String: Any] {
        let answer = try get(path)
        guard answer.status == 200 else { throw TestFailure("\(path): \(answer.status) \(answer.body)") }
        return try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
    }

    /// A meter's values from /api/status, parsed exactly (see `exactJSONNumbers`).
    func statusValues(meter: String = "m") throws -> [String: Double] {
        let body = try get("/api/status").body
        guard let named = body.range(of: #""name":"\#(meter)""#),
            let start = body[named.upperBound...].range(of: #""values":{"#),
            let end = body[start.upperBound...].firstIndex(of: "}")
        else {
            throw TestFailure("no values in \(body)")
        }
        var values: [String: Double] = [:]
        for pair in body[start.upperBound..<end].split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let v = Double(parts[1]) else { continue }
            values[parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = v
        }
        return values
    }

    func simulatorValues() throws -> [String: Double] {
        let out = try tembridge(["read", "tcp://127.0.0.1:\(simulatorPort)", "--format", "json"])
        guard out.status == 0 else { throw TestFailure("read: \(out.stderr)") }
        return exactJSONNumbers(out.stdout)
    }

    func awaitOnline() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try get("/health").status == 200 { return }
            usleep(50_000)
        }
        throw TestFailure("meter never online; stderr:\n\(bridge.stderr)")
    }

    /// The value of the series `series` (name and labels exactly as exposed).
    func metric(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

struct HTTPAnswer: CustomStringConvertible {
    let status: Int
    let headers: String
    let body: String
    var description: String { "\(status) \(body.prefix(200))" }
}

/// One request with curl: status, headers (lowercased) and body.
func httpGet(_ url: String, method: String = "GET") throws -> HTTPAnswer {
    let headerFile = try temporaryFile("", name: "headers.txt")
    let out = try runQuietly(
        "/usr/bin/curl", ["-s", "-S", "--max-time", "10", "-X", method, "-D", headerFile, "-w", "\n%{http_code}", url])
    guard let cut = out.lastIndex(of: "\n"), let status = Int(out[out.index(after: cut)...]) else {
        throw TestFailure("curl \(url): \(out)")
    }
    let headers = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
    return HTTPAnswer(status: status, headers: headers.lowercased(), body: String(out[..<cut]))
}

/// Runs a program to completion (killed after `timeout` seconds); its standard output.
func runQuietly(_ program: String, _ arguments: [String], timeout: Double = 30) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    killer.cancel()
    return String(decoding: data, as: UTF8.self)
}

/// The DOM Chromium renders for `url` once loaded, its scripts run. (The page renders the state it
/// was served with at once; `--virtual-time-budget` would never end: the trace stream stays open.)
func chromiumDOM(_ url: String) throws -> String {
    let profile = try temporaryFile("", name: "chromium-profile")
    try? FileManager.default.removeItem(atPath: profile)
    let dom = try runQuietly(
        "/usr/bin/chromium",
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            "--timeout=3000", "--dump-dom", url,
        ], timeout: 60)
    try? FileManager.default.removeItem(atPath: profile)
    guard dom.contains("</html>") else { throw TestFailure("chromium gave no DOM for \(url): \(dom.prefix(300))") }
    return dom
}

/// The rendered card of meter `name`.
private func meterCard(_ dom: String, _ name: String) throws -> String {
    guard let start = dom.range(of: #"<div class="meter" data-meter="\#(name)">"#) else {
        throw TestFailure("no card for meter \(name) in the page: \(dom.suffix(3000))")
    }
    let rest = dom[start.lowerBound...]
    let end = rest.dropFirst(10).range(of: #"<div class="meter" "#)?.lowerBound ?? rest.endIndex
    return String(rest[..<end])
}

/// The exact value (`data-value`) and the shown text of `name` in a meter card.
private func value(_ card: String, _ name: String) throws -> (exact: Double?, text: String) {
    let pattern = #"data-name="\#(NSRegularExpression.escapedPattern(for: name))" data-value="([^"]+)"[^>]*>([^<]+)<"#
    let regex = try NSRegularExpression(pattern: pattern)
    guard let m = regex.firstMatch(in: card, range: NSRange(card.startIndex..., in: card)) else {
        throw TestFailure("no \(name) in \(card)")
    }
    return (Double(card[Range(m.range(at: 1), in: card)!]), String(card[Range(m.range(at: 2), in: card)!]))
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}

/// A unix datagram socket bound at `path` (`@name`: abstract), as systemd's notify socket.
final class DatagramSocket {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        try? FileManager.default.removeItem(atPath: path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count + (bytes[0] == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0 else { throw TestFailure("cannot bind \(path): \(String(cString: strerror(errno)))") }
    }

    /// The datagrams received within `timeout` seconds (all of them, until the time is up;
    /// or until the first, when `first` is set).
    func receive(timeout: Double) -> [String] {
        var got: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { break }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000) + 1) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { got.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        return got
    }

    func close() {
        _ = Glibc.close(fd)
        if !path.hasPrefix("@") { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// A client that asks for a stream and never reads it (with a small receive buffer, so the
/// server soon sees it as slow).
final class SilentSubscriber {
    let fd: Int32

    init(port: Int, path: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 2048
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, rc == 0 else { throw TestFailure("connect 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func close() { _ = Glibc.close(fd) }
}
