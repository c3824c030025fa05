import CModbus
import Foundation
import Glibc
import Testing

/// Modbus RTU slave ports, Read Device Identification and `on_stale`, end to end: the real
/// binary serving a pty made by socat, a simulator (frozen values) behind a TCP line, and
/// independent masters: libmodbus's RTU client API, `mbpoll -m rtu`, raw frames with the CRC
/// computed by the test.
@Suite(.serialized) struct RTUEndToEndTests {
    /// The register set every unit serves: every type and order.
    static let registers = """
            - { address: 0, value: status.online, type: uint16 }
            - { address: 1, value: status.age, type: uint16 }
            - { address: 10, value: temperature.1, type: float32, order: ABCD }
            - { address: 12, value: temperature.1, type: float32, order: CDAB }
            - { address: 14, value: temperature.1, type: float32, order: BADC }
            - { address: 16, value: temperature.1, type: float32, order: DCBA }
            - { address: 20, value: energy.1, type: float64, order: ABCD }
            - { address: 24, value: energy.1, type: float64, order: CDAB }
            - { address: 28, value: energy.1, type: float64, order: BADC }
            - { address: 32, value: energy.1, type: float64, order: DCBA }
            - { address: 36, value: serial_number, type: uint32, order: ABCD }
            - { address: 38, value: serial_number, type: uint32, order: CDAB }
            - { address: 40, value: serial_number, type: uint32, order: BADC }
            - { address: 42, value: serial_number, type: uint32, order: DCBA }
            - { address: 44, value: temperature.1, type: int32, scale: 1000, order: CDAB }
            - { address: 46, value: temperature.1, type: int16, scale: 100 }
            - { address: 47, value: temperature.1, type: uint16, scale: 10, order: BADC }
        """

    /// Simulator + bridge: meters 1, 2, 3 (on_stale exception, last_value, nan) as units 1, 2, 3
    /// on Modbus TCP and on the RTU port `pty.a`.
    final class Rig {
        let pty: PTYPair
        let simulator: Background
        let simulatorPort: Int
        var bridge: Background
        let tcpPort: Int
        let mapPath: String

        init(rtuUnits: String = "") throws {
            pty = try PTYPair()
            simulator = try Background(["simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "7", "--addresses", "1,2,3"])
            simulatorPort = Int(try simulator.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))!
            mapPath = try temporaryFile(Rig.yaml(pty: pty, simulatorPort: simulatorPort, rtuUnits: rtuUnits))
            bridge = try Background(["serve", "--mapping", mapPath])
            tcpPort = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
            try bridge.wait(for: "serving Modbus RTU on")
        }

        static func yaml(pty: PTYPair, simulatorPort: Int, rtuUnits: String, extraPort: String? = nil) -> String {
            """
            server:
              listen: 127.0.0.1:0
              rtu:
                - port: serial://\(pty.a)?baud=19200&parity=even&stop=1
            \(rtuUnits)
            \(extraPort.map { "    - port: serial://\($0)" } ?? "")
            http:
              listen: 127.0.0.1:0
            lines:
              - { name: l, endpoint: "tcp://127.0.0.1:\(simulatorPort)", timeout: 150ms, retries: 0 }
            meters:
              - { name: m1, address: 1, unit_id: 1, poll_interval: 200ms, stale_after: 1s, registers: set }
              - { name: m2, address: 2, unit_id: 2, poll_interval: 200ms, stale_after: 1s, on_stale: last_value, registers: set }
              - { name: m3, address: 3, unit_id: 3, poll_interval: 200ms, stale_after: 1s, on_stale: nan, registers: set }
            register_sets:
              set:
            \(RTUEndToEndTests.registers)

            """
        }

        func stop() {
            bridge.stop()
            simulator.stop()
            pty.stop()
        }

        /// Waits until every unit answers with status.online = 1 on TCP.
        func awaitOnline(_ client: ModbusClient) throws {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if (1...3).allSatisfy({ (try? client.read(unit: $0, address: 0, count: 48).get())?[0] == 1 }) { return }
                usleep(50_000)
            }
            throw TestFailure("not online\n\(bridge.stderr)")
        }

