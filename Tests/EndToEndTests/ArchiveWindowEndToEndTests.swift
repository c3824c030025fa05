import Foundation
import Testing

/// Archives on demand over Modbus (issue 22): a master writes a period to the archive window's
/// cursor registers (or steps), reads the stored record's values and a status; each connection
/// has its own cursor; only the cursor registers are writable.
@Suite(.serialized) struct ArchiveWindowEndToEndTests {
    /// The window block, as docs/MAPPING.md's worked example maps it.
    static let window = """
            - { address: 1000, value: archive_window.year,     type: uint16 }
            - { address: 1001, value: archive_window.month,    type: uint16 }
            - { address: 1002, value: archive_window.day,      type: uint16 }
            - { address: 1003, value: archive_window.hour,     type: uint16 }
            - { address: 1004, value: archive_window.kind,     type: uint16 }
            - { address: 1005, value: archive_window.step,     type: uint16 }
            - { address: 1006, value: archive_window.status,   type: uint16 }
            - { address: 1008, value: archive_window.period,   type: uint32 }
            - { address: 1010, value: archive_window.time,     type: uint32 }
            - { address: 1012, value: archive_window.energy.1, type: float64 }
            - { address: 1016, value: archive_window.volume.1, type: uint32, scale: 1000 }
        """

    static func map(store: String, rtu: String? = nil, simulator: String = "sim://?seed=5&frozen=1&history=72") -> String {
        """
        server:
          listen: 127.0.0.1:0
        \(rtu.map { "  rtu:\n    - port: serial://\($0)?baud=19200\n      unit_ids: [1]" } ?? "")
        lines:
          - { name: l, endpoint: "\(simulator)", timeout: 500ms, retries: 1 }
        meters:
          - { name: heat1, line: l, address: 1, unit_id: 1, poll_interval: 100ms, stale_after: 30s, registers: with_window }
          - { name: heat2, line: l, address: 2, unit_id: 2, poll_interval: 100ms, stale_after: 30s, registers: plain }
        register_sets:
          with_window:
            - { address: 0, value: status.online, type: uint16 }
        \(window)
          plain:
            - { address: 0, value: status.online, type: uint16 }
        archive_store:
          path: \(store)
          kinds: [hourly, daily]

        """
    }

    /// One stored record as `history --format json` shows it.
    struct Stored {
        let period: Int
        let time: Int
        let energy1: Double
        let volume1: Double
    }

    static func seconds(_ text: String) -> Int {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return Int(f.date(from: text)!.timeIntervalSince1970)
    }

