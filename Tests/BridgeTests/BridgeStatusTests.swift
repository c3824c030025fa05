import Config
import Dispatch
import Glibc
import Mapping
import ModbusServer
import Platform
import Synchronization
import TEMLink
import TEMProtocol
import TEMSimulator
import Testing

@testable import Bridge

/// A link that, once told to, blocks in `read` until released, whatever the timeout: a driver
/// or kernel that hangs, the one thing the exchange's own timeouts cannot bound. `HangSwitch`
/// turns the hang on.
final class HangingLink: Link {
    let inner: any Link
    let release: DispatchSemaphore

    init(_ inner: any Link, release: DispatchSemaphore) {
        self.inner = inner
        self.release = release
    }

    var endpoint: Endpoint { inner.endpoint }
    func open(timeout: Duration) throws(LinkError) { try inner.open(timeout: timeout) }
    func discardInput() throws(LinkError) { try inner.discardInput() }
    func write(_ bytes: [UInt8]) throws(LinkError) { try inner.write(bytes) }
    func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        if HangSwitch.shared.on.load(ordering: .relaxed) { release.wait() }
        return try inner.read(timeout: timeout)
    }
    func close() { inner.close() }
}

final class HangSwitch: Sendable {
    static let shared = HangSwitch()
    let on = Atomic<Bool>(false)
}

@Suite(.serialized) struct BridgeStatusTests {
    static let yaml = """
        server: { listen: 127.0.0.1:0 }
        lines: [{ name: l, endpoint: "sim://?frozen=1&seed=707", timeout: 100ms, retries: 0 }]
        meters:
          - { name: m, line: l, address: 1, unit_id: [1, 9], poll_interval: 50ms, stale_after: 10s, registers: set }
        register_sets:
          set:
            - { address: 0, value: status.online, type: uint16 }
            - { address: 2, value: temperature.1 }
            - { address: 4, value: energy.1, type: float64 }
            - { address: 8, raw: { t2k: 0x0200, type: f32 }, type: float32 }
        """

    static func waitFor(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while !condition() {
            if MonotonicClock.now() > deadline { return false }
            var ts = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&ts, nil)
        }
        return true
    }

    @Test func statusHoldsTheServedValuesAndCounts() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "test.yaml")
        let bridge = try Bridge(mapping: mapping, logger: CapturedLog().logger()) { endpoint throws(LinkError) in
            try makeSimulatorLink(endpoint)
        }
        bridge.start()
        defer { bridge.stop() }
        #expect(Self.waitFor { bridge.status().meters.first?.online == true })
        let status = bridge.status()
        let meter = try #require(status.meters.first)
        #expect(meter.name == "m" && meter.line == "l" && meter.address == 1 && meter.unitIDs == [1, 9])
        #expect(meter.pollsOK >= 1 && meter.pollsFailed == 0 && meter.lastError == nil)
        #expect(meter.values.map(\.name) == ["status.online", "temperature.1", "energy.1", "raw.0x0200"])
        let temperature = try #require(meter.values.first { $0.name == "temperature.1" })
        #expect(temperature.unit == "°C")
        // The raw f32 at 0x0200 is temperature.1's field: the same number, at full precision.
        #expect(meter.values.first { $0.name == "raw.0x0200" }?.value == temperature.value)
        #expect(status.staleMeters.isEmpty)
        let line = try #require(status.lines.first)
        #expect(line.name == "l" && line.endpoint == "sim://?frozen=1&seed=707")
        #expect(line.exchangesOK >= 1 && line.exchangesFailed == 0)
        #expect(status.modbus.connections == 0 && status.modbus.totalRequests == 0)
    }

    @Test func aSilentMeterIsStaleWithItsErrorAndTimeouts() throws {
        let yaml = Self.yaml.replacing("seed=707", with: "seed=707&fault=silent")
        let mapping = try MappingParser.parse(yaml: yaml, file: "test.yaml")
        let bridge = try Bridge(mapping: mapping, logger: CapturedLog().logger()) { endpoint throws(LinkError) in
            try makeSimulatorLink(endpoint)
        }
        bridge.start()
        defer { bridge.stop() }
        #expect(Self.waitFor { (bridge.status().meters.first?.pollsFailed ?? 0) >= 2 })
        let status = bridge.status()
        let meter = try #require(status.meters.first)
        #expect(!meter.online && meter.ageSeconds == nil && meter.pollsOK == 0)
        #expect(meter.lastError?.contains("no reply within 0.1s") == true, "\(String(describing: meter.lastError))")
        #expect(meter.values.map(\.name) == ["status.online"], "only the status values before a good poll")
        #expect(status.staleMeters == ["m"])
        let line = try #require(status.lines.first)
        #expect(line.exchangesOK == 0 && line.exchangesFailed >= 2)
        #expect(line.exchanges[.timeout] == line.exchangesFailed)
    }

    /// A poller stuck inside a read (beyond every timeout) stops counting as making progress, so
    /// the systemd watchdog stops being fed; released, it makes progress again.
    @Test func aHungPollerIsNotMakingProgress() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "test.yaml")
        let release = DispatchSemaphore(value: 0)
        let bridge = try Bridge(mapping: mapping, logger: CapturedLog().logger()) { endpoint throws(LinkError) in
            HangingLink(try makeSimulatorLink(endpoint), release: release)
        }
        bridge.start()
        defer {
            HangSwitch.shared.on.store(false, ordering: .relaxed)
            release.signal()
            bridge.stop()
        }
        #expect(Self.waitFor { bridge.status().meters.first?.online == true })
        #expect(bridge.pollersProgressing())
        HangSwitch.shared.on.store(true, ordering: .relaxed)
        // The longest poll: the full plan (temperature.1 and the serial number: 2 reads) plus 14
        // (comma check with both witnesses, identify), each one exchange of 0.1 s with 0.2 s for
        // the drain, + 5 s: 9.8 s.
        let hungAt = MonotonicClock.now()
        #expect(Self.waitFor(seconds: 14) { !bridge.pollersProgressing() })
        let seconds = Double(MonotonicClock.now() - hungAt) / 1e9
        #expect(seconds > 5 && seconds < 11, "hung after \(seconds) s")
        HangSwitch.shared.on.store(false, ordering: .relaxed)
        release.signal()
        #expect(Self.waitFor(seconds: 2) { bridge.pollersProgressing() })
    }
}