        /// The simulator's values for meter `address`, decoded by `tembridge read`.
        func simulatorValues(address: Int) throws -> [String: Double] {
            let out = try tembridge(["read", "tcp://127.0.0.1:\(simulatorPort)", "--address", "\(address)", "--format", "json"])
            guard out.status == 0 else { throw TestFailure("read: \(out.stderr)") }
            return exactJSONNumbers(out.stdout)
        }

        @discardableResult
        func control(_ command: String) throws -> String { try simulator.control(command) }
    }

    /// The data part (registers 10...47) of a unit's 48 registers, decoded and checked against
    /// the simulator's own decoding.
    static func checkDecoded(_ r: [UInt16], _ values: [String: Double], _ what: String) {
        let t = values["temperature.1"]!
        for (i, order) in ["ABCD", "CDAB", "BADC", "DCBA"].enumerated() {
            #expect(Decode.float32(Array(r[(10 + 2 * i)..<(12 + 2 * i)]), order: order) == Float(t), "\(what) f32 \(order)")
            #expect(
                Decode.float64(Array(r[(20 + 4 * i)..<(24 + 4 * i)]), order: order) == values["energy.1"]!, "\(what) f64 \(order)"
            )
            #expect(
                Double(Decode.uint32(Array(r[(36 + 2 * i)..<(38 + 2 * i)]), order: order)) == values["serial_number"]!,
                "\(what) u32 \(order)")
        }
        #expect(Int32(bitPattern: Decode.uint32(Array(r[44..<46]), order: "CDAB")) == Int32((t * 1000).rounded()), "\(what) i32")
        #expect(Int16(bitPattern: r[46]) == Int16((t * 100).rounded()), "\(what) i16")
        #expect(r[47].byteSwapped == UInt16((t * 10).rounded()), "\(what) u16 BADC")
    }

    @Test func typesOrdersExceptionsAndSilenceOverRTUAndTCP() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        let rtu = try RTUClient(path: rig.pty.b)
        for unit in 1...3 {
            // The simulator is frozen: every poll gives the same values, so TCP, libmodbus RTU
            // and mbpoll must read the very same registers.
            let overTCP = try tcp.read(unit: unit, address: 2, count: 46).get()
            let overRTU = try rtu.read(unit: unit, address: 2, count: 46).get()
            #expect(overRTU == overTCP, "unit \(unit)")
            let overMbpoll = try mbpollRTU(rig.pty.b, unit: unit, reference: 3, count: 46).get()
            #expect(overMbpoll == overTCP.map(Int.init), "unit \(unit)")
            #expect(try rtu.read(unit: unit, address: 0, count: 46, input: true).get()[0] == 1)
            Self.checkDecoded(
                try rtu.read(unit: unit, address: 0, count: 48).get(), try rig.simulatorValues(address: unit), "unit \(unit)")
        }

        // The same exceptions as TCP: 01 (a write, FC01), 02 (outside the span), 03 (quantity).
        #expect(rtu.writeRegister(unit: 1, address: 10, value: 1)?.exception == 1)
        #expect(rtu.read(unit: 1, address: 46, count: 3).failureException == 2)
        let raw = try RawSerial(path: rig.pty.b)
        #expect(raw.request([1, 0x03, 0, 0, 0, 126]) == [1, 0x83, 3])
        #expect(raw.request([1, 0x01, 0, 0, 0, 1]) == [1, 0x81, 1])
        #expect(raw.request([1, 0x03, 0, 0, 0, 1]) == [1, 0x03, 2, 0, 1])

        // Silence: a unit no meter answers for (TCP says 0A), a broadcast, a bad CRC.
        #expect(tcp.read(unit: 9, address: 0, count: 1).failureException == 0x0A)
        #expect(raw.exchange([9, 0x03, 0, 0, 0, 1] + RawSerial.crc([9, 0x03, 0, 0, 0, 1]), window: 0.7).isEmpty)
        #expect(raw.exchange([0, 0x03, 0, 0, 0, 1] + RawSerial.crc([0, 0x03, 0, 0, 0, 1])).isEmpty)
        var corrupted = [1, 0x03, 0, 0, 0, 1] + RawSerial.crc([1, 0x03, 0, 0, 0, 1])
        corrupted[7] ^= 0x40
        #expect(raw.exchange(corrupted).isEmpty)
        // ... and the port is still in step.
        #expect(raw.request([1, 0x03, 0, 0, 0, 1]) == [1, 0x03, 2, 0, 1])

        // Two masters taking turns on the bus (and mbpoll between them).
        let other = try RTUClient(path: rig.pty.b)
        let expected = try tcp.read(unit: 2, address: 10, count: 8).get()
        for round in 0..<5 {
            #expect(try rtu.read(unit: 2, address: 10, count: 8).get() == expected, "round \(round), master 1")
            #expect(try other.read(unit: 1 + round % 3, address: 10, count: 8).get().count == 8, "round \(round), master 2")
            #expect(try other.read(unit: 2, address: 10, count: 8).get() == expected, "round \(round), master 2")
        }
        #expect(try mbpollRTU(rig.pty.b, unit: 2, reference: 11, count: 8).get() == expected.map(Int.init))
    }

    /// RTU requests are counted in `/metrics` with the TCP ones, by function and answer.
    @Test func rtuRequestsAreCountedInTheConsolesMetrics() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let console = try rig.bridge.wait(for: #"console on (http://127\.0\.0\.1:\d+/)"#)
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        func count(_ series: String) throws -> Double {
            for line in try httpGet(console + "metrics").body.split(separator: "\n") where line.hasPrefix(series + " ") {
                return Double(line.dropFirst(series.count + 1)) ?? -1
            }
            return 0
        }
        let ok = #"tembridge_modbus_requests_total{function="03",exception="none"}"#
        let before = try count(ok)
        let rtu = try RTUClient(path: rig.pty.b)
        for _ in 0..<5 { _ = try rtu.read(unit: 1, address: 2, count: 4).get() }
        #expect(try count(ok) == before + 5)
        // Unit 1 answers 02 beyond its span, over RTU as over TCP.
        if case .success = rtu.read(unit: 1, address: 40, count: 20) { Issue.record("a read past the span was answered") }
        #expect(try count(#"tembridge_modbus_requests_total{function="03",exception="02"}"#) == 1)
    }

    @Test func readDeviceIdentificationOverRTUAndTCP() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        let serial = String(Int(try rig.simulatorValues(address: 2)["serial_number"]!))
        func object(_ id: UInt8, _ text: String) -> [UInt8] { [id, UInt8(text.utf8.count)] + Array(text.utf8) }
        let basic = object(0, "tembridge") + object(1, "TEM-106") + object(2, "1.14")
        let regular = object(4, "TEM-106 heat meter") + object(5, "TEMC106")
        let extended = object(0x80, serial) + object(0x81, "2")
        // Request PDU → expected response PDU (Modbus Application Protocol 1.1b3 §6.21):
        // function, MEI type, read code, conformity 0x83, more follows, next object id, count, objects.
        let cases: [([UInt8], [UInt8])] = [
            ([0x2B, 0x0E, 1, 0], [0x2B, 0x0E, 1, 0x83, 0, 0, 3] + basic),
            ([0x2B, 0x0E, 2, 0], [0x2B, 0x0E, 2, 0x83, 0, 0, 5] + basic + regular),
            ([0x2B, 0x0E, 3, 0], [0x2B, 0x0E, 3, 0x83, 0, 0, 7] + basic + regular + extended),
            ([0x2B, 0x0E, 3, 0x80], [0x2B, 0x0E, 3, 0x83, 0, 0, 2] + extended),
            // An object id the category does not have: from the start.
            ([0x2B, 0x0E, 1, 0x80], [0x2B, 0x0E, 1, 0x83, 0, 0, 3] + basic),
            ([0x2B, 0x0E, 4, 0x05], [0x2B, 0x0E, 4, 0x83, 0, 0, 1] + object(5, "TEMC106")),
            ([0x2B, 0x0E, 4, 0x81], [0x2B, 0x0E, 4, 0x83, 0, 0, 1] + object(0x81, "2")),
            // Individual access to an object the unit does not have: 02; a bad read code: 03.
            ([0x2B, 0x0E, 4, 0x03], [0xAB, 2]),
            ([0x2B, 0x0E, 4, 0x82], [0xAB, 2]),
            ([0x2B, 0x0E, 5, 0], [0xAB, 3]),
            ([0x2B, 0x0E, 0, 0], [0xAB, 3]),
        ]
        let raw = try RawSerial(path: rig.pty.b)
        let socket = rawConnectTCP(port: rig.tcpPort)
        defer { close(socket) }
        for (index, (request, response)) in cases.enumerated() {
            #expect(raw.request([2] + request) == [2] + response, "RTU \(request)")
            let tid = UInt8(index + 1)
            let mbap = [0, tid, 0, 0, 0, UInt8(request.count + 1), 2]
            #expect(
                tcpExchange(socket, mbap + request) == [0, tid, 0, 0, 0, UInt8(response.count + 1), 2] + response,
                "TCP \(request)")
        }
        // Not on this port, or a broadcast: silence.
        #expect(raw.exchange([9, 0x2B, 0x0E, 1, 0] + RawSerial.crc([9, 0x2B, 0x0E, 1, 0]), window: 0.7).isEmpty)
        #expect(raw.exchange([0, 0x2B, 0x0E, 1, 0] + RawSerial.crc([0, 0x2B, 0x0E, 1, 0])).isEmpty)
        var corrupted = [2, 0x2B, 0x0E, 1, 0] + RawSerial.crc([2, 0x2B, 0x0E, 1, 0])
        corrupted[6] ^= 0x01
        #expect(raw.exchange(corrupted).isEmpty)
        #expect(raw.request([2, 0x2B, 0x0E, 1, 0]) == [2, 0x2B, 0x0E, 1, 0x83, 0, 0, 3] + basic)
        // Registers after identification, on the same port, still answer.
        #expect(try RTUClient(path: rig.pty.b).read(unit: 2, address: 0, count: 1).get() == [1])
    }

    /// pymodbus (Debian's python3-pymodbus) as the independent client: its own framing, CRC and
    /// decoding of Read Device Identification, over TCP and RTU; and its read of every type
    /// and order, the same as libmodbus's.
    static let pymodbusScript = """
        import sys, json
        from pymodbus.client import ModbusTcpClient, ModbusSerialClient
        from pymodbus.framer.rtu_framer import ModbusRtuFramer
        from pymodbus.mei_message import ReadDeviceInformationRequest
        target, unit = sys.argv[1], int(sys.argv[2])
        if target.startswith("tcp:"):
            client = ModbusTcpClient("127.0.0.1", port=int(target[4:]), timeout=1)
        else:
            client = ModbusSerialClient(port=target, framer=ModbusRtuFramer, baudrate=19200, parity="N", timeout=1)
        client.connect()
        out = []
        for code, obj in [(1, 0), (2, 0), (3, 0), (3, 0x80), (4, 5), (4, 0x81), (4, 0x06), (5, 0)]:
            r = client.execute(ReadDeviceInformationRequest(read_code=code, object_id=obj, unit=unit))
            if r.isError():
                out.append("%d/%d: exception %s" % (code, obj, getattr(r, "exception_code", None)))
            else:
                objects = ", ".join("%d=%s" % (k, v.decode()) for k, v in sorted(r.information.items()))
                out.append("%d/%d: conformity %d more %d next %d: %s" % (code, obj, r.conformity, r.more_follows, r.next_object_id, objects))
        registers = client.read_holding_registers(2, 46, unit=unit)
        out.append("registers: " + ("exception" if registers.isError() else " ".join(str(r) for r in registers.registers)))
        client.close()
        print("\\n".join(out))
        """

    @Test func pymodbusReadsTheIdentificationOverTCPAndRTU() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        let serial = String(Int(try rig.simulatorValues(address: 3)["serial_number"]!))
        let basic = "0=tembridge, 1=TEM-106, 2=1.14"
        let regular = "4=TEM-106 heat meter, 5=TEMC106"
        let expected = [
            "1/0: conformity 131 more 0 next 0: \(basic)",
            "2/0: conformity 131 more 0 next 0: \(basic), \(regular)",
            "3/0: conformity 131 more 0 next 0: \(basic), \(regular), 128=\(serial), 129=3",
            "3/128: conformity 131 more 0 next 0: 128=\(serial), 129=3",
            "4/5: conformity 131 more 0 next 0: 5=TEMC106",
            "4/129: conformity 131 more 0 next 0: 129=3",
            "4/6: exception 2",
            "5/0: exception 3",
            "registers: " + (try tcp.read(unit: 3, address: 2, count: 46).get()).map(String.init).joined(separator: " "),
        ]
        for target in ["tcp:\(rig.tcpPort)", rig.pty.b] {
            let run = try python(Self.pymodbusScript, [target, "3"])
            #expect(run.status == 0, "\(target): \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").map(String.init) == expected, "\(target)")
        }
    }

    @Test func onStalePoliciesThroughStaleAndRecovery() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        let rtu = try RTUClient(path: rig.pty.b)
        let good = try (1...3).map { try tcp.read(unit: $0, address: 10, count: 38).get() }

        try rig.control("fault silent")
        let deadline = Date().addingTimeInterval(5)
        // The three meters are polled in turn, so they go stale one after the other.
        while (1...3).contains(where: { (try? tcp.read(unit: $0, address: 0, count: 1).get()) != [0] }) {
            guard Date() < deadline else { throw TestFailure("never stale\n\(rig.bridge.stderr)") }
            usleep(50_000)
        }
        for name in ["TCP", "RTU"] {
            func read(_ unit: Int, _ address: Int, _ count: Int) -> Result<[UInt16], ModbusFailure> {
                name == "TCP"
                    ? tcp.read(unit: unit, address: address, count: count) : rtu.read(unit: unit, address: address, count: count)
            }
            // exception: 0B for meter data, status still served.
            #expect(read(1, 10, 2).failureException == 0x0B, "\(name)")
            #expect(try read(1, 0, 2).get()[0] == 0, "\(name)")
            // last_value: the last good values, status.online 0 and status.age growing.
            #expect(try read(2, 10, 38).get() == good[1], "\(name)")
            let status = try read(2, 0, 2).get()
            #expect(status[0] == 0 && status[1] >= 1, "\(name) \(status)")
            // nan: NaN in floats, 0 in integers.
            let nan = try read(3, 0, 48).get()
            #expect(nan[0] == 0, "\(name)")
            for (i, order) in ["ABCD", "CDAB", "BADC", "DCBA"].enumerated() {
                #expect(Decode.float32(Array(nan[(10 + 2 * i)..<(12 + 2 * i)]), order: order).isNaN, "\(name) \(order)")
                #expect(Decode.float64(Array(nan[(20 + 4 * i)..<(24 + 4 * i)]), order: order).isNaN, "\(name) \(order)")
            }
            #expect(Array(nan[36..<48]) == Array(repeating: 0, count: 12), "\(name)")
        }

        try rig.control("fault none")
        let recovery = Date().addingTimeInterval(5)
        while (1...3).contains(where: { (try? tcp.read(unit: $0, address: 0, count: 1).get()) != [1] }) {
            guard Date() < recovery else { throw TestFailure("never recovered\n\(rig.bridge.stderr)") }
            usleep(50_000)
        }
        for unit in 1...3 {
            #expect(try tcp.read(unit: unit, address: 10, count: 38).get() == good[unit - 1])
            #expect(try rtu.read(unit: unit, address: 10, count: 38).get() == good[unit - 1])
        }
    }

    @Test func vanishedPortIsReopenedAndReloadKeepsTCPClients() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let tcp = try ModbusClient(port: rig.tcpPort)
        try rig.awaitOnline(tcp)
        #expect(try RTUClient(path: rig.pty.b).read(unit: 1, address: 0, count: 1).get() == [1])

        rig.pty.stop()
        try rig.bridge.wait(for: "Modbus RTU port .* failed")
        try rig.pty.start()
        let deadline = Date().addingTimeInterval(10)
        var answered = false
        while !answered, Date() < deadline {
            answered = (try? RTUClient(path: rig.pty.b, timeout: 0.3).read(unit: 1, address: 0, count: 1).get()) == [1]
        }
        #expect(answered, "not reopened\n\(rig.bridge.stderr)")

        // Reload: the port now answers unit 3 only, and a second port is opened; the TCP
        // client's connection carries on.
        let second = try PTYPair()
        try Rig.yaml(pty: rig.pty, simulatorPort: rig.simulatorPort, rtuUnits: "      unit_ids: [3]", extraPort: second.a)
            .write(toFile: rig.mapPath, atomically: true, encoding: .utf8)
        rig.bridge.signal(SIGHUP)
        try rig.bridge.wait(for: "serving Modbus RTU on \(second.a)")
        let rtu = try RTUClient(path: rig.pty.b)
        var reloaded = false
        let until = Date().addingTimeInterval(5)
        while !reloaded, Date() < until {
            // Unit 1 is no longer served on this port: silence (a timeout, no exception).
            if case let .failure(f) = rtu.read(unit: 1, address: 0, count: 1), f.exception == nil { reloaded = true }
        }
        #expect(reloaded)
        #expect(try rtu.read(unit: 3, address: 0, count: 1).get() == [1])
        #expect(try RTUClient(path: second.b).read(unit: 2, address: 0, count: 1).get() == [1])
        #expect(try tcp.read(unit: 1, address: 0, count: 1).get() == [1], "the TCP client was dropped")
        second.stop()
    }
}

