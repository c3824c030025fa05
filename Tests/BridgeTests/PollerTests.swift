import Config
import Glibc
import Mapping
import Platform
import Synchronization
import TEMLink
import TEMSimulator
import Testing

@testable import Bridge

/// The poller on its own, over a simulated line: meters in turn at their intervals, one
/// publication per poll, nothing after `stop`, and a stop that does not wait out a sleep.
@Suite struct PollerTests {
    static func yaml(interval: String) -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "sim://?frozen=1&seed=31&addresses=1,2", timeout: 2s }
        meters:
          - { name: a, line: l, address: 1, unit_id: 1, poll_interval: \(interval), registers: set }
          - { name: b, line: l, address: 2, unit_id: 2, poll_interval: \(interval), registers: set }
        register_sets:
          set:
            - { address: 0, value: status.online, type: uint16 }
            - { address: 2, value: temperature.1, type: float32 }

        """
    }

    /// The names of the meters a poller published, in order.
    final class Published: Sendable {
        private let names = Mutex<[String]>([])
        func append(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// A poller with the meters of `yaml` and what it published.
    static func poller(_ yaml: String) throws -> (Poller, Published) {
        let mapping = try MappingParser.parse(yaml: yaml, file: "test.yaml")
        let published = Published()
        let poller = Poller(
            line: mapping.lines[0], meters: mapping.meters.map(MeterRuntime.init), logger: CapturedLog().logger(),
            openLink: { endpoint throws(LinkError) in try makeSimulatorLink(endpoint) },
            published: { meter in published.append(meter.config.name) })
        return (poller, published)
    }

    static func waitUntil(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
        let deadline = Deadline(after: .milliseconds(Int64(seconds * 1000)))
        while !condition() {
            if deadline.hasPassed { return false }
            blockingSleep(.milliseconds(10))
        }
        return true
    }

    @Test func pollsEachMeterInTurnAndPublishesEveryPoll() throws {
        let (poller, published) = try Self.poller(Self.yaml(interval: "100ms"))
        poller.start()
        let enough = Self.waitUntil {
            let names = published.all
            return names.filter { $0 == "a" }.count >= 3 && names.filter { $0 == "b" }.count >= 3
        }
        poller.stop()
        #expect(enough)
        let names = published.all
        // One line, one exchange at a time: the meters take turns.
        #expect(names.prefix(2).sorted() == ["a", "b"])
        for meter in poller.meters {
            let (snapshot, health) = meter.observed()
            #expect(snapshot != nil, "\(meter.config.name) has no snapshot")
            #expect(health.pollsOK >= 3 && health.pollsFailed == 0, "\(meter.config.name): \(health)")
            #expect(health.pollsOK == names.filter { $0 == meter.config.name }.count)
        }
        // Nothing is polled once stopped.
        blockingSleep(.milliseconds(400))
        #expect(published.all.count == names.count)
    }

    /// With an hour between polls the thread sleeps; `stop` ends the sleep at once.
    @Test func stopEndsTheSleepBetweenPolls() throws {
        let (poller, published) = try Self.poller(Self.yaml(interval: "1h"))
        poller.start()
        #expect(Self.waitUntil { published.all.count >= 2 })
        let started = MonotonicClock.Instant.now
        poller.stop()
        #expect(MonotonicClock.Instant.now - started < .seconds(2))
        #expect(published.all.count == 2)
    }
}
