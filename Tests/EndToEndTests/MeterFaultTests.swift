import Foundation
import Testing

/// Meter-side faults: the real bridge polls `tembridge simulate` over TCP while the simulator's
/// faults are switched from its stdin. The bridge must mark the meter stale (0B on data,
/// status.online 0) when it cannot read it, recover promptly once the fault clears, never serve a
/// value from a rejected reply, and ride out noise and echo without going stale at all.
///
/// Timing: poll 200 ms, timeout 200 ms, 1 retry, stale after 600 ms. A fault that clears just
/// after a poll has sent its request still costs that poll (timeout × (retries + 1), plus a
/// ≤ 150 ms drain after each failed attempt); the next poll is due at most one poll interval
/// after the previous one started. So recovery must take at most
/// poll + timeout × (retries + 1) + 0.5 s margin (drains, render, a loaded CI machine) = 1.1 s.
@Suite struct MeterFaultTests {
    static let poll = 0.2, timeout = 0.2, retries = 1, staleAfter = 0.6
    static let recoveryBound = poll + timeout * Double(retries + 1) + 0.5
    /// Stale must show within stale_after of the last good poll, plus one failing poll.
    static let staleBound = staleAfter + poll + timeout * Double(retries + 1) + 0.5

    /// Faults under which every reply is rejected (or none comes): the meter must go stale.
    /// `a+b` applies both (a converter that refuses new connections only matters once the
    /// current one is dropped).
    /// `delay=400ms` answers every request twice as late as the timeout.
    static let rejecting = [
        "silent", "bad-checksum", "wrong-address", "partial", "drop-connection",
        "refuse-connections+drop-connection", "delay=400ms",
    ]

    @Test(arguments: rejecting)
    func goesStaleServesNoRejectedReplyAndRecovers(fault: String) throws {
        let rig = try Rig(seed: 100 + UInt64(Self.rejecting.firstIndex(of: fault)!))
        defer { rig.stop() }
        let expected = try rig.awaitOnline()

        for part in fault.split(separator: "+") { try rig.control("fault \(part)") }
        // Until stale: each read is the last good data or 0B, never anything else.
        let failing = Date()
        var okAtFirstFailure: Int?
        var stale = false
        while !stale, Date().timeIntervalSince(failing) < Self.staleBound + 2 {
            let data = rig.data(), status = try rig.status()
            #expect(data == .value(expected) || data == .stale, "\(fault): served \(data)")
            if okAtFirstFailure == nil, status.failed > rig.initialFailed { okAtFirstFailure = status.ok }
            stale = data == .stale && status.online == 0
        }
        let staleSeconds = Date().timeIntervalSince(failing)
        #expect(stale, "\(fault): not stale after \(staleSeconds) s")
        #expect(staleSeconds < Self.staleBound, "\(fault): stale after \(staleSeconds) s")
        // Once a poll has failed under the fault, no later poll succeeds (two more must fail):
        // a rejected reply is never accepted.
        var status = try rig.status()
        while status.failed < rig.initialFailed + 3, Date().timeIntervalSince(failing) < Self.staleBound + 4 {
            if okAtFirstFailure == nil, status.failed > rig.initialFailed { okAtFirstFailure = status.ok }
            #expect(rig.data() == .stale)
            usleep(20_000)
            status = try rig.status()
        }
        #expect(status.failed >= rig.initialFailed + 3, "\(fault): only \(status.failed - rig.initialFailed) failed polls")
        #expect(
            okAtFirstFailure != nil && status.ok == okAtFirstFailure,
            "\(fault): polls_ok \(String(describing: okAtFirstFailure)) -> \(status.ok) under the fault")
        #expect(status.online == 0 && rig.data() == .stale)

