import Foundation
import Testing

/// A USB-RS485 adapter that is unplugged and plugged back: the bridge polls a simulator's
/// pseudo-terminal through a `/dev/serial/by-id`-style symlink; the simulator is stopped and
/// the symlink removed (the device node is gone), then a new pseudo-terminal appears under the
/// same name. The meter must go stale on schedule, the loss be logged once, no thread spin,
/// and polling recover once the path is back.
@Suite struct SerialLossTests {
    static let poll = 0.2, timeout = 0.2, staleAfter = 0.6
    static let staleBound = staleAfter + poll + timeout * 2 + 0.5

    @Test func adapterUnpluggedAndPluggedBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-by-id-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let byID = dir.appendingPathComponent("usb-FTDI_FT232R_USB_UART_A10KZ3LM-if00-port0").path

        var simulator = try Self.plugIn(at: byID)
        defer { simulator.stop() }
        let yaml = """
            server:
              listen: 127.0.0.1:0
            lines:
              - { name: rs485, endpoint: "serial://\(byID)?baud=9600", timeout: 200ms, retries: 1 }
            meters:
              - name: boiler
                line: rs485
                address: 1
                poll_interval: 200ms
                stale_after: 600ms
                registers:
                  - { address: 0, value: status.online, type: uint16 }
                  - { address: 1, value: temperature.1, type: float32 }
            """
        let bridge = try Background(["serve", "--mapping", try temporaryFile(yaml)])
        defer { bridge.stop() }
        let port = Int(try bridge.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        let client = try ModbusClient(port: port, timeout: 1)
        func online() -> Bool? {
            switch client.read(unit: 1, address: 0, count: 3) {
            case let .success(r): r[0] == 1
            case let .failure(f) where f.exception == 0x0B: false
            case .failure: nil
            }
        }
        func waitOnline(_ wanted: Bool, within seconds: Double) -> Double? {
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                if online() == wanted { return Date().timeIntervalSince(start) }
                usleep(10_000)
            }
            return nil
        }
        try #require(waitOnline(true, within: 10) != nil, "never online:\n\(bridge.stderr)")

        // Unplugged: the adapter's node and its by-id link disappear.
        simulator.stop()
        unlink(byID)
        let stale = waitOnline(false, within: Self.staleBound + 2)
        #expect(stale != nil && stale! < Self.staleBound, "stale after \(String(describing: stale)) s")
        // Several reopen attempts later: still down, logged once, and the bridge does not spin.
        let cpuBefore = try Self.cpuSeconds(bridge.process.processIdentifier)
        Thread.sleep(forTimeInterval: 1.5)
        let cpu = try Self.cpuSeconds(bridge.process.processIdentifier) - cpuBefore
        #expect(cpu < 0.5, "the bridge used \(cpu) s of CPU in 1.5 s with the adapter gone")
        #expect(online() == false)
        let log = bridge.stderr
        #expect(Self.count("): poll failed", in: log) == 1, "\(log)")
        #expect(Self.count("): offline, registers answer 0B", in: log) == 1, "\(log)")

        // Plugged back: a new device under the same name.
        simulator = try Self.plugIn(at: byID)
        let recovered = waitOnline(true, within: 5)
        #expect(recovered != nil, "not recovered:\n\(bridge.stderr)")
        #expect(Self.count("): back online", in: bridge.stderr) == 1, "\(bridge.stderr)")
        print(String(format: "adapter unplugged: stale after %.2f s; back: recovered after %.2f s", stale ?? -1, recovered ?? -1))
    }

    /// A simulator on a new pseudo-terminal, linked at `path` as udev links an adapter.
    static func plugIn(at path: String) throws -> Background {
        let simulator = try Background(["simulate", "--pty", "--frozen", "--seed", "41", "--addresses", "1"])
        let device = try simulator.wait(for: #"on serial://(/dev/pts/\d+)\?"#)
        unlink(path)
        try #require(symlink(device, path) == 0)
        return simulator
    }

    static func count(_ text: String, in log: String) -> Int { log.components(separatedBy: text).count - 1 }

    /// User + system CPU seconds of process `pid` so far.
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based, whole line).
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
