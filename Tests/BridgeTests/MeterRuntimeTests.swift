import Config
import Mapping
import Testing

@testable import Bridge

@Suite struct MeterRuntimeTests {
    static func meter() throws -> MeterRuntime {
        let yaml = """
            lines: [{ name: l, endpoint: "sim://" }]
            meters:
              - { name: m, line: l, address: 1, unit_id: [1, 2], poll_interval: 1s, stale_after: 10s, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 1, value: status.polls_failed, type: uint16 }
                - { address: 2, value: temperature.1 }
            """
        return MeterRuntime(config: try MappingParser.parse(yaml: yaml, file: "m.yaml").meters[0])
    }

    /// The 100 ms re-render publishes only what changed: an unchanged rendering gives nil.
    @Test func changedImagesOnlyWhenTheRenderingChanges() throws {
        let meter = try Self.meter()
        let second: UInt64 = 1_000_000_000
        let first = try #require(meter.changedImages(now: 0, since: 0))
        #expect(first.map(\.unitID) == [1, 2])
        #expect(meter.changedImages(now: second / 10, since: 0) == nil)
        _ = meter.failed(at: second / 5, reason: "no reply")  // polls_failed 0 → 1
        let failed = try #require(meter.changedImages(now: second / 5, since: 0))
        #expect(failed[0].registers[1] == 1)
        #expect(meter.changedImages(now: second / 4, since: 0) == nil)
        // `images` always renders (a reload installs them whole).
        #expect(meter.images(now: second / 4, since: 0).count == 2)
    }
}