        try rig.control("fault none")
        let recovery = try rig.awaitRecovery(expected)
        #expect(recovery < Self.recoveryBound, "\(fault): recovered after \(recovery) s")
        print(
            String(
                format: "meter fault %@: stale after %.2f s, recovered %.2f s after clearing (bound %.2f s)",
                fault, staleSeconds, recovery, Self.recoveryBound))
    }

    /// Noise before the reply and the request's echo: the receiver resynchronises, so no poll
    /// fails and the meter never goes stale.
    @Test(arguments: ["noise", "echo", "noise+echo"])
    func resynchronisesWithoutGoingStale(fault: String) throws {
        let rig = try Rig(seed: 200 + UInt64(fault.count))
        defer { rig.stop() }
        let expected = try rig.awaitOnline()
        for part in fault.split(separator: "+") { try rig.control("fault \(part)") }
        let before = try rig.status()
        let start = Date()
        var reads = 0
        while Date().timeIntervalSince(start) < 1.5 {  // 7 polls under the fault
            let data = rig.data(), status = try rig.status()
            #expect(data == .value(expected), "\(fault): served \(data)")
            #expect(status.online == 1, "\(fault): went offline")
            reads += 1
            usleep(20_000)
        }
        let after = try rig.status()
        #expect(after.ok - before.ok >= 4, "\(fault): only \(after.ok - before.ok) good polls in 1.5 s")
        #expect(after.failed == before.failed, "\(fault): \(after.failed - before.failed) polls failed")
        #expect(reads > 20)
    }

    /// A meter restarted with a new serial number and zeroed integrators: the new values appear
    /// within the recovery bound, the meter never goes stale, and no response mixes the two.
    @Test func restartedMeterShowsItsNewValues() throws {
        let rig = try Rig(seed: 301)
        defer { rig.stop() }
        let old = try rig.awaitOnline()
        let oldSerial = Decode.uint32(Array(old[2..<4]))
        let oldEnergy = Decode.float64(Array(old[4..<8]))
        #expect(oldEnergy > 0)

        let answer = try rig.control("restart 1")
        let newSerial = UInt32(answer.split(separator: " ").last ?? "")
        #expect(newSerial != nil && newSerial != oldSerial, "\(answer)")
        let fresh = try rig.simulatorValues()
        #expect(fresh["serial_number"] == newSerial.map(Double.init))
        let start = Date()
        var current = old
        while Decode.uint32(Array(current[2..<4])) != newSerial, Date().timeIntervalSince(start) < Self.recoveryBound + 2 {
            let data = rig.data()
            guard case let .value(registers) = data else {
                Issue.record("restart: served \(data)")
                break
            }
            current = registers
            // Old serial with old energy, or new serial with new energy: never a mix.
            let serial = Decode.uint32(Array(current[2..<4])), energy = Decode.float64(Array(current[4..<8]))
            #expect(
                (serial == oldSerial && energy == oldEnergy) || (serial == newSerial && energy == fresh["energy.1"]),
                "restart: serial \(serial) with energy \(energy)")
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(Decode.uint32(Array(current[2..<4])) == newSerial)
        #expect(Decode.float64(Array(current[4..<8])) == fresh["energy.1"])
        #expect(Decode.float64(Array(current[4..<8])) < oldEnergy)
        #expect(Decode.float32(Array(current[0..<2])) == Float(fresh["temperature.1"]!))
        #expect(seconds < Self.recoveryBound, "restart: new serial after \(seconds) s")
        #expect(try rig.status().online == 1)
        print(String(format: "meter restart: new serial number served after %.2f s", seconds))
    }

    /// Replies twice as late as the timeout, on a map whose three values are read with requests
    /// of one size (4 bytes of T2K at 0x0200, 0x0300, 0x0400): nothing but timing tells their
    /// replies apart, so a late reply must never be taken for the answer to the next request.
    /// (Before the fix in `MeterClient` the bridge served each value in its neighbour's register,
    /// with every poll counted good.)
    @Test func lateRepliesNeverAnswerAnotherRequest() throws {
        let rig = try Rig(
            seed: 501,
            registers: """
                    - { address: 10, raw: { t2k: 0x0200, type: f32 }, type: float32 }
                    - { address: 12, raw: { t2k: 0x0300, type: f32 }, type: float32 }
                    - { address: 14, raw: { t2k: 0x0400, type: f32 }, type: float32 }
                """)
        defer { rig.stop() }
        func raws() -> Served {
            switch rig.client.read(unit: 1, address: 10, count: 6) {
            case let .success(r): .value(r)
            case let .failure(f) where f.exception == 0x0B: .stale
            case let .failure(f): .other("\(f)")
            }
        }
        let deadline = Date().addingTimeInterval(10)
        var served = raws()
        while served == .stale, Date() < deadline {
            usleep(20_000)
            served = raws()
        }
        guard case let .value(expected) = served else { throw TestFailure("never online: \(served)") }
        #expect(Decode.float32(Array(expected[0..<2])) == Float(try rig.simulatorValues()["temperature.1"]!))
        #expect(
            Set([expected[0..<2], expected[2..<4], expected[4..<6]].map { Array($0) }).count == 3,
            "the three values must differ for a swap to show")

        let before = try rig.status()
        try rig.control("fault delay=400ms")
        let start = Date()
        var stale = false
        while Date().timeIntervalSince(start) < 2 {  // 10 polls under the fault
            let now = raws()
            #expect(now == .value(expected) || now == .stale, "late replies: served \(now)")
            stale = stale || now == .stale
            usleep(20_000)
        }
        let during = try rig.status()
        #expect(stale, "a meter answering only after the timeout must go stale")
        // At most the poll in flight when the fault came may count as good.
        #expect(during.ok <= before.ok + 1, "polls_ok \(before.ok) -> \(during.ok) with every reply late")
        try rig.control("fault none")
        let cleared = Date()
        served = raws()
        while served != .value(expected), Date().timeIntervalSince(cleared) < 5 {
            #expect(served == .stale, "recovering: served \(served)")
            usleep(10_000)
            served = raws()
        }
        #expect(served == .value(expected))
        // A delayed reply may still hold the simulator's wire for 0.4 s after the fault clears.
        #expect(Date().timeIntervalSince(cleared) < Self.recoveryBound + 0.4)
    }

    /// The converter disappears (connection refused), then comes back on the same port.
    @Test func converterGoneAndBack() throws {
        let rig = try Rig(seed: 401)
        defer { rig.stop() }
        let expected = try rig.awaitOnline()
        rig.simulator.stop()
        let gone = Date()
        var data = rig.data()
        while data != .stale, Date().timeIntervalSince(gone) < Self.staleBound + 2 {
            #expect(data == .value(expected), "converter gone: served \(data)")
            data = rig.data()
        }
        let staleSeconds = Date().timeIntervalSince(gone)
        #expect(data == .stale)
        #expect(staleSeconds < Self.staleBound, "converter gone: stale after \(staleSeconds) s")
        #expect(try rig.awaitStatus { $0.online == 0 }, "converter gone: status.online stays 1")
        try rig.restartSimulator()
        let recovery = try rig.awaitRecovery(expected)
        // The link is reopened after a back-off of at most one poll interval.
        #expect(recovery < Self.recoveryBound + Self.poll, "converter back: recovered after \(recovery) s")
        print(String(format: "converter gone: stale after %.2f s; back: recovered after %.2f s", staleSeconds, recovery))
    }
}