    static func history(_ mapping: String, kind: String) throws -> [Stored] {
        let out = try tembridge(["history", "--mapping", mapping, "--meter", "heat1", "--kind", kind, "--format", "json"])
        guard out.status == 0 else { throw TestFailure("history failed: \(out.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8))
        let rows = (json as? [[String: Any]]) ?? []
        return rows.map {
            let values = $0["values"] as! [String: Any]
            return Stored(
                period: seconds($0["period"] as! String), time: seconds($0["time"] as! String),
                energy1: values["energy.1"] as! Double, volume1: values["volume.1"] as! Double)
        }
    }

    /// A served map with its store backfilled.
    struct Rig {
        let server: Background
        let port: Int
        let mapping: String

        init(rtu: String? = nil, simulator: String = "sim://?seed=5&frozen=1&history=72") throws {
            let dir = try temporaryFile("").components(separatedBy: "/").dropLast().joined(separator: "/")
            mapping = "\(dir)/map.yaml"
            try ArchiveWindowEndToEndTests.map(store: "\(dir)/archive.sqlite", rtu: rtu, simulator: simulator).write(
                toFile: mapping, atomically: true, encoding: .utf8)
            let check = try tembridge(["check", "--mapping", mapping])
            guard check.status == 0 else { throw TestFailure("check: \(check.stdout)") }
            (server, port) = try ArchiveStoreEndToEndTests.serve(mapping)
            _ = try server.wait(for: "meter heat1: hourly backfill done", timeout: 120)
            _ = try server.wait(for: "meter heat1: daily backfill done", timeout: 120)
        }

        func stop() { server.stop() }
    }

    /// The cursor (year, month, day, hour, kind), status and record registers of unit 1.
    struct Shown: Equatable {
        let cursor: [UInt16]
        let status: UInt16
        let period: Int
        let time: Int
        let energy1: Double
        let volume1: UInt32

        init(_ r: [UInt16]) {
            cursor = Array(r[0..<5])
            status = r[6]
            period = Int(Decode.uint32(Array(r[8..<10])))
            time = Int(Decode.uint32(Array(r[10..<12])))
            energy1 = Decode.float64(Array(r[12..<16]))
            volume1 = Decode.uint32(Array(r[16..<18]))
        }
    }

    static func shown(_ client: ModbusClient) throws -> Shown {
        Shown(try client.read(unit: 1, address: 1000, count: 18).get())
    }

    static func cursor(_ period: Int, kind: UInt16) -> [UInt16] {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let d = c.dateComponents([.year, .month, .day, .hour], from: Date(timeIntervalSince1970: Double(period)))
        return [d.year!, d.month!, d.day!, d.hour!].map { UInt16($0) } + [kind]
    }

    static func expect(_ shown: Shown, is record: Stored, kind: UInt16, _ comment: Comment? = nil) {
        #expect(shown.status == 1, comment)
        #expect(shown.cursor == cursor(record.period, kind: kind), comment)
        #expect(shown.period == record.period && shown.time == record.time, comment)
        // JSONSerialization may read the last digit of `history`'s number differently.
        #expect(abs(shown.energy1 - record.energy1) <= 1e-12 * abs(record.energy1), comment)
        #expect(shown.volume1 == UInt32((record.volume1 * 1000).rounded()), comment)
    }

    @Test func aMasterReadsAnyStoredRecordAndWalksTheArchive() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let hourly = try Self.history(rig.mapping, kind: "hourly")
        let daily = try Self.history(rig.mapping, kind: "daily")
        try #require(hourly.count >= 48 && daily.count >= 2)
        let client = try ModbusClient(port: rig.port)
        // Before any write: nothing asked.
        #expect(try Self.shown(client).status == 0)

        // FC16: the whole period at once.
        let wanted = hourly[10]
        #expect(client.writeRegisters(unit: 1, address: 1000, values: Self.cursor(wanted.period, kind: 1)) == nil)
        Self.expect(try Self.shown(client), is: wanted, kind: 1)

        // Step next (FC06) walks the stored records in order, previous goes back.
        for n in 11..<35 {
            #expect(client.writeRegister(unit: 1, address: 1005, value: 1) == nil)
            Self.expect(try Self.shown(client), is: hourly[n], kind: 1, "step to record \(n)")
        }
        #expect(client.writeRegister(unit: 1, address: 1005, value: 2) == nil)
        Self.expect(try Self.shown(client), is: hourly[33], kind: 1)

        // FC06 one register at a time: the kind changes the ring, then the day.
        #expect(client.writeRegister(unit: 1, address: 1004, value: 2) == nil)
        let day = Self.cursor(daily[1].period, kind: 2)
        for (i, value) in day.enumerated() {
            #expect(client.writeRegister(unit: 1, address: 1000 + i, value: value) == nil)
        }
        Self.expect(try Self.shown(client), is: daily[1], kind: 2)

        // A period with no record: missing, NaN values; stepping past the newest: end.
        #expect(client.writeRegisters(unit: 1, address: 1000, values: [2001, 1, 1, 0, 1]) == nil)
        let missing = try Self.shown(client)
        #expect(missing.status == 2 && missing.energy1.isNaN && missing.cursor == [2001, 1, 1, 0, 1])
        #expect(client.writeRegister(unit: 1, address: 1005, value: 1) == nil)
        Self.expect(try Self.shown(client), is: hourly[0], kind: 1)  // from 2001, the next one is the oldest
        #expect(client.writeRegisters(unit: 1, address: 1000, values: Self.cursor(hourly.last!.period, kind: 1)) == nil)
        #expect(client.writeRegister(unit: 1, address: 1005, value: 1) == nil)
        let end = try Self.shown(client)
        #expect(end.status == 4 && end.cursor == Self.cursor(hourly.last!.period, kind: 1))
    }

    /// A record the meter wrote with a spoilt written stamp is kept by the store (issue 19) and
    /// shown through the window with status 3 (damaged), its values as stored.
    @Test func aDamagedRecordIsShownWithItsStatus() throws {
        let rig = try Rig(simulator: "sim://?seed=5&frozen=1&history=72&damaged=hourly:5")
        defer { rig.stop() }
        let out = try tembridge(["history", "--mapping", rig.mapping, "--meter", "heat1", "--kind", "hourly", "--format", "json"])
        let rows = (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]) ?? []
        let damaged = try #require(
            rows.first { ($0["flags"] as? [String])?.contains("damaged") == true }, "no damaged record in \(out.stdout)")
        let period = Self.seconds(try #require(damaged["period"] as? String))
        let energy = try #require((damaged["values"] as? [String: Any])?["energy.1"] as? Double)
        let client = try ModbusClient(port: rig.port)
        #expect(client.writeRegisters(unit: 1, address: 1000, values: Self.cursor(period, kind: 1)) == nil)
        let shown = try Self.shown(client)
        #expect(shown.status == 3, "status \(shown.status) for the damaged record")
        #expect(shown.period == period && abs(shown.energy1 - energy) <= 1e-12 * abs(energy))
    }

