import Config
import Glibc
import Mapping
import Synchronization
import TEMLink
import TEMProtocol
import TEMSimulator
import Testing

@testable import Bridge

/// The quality bits a poll sets, and `comma` re-verification, with the bridge polling an
/// in-process simulated meter that the test reprograms and restarts.
@Suite(.serialized) struct PollQualityTests {
    static func yaml(seed: Int) -> String {
        """
        server: { listen: 127.0.0.1:0 }
        lines: [{ name: l, endpoint: "sim://?frozen=1&seed=\(seed)", timeout: 200ms, retries: 0 }]
        meters:
          - { name: m, line: l, address: 1, unit_id: 1, poll_interval: 50ms, stale_after: 10s, registers: set }
        register_sets:
          set:
            - { address: 0, value: energy.1, type: float64 }
            - { address: 4, value: status.quality, type: uint16 }
        """
    }

    /// Every reading the bridge announces.
    final class Readings: Sendable {
        private let list = Mutex<[MeterReading]>([])
        var all: [MeterReading] { list.withLock { $0 } }
        func add(_ reading: MeterReading) { list.withLock { $0.append(reading) } }
        var events: MeterEvents { MeterEvents(polled: { self.add($0) }, availability: { _, _ in }) }
    }

    static func run(seed: Int, _ body: (MeterLine, Readings, CapturedLog) throws -> Void) throws {
        let readings = Readings()
        let log = CapturedLog()
        let mapping = try MappingParser.parse(yaml: yaml(seed: seed), file: "test.yaml")
        let bridge = try Bridge(
            mapping: mapping, logger: log.logger(), openLink: { endpoint throws(LinkError) in try makeSimulatorLink(endpoint) },
            events: readings.events)
        bridge.start()
        defer { bridge.stop() }
        let line = MeterLine.shared(options: try SimulatorOptions(query: ["frozen": "1", "seed": "\(seed)"]))
        #expect(BridgeStatusTests.waitFor { !readings.all.isEmpty })
        try body(line, readings, log)
    }

    static func energy(_ reading: MeterReading) -> Double? { reading.values.first { $0.name == "energy.1" }?.value }

    @Test func reprogrammedCommaIsReVerifiedBeforeServing() throws {
        try Self.run(seed: 811) { line, readings, log in
            let before = try #require(Self.energy(readings.all[0]))
            #expect(readings.all[0].quality == [])
            #expect(line.rescale(by: 1))
            let count = readings.all.count
            #expect(BridgeStatusTests.waitFor { readings.all.count > count + 5 })
            // Frozen: every poll reads the same totals, whatever the codes (to the float
            // rounding of the rescaled fraction).
            let served = readings.all.compactMap(Self.energy)
            #expect(served.count == readings.all.count && served.allSatisfy { abs($0 / before - 1) < 1e-9 }, "\(served)")
            #expect(readings.all.allSatisfy { $0.quality == [] })
            #expect(
                log.lines.contains {
                    $0.contains("energy.1 went from \(before) to \(before * 10)".prefix(40)) && $0.contains("re-verifying comma")
                }, "\(log.lines)")
            #expect(log.lines.contains { $0.contains("its scaling continues the newest hourly record's integrators") })
        }
    }

    /// `status.quality` as rendered: before the first poll 17; after a poll its bits; stale, bit
    /// 0 added, also in the registers `on_stale: nan` serves.
    @Test func renderedQualityBits() throws {
        let yaml = """
            lines: [{ name: l, endpoint: "sim://" }]
            meters:
              - { name: m, line: l, address: 1, poll_interval: 1s, stale_after: 2s, on_stale: nan, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.quality, type: uint16 }
                - { address: 1, value: temperature.1, type: float32 }
            """
        let meter = MeterRuntime(config: try MappingParser.parse(yaml: yaml, file: "m.yaml").meters[0])
        let second: UInt64 = 1_000_000_000
        #expect(meter.images(now: second, since: 0)[0].registers[0] == 17)
        _ = meter.succeeded(Snapshot(image: T2KImage(), archive: [:], time: 10 * second, quality: .commaUnconfirmed))
        #expect(meter.images(now: 11 * second, since: 0)[0].registers[0] == 2)
        let stale = meter.images(now: 13 * second, since: 0)[0]
        #expect(stale.registers[0] == 3)
        #expect(stale.staleRegisters?[0] == 3)
        let status = Bridge.status(of: meter, now: 13 * second)
        #expect(status.quality == [.stale, .commaUnconfirmed])
    }

    @Test func aResetMeterIsServedImplausibleForOnePoll() throws {
        try Self.run(seed: 812) { line, readings, log in
            #expect(line.restart(1))
            #expect(BridgeStatusTests.waitFor { readings.all.contains { Self.energy($0) == 0 } })
            let count = readings.all.count
            #expect(BridgeStatusTests.waitFor { readings.all.count > count + 3 })
            let reset = readings.all.filter { Self.energy($0) == 0 }
            // The poll that found it went backwards (and stayed so after re-verification) is flagged.
            #expect(reset.first?.quality == .implausible)
            #expect(reset.last?.quality == [])
            #expect(log.lines.contains { $0.contains("energy.1 went backwards") })
        }
    }
}
