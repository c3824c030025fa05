import Config
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

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A link that counts the Flash read requests going through it.
final class CountingLink: Link {
    let inner: any Link
    let flashReads: Counter

    init(_ inner: any Link, counter: Counter) {
        self.inner = inner
        self.flashReads = counter
    }

    var endpoint: Endpoint { inner.endpoint }
    func open(timeout: Duration) throws(LinkError) { try inner.open(timeout: timeout) }
    func discardInput() throws(LinkError) { try inner.discardInput() }
    func write(_ bytes: [UInt8]) throws(LinkError) {
        if bytes.count > 4, bytes[3] == 0x0F, bytes[4] == 0x03 { flashReads.add() }
        try inner.write(bytes)
    }
    func read(timeout: Duration) throws(LinkError) -> [UInt8] { try inner.read(timeout: timeout) }
    func close() { inner.close() }
}

@Suite struct ArchiveRegistersTests {
    /// The poller watches the record pointer and reads a record (six Flash reads) only when it
    /// moves; the `archive.hourly.*` registers change exactly when a new record appears.
    @Test func archiveRegistersChangeExactlyWhenANewRecordAppears() throws {
        let yaml = """
            server: { listen: 127.0.0.1:0 }
            lines: [{ name: l, endpoint: "sim://?frozen=1&seed=606", timeout: 300ms, retries: 0 }]
            meters:
              - { name: m, line: l, address: 1, unit_id: 1, poll_interval: 50ms, stale_after: 10s, registers: set }
            register_sets:
              set:
                - { address: 0, value: archive.hourly.time, type: uint32 }
                - { address: 2, value: archive.hourly.energy.1, type: float64 }
                - { address: 6, value: temperature.1 }
            """
        let mapping = try MappingParser.parse(yaml: yaml, file: "test.yaml")
        let line = MeterLine.shared(options: try SimulatorOptions(query: ["frozen": "1", "seed": "606"]))
        let counter = Counter()
        let bridge = try Bridge(mapping: mapping, logger: CapturedLog().logger()) { endpoint throws(LinkError) in
            CountingLink(try makeSimulatorLink(endpoint), counter: counter)
        }
        bridge.start()
        defer { bridge.stop() }

        func registers() -> [UInt16]? { bridge.store.image(for: 1).map { Array($0.registers[0..<6]) } }
        func waitFor(_ condition: () -> Bool) -> Bool {
            let deadline = MonotonicClock.now() + 5_000_000_000
            while !condition() {
                if MonotonicClock.now() > deadline { return false }
                var ts = timespec(tv_sec: 0, tv_nsec: 10_000_000)
                nanosleep(&ts, nil)
            }
            return true
        }

        #expect(waitFor { registers().map { $0[0] != 0 || $0[1] != 0 } ?? false })
        let first = registers()!
        // One record = six 64-byte Flash reads; first contact adds one 6-byte read of the newest
        // record's own comma (CommaDetection asks the meter where comma lives).
        #expect(counter.value == 7, "one record = six 64-byte Flash reads, plus the comma check")
        // The record's stamp is the frozen start's previous hour (2024-03-01 10:00 written).
        let written = MeterClock(unixSeconds: Int(UInt32(first[0]) << 16 | UInt32(first[1])))
        #expect(written.description == "2024-03-01T10:00:00")

        // Ten simulated minutes: no new record, no Flash read, registers unchanged.
        line.advance(by: 600)
        let settle = MonotonicClock.now() + 300_000_000
        _ = waitFor { MonotonicClock.now() > settle }
        #expect(counter.value == 7)
        #expect(registers() == first)

        // Past the hour: exactly one new record is read, and the registers change to it.
        line.advance(by: 1800)
        #expect(waitFor { registers() != first })
        let second = registers()!
        #expect(counter.value == 13)
        let newer = MeterClock(unixSeconds: Int(UInt32(second[0]) << 16 | UInt32(second[1])))
        #expect(newer.description == "2024-03-01T11:00:00")
    }
}