/// libmodbus's RTU backend waits with select(), which cannot take a descriptor of 1024 or more.
@Suite struct RTUDescriptorLimitTests {
    @Test func aPortPastSelectsLimitIsRefusedAndRetriedNotCorrupted() throws {
        let pty = try PTYPair()
        defer { pty.stop() }
        let yaml = """
            server:
              listen: 127.0.0.1:0
              rtu:
                - port: serial://\(pty.a)
            lines: [{ name: l, endpoint: "sim://?frozen=1" }]
            meters: [{ name: m, address: 1, registers: [{ address: 0, value: status.online, type: uint16 }] }]
            """
        let bridge = try Background(["serve", "--mapping", try temporaryFile(yaml)], holdingFiles: 1100)
        defer { bridge.stop() }
        let port = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        try bridge.wait(for: "cannot open Modbus RTU port .*past libmodbus's select\\(\\) limit")
        // TCP goes on serving; the process did not corrupt its memory with FD_SET.
        let tcp = try ModbusClient(port: port)
        var answered = false
        let deadline = Date().addingTimeInterval(5)
        while !answered, Date() < deadline { answered = (try? tcp.read(unit: 1, address: 0, count: 1).get()) == [1] }
        #expect(answered)
        #expect(bridge.process.isRunning)
    }
}

