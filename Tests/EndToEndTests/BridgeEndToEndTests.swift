import Foundation
import Testing

/// The real binary: `tembridge serve` over the simulator, read with libmodbus's client API.
@Suite(.serialized) struct BridgeEndToEndTests {
    /// Starts `serve` on a map (listen port 0) and returns the process and its bound port.
    static func serve(_ yaml: String) throws -> (Background, Int, String) {
        let path = try temporaryFile(yaml)
        let server = try Background(["serve", "--mapping", path])
        let port = try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#)
        return (server, Int(port)!, path)
    }

    static func header(
        line endpoint: String, poll: String = "200ms", stale: String = "2s",
        timeout: String = "300ms", retries: Int = 0
    ) -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: \(timeout), retries: \(retries) }
        meters:
          - { name: m, line: l, address: 1, unit_id: 1, poll_interval: \(poll), stale_after: \(stale), registers: set }

        """
    }

    /// A map of one meter on `endpoint` serving only temperature.1 (float32 at 0), stale after 30 s.
    static func temperatureMap(_ endpoint: String) -> String {
        header(line: endpoint, stale: "30s") + "register_sets:\n  set:\n    - { address: 0, value: temperature.1 }\n"
    }

    /// Reads until `condition` holds or `timeout` passes; returns the last result.
    static func eventually(
        _ read: () -> Result<[UInt16], ModbusFailure>, timeout: Double = 10,
        until condition: (Result<[UInt16], ModbusFailure>) -> Bool
    ) -> Result<[UInt16], ModbusFailure> {
        let deadline = Date().addingTimeInterval(timeout)
        var last = read()
        while !condition(last), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            last = read()
        }
        return last
    }

    static func isException(_ code: Int) -> (Result<[UInt16], ModbusFailure>) -> Bool {
        { if case let .failure(f) = $0 { f.exception == code } else { false } }
    }

    static func succeeded(_ r: Result<[UInt16], ModbusFailure>) -> Bool {
        if case .success = r { true } else { false }
    }

    /// The frozen simulator's values, as `tembridge read --format json` decodes them.
    static func frozenValues(_ endpoint: String) throws -> [String: Double] {
        let out = try tembridge(["read", endpoint, "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Any]
        return (json["values"] as! [String: Any]).compactMapValues { $0 as? Double }
    }

    @Test func everyTypeAndOrderDecodesToTheSimulatorsValue() throws {
        let endpoint = "sim://?frozen=1&seed=7"
        let expected = try Self.frozenValues(endpoint)
        var yaml = Self.header(line: endpoint, stale: "30s") + "register_sets:\n  set:\n"
        let orders = ["ABCD", "CDAB", "BADC", "DCBA"]
        for (i, order) in orders.enumerated() {
            yaml += "    - { address: \(10 + 2 * i), value: temperature.1, type: float32, order: \(order) }\n"
            yaml += "    - { address: \(20 + 4 * i), value: energy.2, type: float64, order: \(order) }\n"
            yaml += "    - { address: \(40 + 2 * i), value: serial_number, type: uint32, order: \(order) }\n"
            yaml += "    - { address: \(50 + 2 * i), value: temperature.2, type: int32, scale: 1000, order: \(order) }\n"
        }
        yaml += """
                - { address: 0, value: status.online, type: uint16 }
                - { address: 60, value: temperature.1, type: int16, scale: 10 }
                - { address: 61, value: network_address, type: uint16 }
                - { address: 62, value: energy.1, type: uint32, scale: 1000 }
                - { address: 64, value: volume.1, type: float64 }
                - { address: 68, raw: { t2k: 0x0200, type: f32 }, type: float32 }
                - { address: 70, value: clock, type: uint32 }

            """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        try server.wait(for: "online")
        let client = try ModbusClient(port: port)
        let all = try client.read(unit: 1, address: 0, count: 72).get()
        for input in [false, true] {
            // FC04 serves the same map as FC03.
            #expect(try client.read(unit: 1, address: 0, count: 72, input: input).get() == all)
        }
        func regs(_ at: Int, _ n: Int) -> [UInt16] { Array(all[at..<(at + n)]) }
        #expect(all[0] == 1)
        for (i, order) in orders.enumerated() {
            #expect(Decode.float32(regs(10 + 2 * i, 2), order: order) == Float(expected["temperature.1"]!), "\(order)")
            #expect(Decode.float64(regs(20 + 4 * i, 4), order: order) == expected["energy.2"]!, "\(order)")
            #expect(Double(Decode.uint32(regs(40 + 2 * i, 2), order: order)) == expected["serial_number"]!, "\(order)")
            #expect(
                Double(Int32(bitPattern: Decode.uint32(regs(50 + 2 * i, 2), order: order)))
                    == (expected["temperature.2"]! * 1000).rounded(), "\(order)")
        }
        #expect(Double(Int16(bitPattern: all[60])) == (expected["temperature.1"]! * 10).rounded())
        #expect(all[61] == 1)
        #expect(Double(Decode.uint32(regs(62, 2))) == (expected["energy.1"]! * 1000).rounded())
        #expect(Decode.float64(regs(64, 4)) == expected["volume.1"]!)
        #expect(Decode.float32(regs(68, 2)) == Float(expected["temperature.1"]!))
        #expect(Double(Decode.uint32(regs(70, 2))) == expected["clock"]!)
        // Gaps read as 0 (18..19 lies between two mapped blocks).
        #expect(regs(18, 2) == [0, 0])
        #expect(server.stop() == 0)
    }

    @Test func exceptionCodesWhereTheContractSaysThem() throws {
        // Unit 1 is a meter that never answers (0B); unit 2 a good one.
        let yaml = """
            server:
              listen: 127.0.0.1:0
            lines:
              - { name: dead, endpoint: "sim://?seed=21&fault=silent", timeout: 100ms, retries: 0 }
              - { name: good, endpoint: "sim://?seed=22&frozen=1", timeout: 300ms, retries: 0 }
            meters:
              - { name: dead, line: dead, address: 1, unit_id: 1, poll_interval: 200ms, stale_after: 1s, registers: set }
              - { name: good, line: good, address: 1, unit_id: 2, poll_interval: 200ms, stale_after: 5s, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 1, value: status.polls_failed, type: uint16 }
                - { address: 10, value: temperature.1 }
                - { address: 20, value: temperature.2 }
            """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        let client = try ModbusClient(port: port)
        let good = Self.eventually({ client.read(unit: 2, address: 10, count: 2) }, until: Self.succeeded)
        #expect(Self.succeeded(good))
        #expect(Self.isException(0x02)(client.read(unit: 2, address: 20, count: 3)))  // past the span
        #expect(Self.isException(0x02)(client.read(unit: 2, address: 100, count: 1)))
        #expect(Self.succeeded(client.read(unit: 2, address: 2, count: 8)))  // a gap inside: zeros
        #expect(try client.read(unit: 2, address: 2, count: 8).get() == [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(client.writeRegister(unit: 2, address: 10, value: 1)?.exception == 0x01)
        #expect(Self.isException(0x0A)(client.read(unit: 7, address: 0, count: 1)))
        #expect(Self.isException(0x0B)(client.read(unit: 1, address: 10, count: 2)))
        #expect(Self.isException(0x0B)(client.read(unit: 1, address: 0, count: 12)))  // touches meter data
        let status = try client.read(unit: 1, address: 0, count: 2).get()  // status always answers
        #expect(status[0] == 0)
        let failed = Self.eventually(
            { client.read(unit: 1, address: 0, count: 2) },
            until: {
                (try? $0.get()[1]).map { $0 > 0 } ?? false
            })
        #expect(try failed.get()[1] > 0)
    }

    @Test func silentMeterGoesStaleAndRecovers() throws {
        let sim = try Background(["simulate", "--listen", "127.0.0.1:0", "--seed", "5"])
        defer { sim.stop() }
        let simPort = try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#)
        let yaml =
            Self.header(line: "tcp://127.0.0.1:\(simPort)", poll: "200ms", stale: "1s") + """
                register_sets:
                  set:
                    - { address: 0, value: status.online, type: uint16 }
                    - { address: 10, value: temperature.1 }

                """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        let client = try ModbusClient(port: port)
        #expect(Self.succeeded(Self.eventually({ client.read(unit: 1, address: 10, count: 2) }, until: Self.succeeded)))
        sim.send("fault silent")
        try sim.wait(for: "ok")
        #expect(
            Self.isException(0x0B)(
                Self.eventually(
                    { client.read(unit: 1, address: 10, count: 2) },
                    until: Self.isException(0x0B))))
        // status.online follows within one render period (100 ms).
        let offline = Self.eventually(
            { client.read(unit: 1, address: 0, count: 1) }, timeout: 1,
            until: {
                (try? $0.get()) == [0]
            })
        #expect(try offline.get() == [0])
        try server.wait(for: "offline")
        sim.send("fault none")
        let back = Self.eventually({ client.read(unit: 1, address: 10, count: 2) }, until: Self.succeeded)
        #expect(Self.succeeded(back))
        #expect(
            try Self.eventually(
                { client.read(unit: 1, address: 0, count: 1) }, timeout: 1,
                until: {
                    (try? $0.get()) == [1]
                }
            ).get() == [1])
        try server.wait(for: "back online")
        // Offline is logged once, not at every failed poll.
        #expect(server.stderr.components(separatedBy: "offline, registers answer 0B").count == 2)
    }

    @Test func reloadSwapsAGoodMapAndKeepsServingOnABadOne() throws {
        let first = Self.temperatureMap("sim://?seed=31&frozen=1")
        let (server, port, path) = try Self.serve(first)
        defer { server.stop() }
        #expect(server.stderr.contains("(this machine only; listen: 0.0.0.0:\(port) serves the network)"))
        let client = try ModbusClient(port: port)
        #expect(Self.succeeded(Self.eventually({ client.read(unit: 1, address: 0, count: 2) }, until: Self.succeeded)))
        #expect(Self.isException(0x02)(client.read(unit: 1, address: 2, count: 2)))

        let second = first + "    - { address: 2, value: temperature.2 }\n"
        try second.write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.wait(for: "mapping reloaded")
        // The meter kept its data across the reload: the new register answers at once.
        #expect(Self.succeeded(client.read(unit: 1, address: 2, count: 2)))

        try (second + "    - { address: 2, value: no.such.value }\n").write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.wait(for: "reload rejected")
        #expect(server.stderr.contains("\(path):"))
        #expect(Self.succeeded(client.read(unit: 1, address: 0, count: 4)))
        #expect(!server.stderr.contains("listen changed"), "listen did not change")
        #expect(server.stop() == 0)
    }

    @Test func aReloadThatMovesListenSaysItNeedsARestart() throws {
        let yaml = Self.temperatureMap("sim://?seed=33&frozen=1")
        let (server, port, path) = try Self.serve(yaml)
        defer { server.stop() }
        let moved = yaml.replacingOccurrences(of: "listen: 127.0.0.1:0", with: "listen: 127.0.0.1:1")
        #expect(moved != yaml)
        try moved.write(toFile: path, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try server.wait(for: "mapping reloaded")
        let warning = try server.wait(for: "warning listen changed to [^\n]*")
        #expect(warning.contains("127.0.0.1:1 in the map; still serving on 127.0.0.1:\(port) until tembridge is restarted"))
        let client = try ModbusClient(port: port)
        #expect(Self.succeeded(Self.eventually({ client.read(unit: 1, address: 0, count: 2) }, until: Self.succeeded)))
    }

    /// The newest hourly record has an impossible date: the bridge says so once and keeps serving
    /// the last good hourly record, as the daily record and the meter's current values are served.
    @Test func aDamagedNewestRecordIsReportedAndTheLastGoodIsServed() throws {
        let yaml =
            Self.header(line: "sim://?frozen=1&seed=35&damaged=hourly:1", stale: "30s") + """
                register_sets:
                  set:
                    - { address: 0, value: archive.hourly.energy.1 }
                    - { address: 2, value: archive.daily.energy.1 }
                    - { address: 4, value: temperature.1 }

                """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        let warning = try server.wait(for: "warning meter m: newest hourly record [^\n]*")
        #expect(warning.contains("is damaged (written stamp"), "\(warning)")
        #expect(warning.hasSuffix("archive.hourly.* keep the last good record"), "\(warning)")
        // The record before the damaged one, as `archive` reads it from the same meter.
        let archive = try tembridge([
            "archive", "sim://?frozen=1&seed=35", "--kind", "hourly", "--last", "2", "--format", "json",
        ])
        let records = try JSONSerialization.jsonObject(with: Data(archive.stdout.utf8)) as? [[String: Any]]
        let lastGood = (records?.first?["values"] as? [String: Any])?["energy.1"] as? Double
        let client = try ModbusClient(port: port)
        let registers = try Self.eventually({ client.read(unit: 1, address: 0, count: 6) }, until: Self.succeeded).get()
        let values = stride(from: 0, to: 6, by: 2).map { Decode.float32(Array(registers[$0..<$0 + 2])) }
        #expect(lastGood != nil && values[0] == Float(lastGood!), "\(values[0]) \(String(describing: lastGood))")
        #expect(values[1].isFinite && values[1] > 0)
        #expect(values[2].isFinite)
        Thread.sleep(forTimeInterval: 0.5)  // more polls: the record is not read (nor reported) again
        #expect(server.stderr.components(separatedBy: "is damaged (").count == 2, "\(server.stderr)")
    }

    /// A client outside `allow` is closed at once, and the log says who and why.
    @Test func aRefusedClientIsLogged() throws {
        let yaml = Self.temperatureMap("sim://?frozen=1&seed=37")
            .replacingOccurrences(of: "listen: 127.0.0.1:0\n", with: "listen: 127.0.0.1:0\n  allow: [10.0.0.0/8]\n")
        #expect(yaml.contains("allow"))
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        let client = try ModbusClient(port: port)
        #expect(!Self.succeeded(client.read(unit: 1, address: 0, count: 2)))
        try server.wait(for: "warning refused a Modbus client from 127\\.0\\.0\\.1: not in allow")
    }

    @Test func noTornIntegratorAcrossThousandsOfReads() throws {
        // Integrators roll F into L many times a second; a read that mixed an old L with a new F
        // (or two polls) would show a value going backwards.
        let yaml =
            Self.header(line: "sim://?seed=41&rate=200000", poll: "20ms", stale: "5s") + """
                register_sets:
                  set:
                    - { address: 0, value: energy.1, type: float64 }
                    - { address: 4, value: volume.1, type: float64 }
                    - { address: 8, value: energy.total, type: float64 }

                """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        let client = try ModbusClient(port: port)
        #expect(Self.succeeded(Self.eventually({ client.read(unit: 1, address: 0, count: 12) }, until: Self.succeeded)))
        var last = [-Double.infinity, -Double.infinity, -Double.infinity]
        var changes = 0
        // At least 4000 reads and at least 1.5 s, so that ~75 polls (20 ms apart) are crossed
        // however fast the reads are.
        let until = Date().addingTimeInterval(1.5)
        var reads = 0
        while reads < 4000 || Date() < until {
            reads += 1
            let r = try client.read(unit: 1, address: 0, count: 12).get()
            let values = [Decode.float64(Array(r[0..<4])), Decode.float64(Array(r[4..<8])), Decode.float64(Array(r[8..<12]))]
            for i in 0..<3 {
                #expect(values[i] >= last[i], "integrator \(i) went back: \(last[i]) -> \(values[i])")
                if values[i] > last[i], last[i] > -.infinity { changes += 1 }
            }
            last = values
        }
        #expect(changes > 50, "integrators hardly moved: the test would prove nothing")
    }

    /// With descriptors 3...1100 already open, every client socket is numbered above 1024, where
    /// `select()` (libmodbus's own `modbus_receive`) could not go: clients are still served.
    @Test func clientsOnDescriptorsAbove1024AreServed() throws {
        let yaml = Self.temperatureMap("sim://?frozen=1&seed=61")
        let server = try Background(["serve", "--mapping", try temporaryFile(yaml)], holdingFiles: 1100)
        defer { server.stop() }
        let port = Int(try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        let clients = try (0..<3).map { _ in try ModbusClient(port: port) }
        for client in clients {
            #expect(Self.succeeded(Self.eventually({ client.read(unit: 1, address: 0, count: 2) }, until: Self.succeeded)))
        }
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.process.processIdentifier)/fd")
        let highSockets = descriptors.compactMap(Int.init).filter { fd in
            fd > 1024
                && (try? FileManager.default.destinationOfSymbolicLink(
                    atPath: "/proc/\(server.process.processIdentifier)/fd/\(fd)"))?.hasPrefix("socket:") == true
        }
        #expect(highSockets.count >= 3, "the server's sockets above 1024: \(highSockets)")
    }

    @Test func mbpollReadsAFloat() throws {
        let endpoint = "sim://?frozen=1&seed=51"
        let expected = try Self.frozenValues(endpoint)
        let yaml =
            Self.header(line: endpoint, stale: "30s") + """
                register_sets:
                  set:
                    - { address: 100, value: temperature.1, type: float32 }

                """
        let (server, port, _) = try Self.serve(yaml)
        defer { server.stop() }
        try server.wait(for: "online")
        let out = try run(
            "/usr/bin/mbpoll",
            [
                "-m", "tcp", "-p", "\(port)", "-a", "1", "-r", "101", "-c", "1",
                "-t", "4:float", "-B", "-1", "127.0.0.1",
            ])
        let line = out.split(separator: "\n").first { $0.hasPrefix("[101]:") }
        let value = line.flatMap { Double($0.split(separator: "\t").last!.trimmingCharacters(in: .whitespaces)) }
        #expect(value != nil, "mbpoll said: \(out)")
        #expect(abs((value ?? 0) - expected["temperature.1"]!) < 0.001)
    }
}

/// Runs a program and returns its stdout.
func run(_ program: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