/// The `"name": number` pairs of `read --format json` output, parsed with `Double(String)`:
/// Foundation's JSONSerialization on Linux can be off in the last digit of a float64.
func exactJSONNumbers(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        let name = parts[0].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let number = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " ,"))
        if let value = Double(number) { values[name] = value }
    }
    return values
}

/// What a read of the data registers gave.
private enum Served: Equatable, CustomStringConvertible {
    case value([UInt16])
    case stale
    case other(String)

    var description: String {
        switch self {
        case let .value(r): "registers \(r)"
        case .stale: "0B"
        case let .other(s): s
        }
    }
}

/// One simulator (frozen, address 1) and one bridge polling it over TCP.
private final class Rig {
    private(set) var simulator: Background
    let bridge: Background
    let client: ModbusClient
    let seed: UInt64
    let simulatorPort: Int
    private(set) var initialFailed = 0

    /// The default register set: temperature.1, serial_number, energy.1 and three raw f32 at 10..<24.
    static let dataRegisters = """
            - { address: 10, value: temperature.1, type: float32 }
            - { address: 12, value: serial_number, type: uint32 }
            - { address: 14, value: energy.1, type: float64 }
            - { address: 18, raw: { t2k: 0x0200, type: f32 }, type: float32 }
            - { address: 20, raw: { t2k: 0x0300, type: f32 }, type: float32 }
            - { address: 22, raw: { t2k: 0x0400, type: f32 }, type: float32 }
        """