/// `rs485: true` on a port without the kernel's RS-485 mode (a pty): refused, logged, retried;
/// TCP serves on.
@Suite struct RTURS485Tests {
    @Test func aPortWithoutRS485ModeIsRefusedWithTheReason() throws {
        let pty = try PTYPair()
        defer { pty.stop() }
        let yaml = """
            server:
              listen: 127.0.0.1:0
              rtu:
                - port: serial://\(pty.a)
                  rs485: true
            lines: [{ name: l, endpoint: "sim://?frozen=1" }]
            meters: [{ name: m, address: 1, registers: [{ address: 0, value: status.online, type: uint16 }] }]
            """
        let bridge = try Background(["serve", "--mapping", try temporaryFile(yaml)])
        defer { bridge.stop() }
        let port = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        try bridge.wait(for: "cannot open Modbus RTU port .*: the port refuses RS-485 mode .*; retrying")
        let tcp = try ModbusClient(port: port)
        var answered = false
        let deadline = Date().addingTimeInterval(5)
        while !answered, Date() < deadline { answered = (try? tcp.read(unit: 1, address: 0, count: 1).get()) == [1] }
        #expect(answered)
        #expect(!bridge.stderr.contains("serving Modbus RTU"))
    }
}

extension Result where Failure == ModbusFailure {
    /// The exception code of a failed request (nil: it succeeded or got no exception).
    var failureException: Int? {
        if case let .failure(f) = self { return f.exception }
        return nil
    }
}

/// A plain TCP connection to 127.0.0.1:`port`.
func rawConnectTCP(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var limit = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

/// Sends one Modbus TCP ADU and reads one back, framed by its MBAP length.
func tcpExchange(_ fd: Int32, _ adu: [UInt8]) -> [UInt8] {
    _ = adu.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 300)
    while received.count < 6 || received.count < 6 + (Int(received[4]) << 8 | Int(received[5])) {
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { break }
        received += chunk[0..<n]
    }
    return received
}