    @Test func onlyTheCursorIsWritableAndEachConnectionHasItsOwn() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let hourly = try Self.history(rig.mapping, kind: "hourly")
        try #require(hourly.count > 5)
        let a = try ModbusClient(port: rig.port)
        let b = try ModbusClient(port: rig.port)
        #expect(a.writeRegisters(unit: 1, address: 1000, values: Self.cursor(hourly[5].period, kind: 1)) == nil)
        Self.expect(try Self.shown(a), is: hourly[5], kind: 1)
        // The other connection did not ask anything.
        #expect(try Self.shown(b).status == 0)
        #expect(b.writeRegisters(unit: 1, address: 1000, values: Self.cursor(hourly[2].period, kind: 1)) == nil)
        Self.expect(try Self.shown(b), is: hourly[2], kind: 1)
        Self.expect(try Self.shown(a), is: hourly[5], kind: 1)

        // Not a cursor register: 02; a value out of range: 03; a unit without a window: 01.
        #expect(a.writeRegister(unit: 1, address: 1006, value: 1)?.exception == 2)
        #expect(a.writeRegister(unit: 1, address: 0, value: 1)?.exception == 2)
        #expect(a.writeRegisters(unit: 1, address: 1004, values: [1, 1, 0])?.exception == 2)
        #expect(a.writeRegister(unit: 1, address: 1001, value: 13)?.exception == 3)
        #expect(a.writeRegister(unit: 1, address: 1005, value: 3)?.exception == 3)
        #expect(a.writeRegister(unit: 2, address: 0, value: 1)?.exception == 1)
        Self.expect(try Self.shown(a), is: hourly[5], kind: 1)  // refused writes changed nothing

        // A new connection starts with nothing asked: the old one's cursor died with it.
        let again = try ModbusClient(port: rig.port)
        #expect(try Self.shown(again).status == 0)
    }

    @Test func anRTUMasterHasItsOwnCursor() throws {
        let pty = try PTYPair()
        let rig = try Rig(rtu: pty.a)
        defer { rig.stop() }
        _ = try rig.server.wait(for: "serving Modbus RTU on")
        let hourly = try Self.history(rig.mapping, kind: "hourly")
        try #require(hourly.count > 12)
        let rtu = try RTUClient(path: pty.b)
        let tcp = try ModbusClient(port: rig.port)
        #expect(tcp.writeRegisters(unit: 1, address: 1000, values: Self.cursor(hourly[3].period, kind: 1)) == nil)
        // FC06 field by field over RTU, then a step.
        for (i, value) in Self.cursor(hourly[10].period, kind: 1).enumerated() {
            #expect(rtu.writeRegister(unit: 1, address: 1000 + i, value: value) == nil)
        }
        Self.expect(Shown(try rtu.read(unit: 1, address: 1000, count: 18).get()), is: hourly[10], kind: 1)
        #expect(rtu.writeRegister(unit: 1, address: 1005, value: 1) == nil)
        Self.expect(Shown(try rtu.read(unit: 1, address: 1000, count: 18).get()), is: hourly[11], kind: 1)
        #expect(rtu.writeRegister(unit: 1, address: 1006, value: 1)?.exception == 2)
        // The TCP master's cursor is its own.
        Self.expect(try Self.shown(tcp), is: hourly[3], kind: 1)
    }

    /// pymodbus as an independent client: FC16 the period, FC06 a step, FC03 the window.
    static let pymodbusScript = """
        import sys
        from pymodbus.client import ModbusTcpClient
        port, year, month, day, hour = (int(a) for a in sys.argv[1:6])
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=2)
        client.connect()
        out = []
        w = client.write_registers(1000, [year, month, day, hour, 1], unit=1)
        out.append("fc16 " + ("exception %d" % w.exception_code if w.isError() else "ok"))
        r = client.read_holding_registers(1000, 12, unit=1)
        out.append("found " + " ".join(str(v) for v in r.registers))
        w = client.write_register(1005, 1, unit=1)
        out.append("fc06 " + ("exception %d" % w.exception_code if w.isError() else "ok"))
        r = client.read_holding_registers(1000, 12, unit=1)
        out.append("next " + " ".join(str(v) for v in r.registers))
        w = client.write_register(1006, 1, unit=1)
        out.append("status write " + ("exception %d" % w.exception_code if w.isError() else "ok"))
        client.close()
        print("\\n".join(out))
        """

    @Test func pymodbusWritesTheCursorAndReadsTheRecord() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let hourly = try Self.history(rig.mapping, kind: "hourly")
        try #require(hourly.count > 8)
        let cursor = Self.cursor(hourly[7].period, kind: 1)
        let run = try python(Self.pymodbusScript, [String(rig.port)] + cursor[0..<4].map(String.init))
        #expect(run.status == 0, "\(run.stderr)")
        func words(_ s: Stored) -> String {
            let c = Self.cursor(s.period, kind: 1)
            let period = [UInt16(s.period >> 16), UInt16(s.period & 0xFFFF)]
            let time = [UInt16(s.time >> 16), UInt16(s.time & 0xFFFF)]
            return (c + [0, 1, 0] + period + time).map(String.init).joined(separator: " ")
        }
        #expect(
            run.stdout.split(separator: "\n").map(String.init) == [
                "fc16 ok", "found " + words(hourly[7]), "fc06 ok", "next " + words(hourly[8]), "status write exception 2",
            ])
    }
}