    init(seed: UInt64, registers: String = Rig.dataRegisters) throws {
        self.seed = seed
        simulator = try Background(["simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "\(seed)", "--addresses", "1"])
        simulatorPort = Int(try simulator.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))!
        let t = MeterFaultTests.self
        let yaml = """
            server:
              listen: 127.0.0.1:0
            lines:
              - { name: l, endpoint: "tcp://127.0.0.1:\(simulatorPort)", timeout: \(Int(t.timeout * 1000))ms, retries: \(t.retries) }
            meters:
              - { name: m, line: l, address: 1, unit_id: 1, poll_interval: \(Int(t.poll * 1000))ms, stale_after: \(Int(t.staleAfter * 1000))ms, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 1, value: status.polls_ok, type: uint16 }
                - { address: 2, value: status.polls_failed, type: uint16 }
            \(registers)

            """
        bridge = try Background(["serve", "--mapping", try temporaryFile(yaml)])
        let port = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        client = try ModbusClient(port: port, timeout: 1)
    }

    func stop() {
        bridge.stop()
        simulator.stop()
    }

    /// Data registers 10..<24: temperature.1, serial_number, energy.1, three raw f32.
    func data() -> Served {
        switch client.read(unit: 1, address: 10, count: 14) {
        case let .success(r): .value(r)
        case let .failure(f) where f.exception == 0x0B: .stale
        case let .failure(f): .other("\(f)")
        }
    }

    func status() throws -> (online: Int, ok: Int, failed: Int) {
        let r = try client.read(unit: 1, address: 0, count: 3).get()
        return (Int(r[0]), Int(r[1]), Int(r[2]))
    }

    /// The simulator's values, decoded by `tembridge read` over its own connection.
    func simulatorValues() throws -> [String: Double] {
        let out = try tembridge(["read", "tcp://127.0.0.1:\(simulatorPort)", "--format", "json"])
        guard out.status == 0 else { throw TestFailure("read: \(out.stderr)") }
        return exactJSONNumbers(out.stdout)
    }

    /// Whether the status registers satisfy `condition` within 1 s (they are re-rendered every
    /// 100 ms).
    func awaitStatus(_ condition: ((online: Int, ok: Int, failed: Int)) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(1)
        while Date() < deadline {
            if condition(try status()) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits until the data registers answer; checks them against the simulator's own decoding
    /// and returns them.
    func awaitOnline() throws -> [UInt16] {
        let deadline = Date().addingTimeInterval(10)
        var served = data()
        while Date() < deadline {
            if case .value = served, try status().online == 1 { break }
            usleep(20_000)
            served = data()
        }
        guard case let .value(registers) = served else { throw TestFailure("never online: \(served)\n\(bridge.stderr)") }
        let values = try simulatorValues()
        #expect(Decode.float32(Array(registers[0..<2])) == Float(values["temperature.1"]!))
        #expect(Double(Decode.uint32(Array(registers[2..<4]))) == values["serial_number"]!)
        #expect(Decode.float64(Array(registers[4..<8])) == values["energy.1"]!)
        initialFailed = try status().failed
        return registers
    }

    /// Seconds until the data registers serve `expected` again with status.online 1; every
    /// read on the way is 0B or `expected`.
    func awaitRecovery(_ expected: [UInt16]) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < 5 {
            let served = data()
            #expect(served == .value(expected) || served == .stale, "recovering: served \(served)")
            if served == .value(expected), try status().online == 1 { return Date().timeIntervalSince(start) }
            usleep(10_000)
        }
        throw TestFailure("not recovered within 5 s\n\(bridge.stderr)")
    }

    /// Sends a control command to the simulator and returns its one-line answer (`ok …`).
    @discardableResult
    func control(_ command: String) throws -> String {
        let answer = try simulator.control(command)
        guard answer.hasPrefix("ok") else { throw TestFailure("'\(command)': \(answer)") }
        return answer
    }

    /// Starts a simulator like the first one on the same port (the converter is back).
    func restartSimulator() throws {
        simulator = try Background([
            "simulate", "--listen", "127.0.0.1:\(simulatorPort)", "--frozen", "--seed", "\(seed)",
            "--addresses", "1",
        ])
        try simulator.wait(for: "simulating")
    }
}
