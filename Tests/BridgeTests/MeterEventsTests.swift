import Config
import Mapping
import TEMProtocol
import Testing

@testable import Bridge

/// What `MeterEvents` hears from a meter: one reading per new good poll, the freshness once
/// per change.
@Suite struct MeterEventsTests {
    static func meter() throws -> MeterRuntime {
        let yaml = """
            lines: [{ name: l, endpoint: "sim://" }]
            meters:
              - { name: m, line: l, address: 1, poll_interval: 1s, stale_after: 2s, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 2, value: temperature.1 }
                - { address: 4, value: serial_number, type: uint32 }
                - { address: 6, value: pressure.1 }
                - { address: 8, value: temperature.1, type: float64 }
                - { address: 12, raw: { t2k: 0x0000, type: f32 } }
            """
        return MeterRuntime(config: try MappingParser.parse(yaml: yaml, file: "m.yaml").meters[0])
    }

    @Test func readingsAndFreshnessOncePerChange() throws {
        let meter = try Self.meter()
        let second: UInt64 = 1_000_000_000
        let first = meter.unannounced(now: 0)
        #expect(first.reading == nil && first.online == false)
        #expect(meter.unannounced(now: 1).online == nil)

        var image = T2KImage()
        let temperature = try #require(ValueCatalog.definition(named: "temperature.1"))
        let serial = try #require(ValueCatalog.definition(named: "serial_number"))
        guard case let .field(temperatureAt, _) = temperature.source, case let .field(serialAt, _) = serial.source else {
            Issue.record("catalog sources changed")
            return
        }
        image.store(withUnsafeBytes(of: Float(71.25).bitPattern.bigEndian, Array.init), at: temperatureAt)
        image.store(withUnsafeBytes(of: UInt32(10_001_001).bigEndian, Array.init), at: serialAt)
        image.store([0, 0, 0, 0], at: 0)
        _ = meter.succeeded(Snapshot(image: image, archive: [:], time: second))

        let good = meter.unannounced(now: second)
        #expect(good.online == true)
        let reading = try #require(good.reading)
        #expect(reading.meter == "m")
        #expect(reading.serialNumber == 10_001_001)
        // status.* and values the poll did not give (pressure.1) are left out; a value mapped
        // twice appears once.
        #expect(
            reading.values == [
                MeterValue(name: "temperature.1", value: 71.25), MeterValue(name: "serial_number", value: 10_001_001),
                MeterValue(name: "raw 0x0000 f32", value: 0),
            ])
        let again = meter.unannounced(now: second + 1)
        #expect(again.reading == nil && again.online == nil)
        #expect(meter.unannounced(now: 3 * second + 1).online == false)
    }
}
