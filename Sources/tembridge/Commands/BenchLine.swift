import ArgumentParser
import Bridge
import Config
import Glibc
import Logging
import Mapping
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// `tembridge bench-line` (hidden; used by `make bench`, see Tests/Bench/ and docs/BENCHMARKS.md).
///
/// Runs the real `Poller` of every `sim://` line of a mapping, with the simulator emulating the
/// wire at `--line-speed` baud, the meters polled back to back, and a link wrapper counting
/// the bytes each poll puts on the wire. Prints, one fact per line, for a script to judge:
///
///     line NAME BAUD METERS
///     needed METER FIRST LAST          one per atomic T2K byte range the meter's map needs
///     plan METER READS WIREBYTES       what the planner chose (for information only)
///     needed-steady METER FIRST LAST   the ranges of changing values (tiered polling's steady poll)
///     steady-plan METER READS WIREBYTES   tiered polling: the steady plan, over changing values only
///     config-plan METER READS WIREBYTES   tiered polling: the configuration values alone
///     poll METER CYCLE EXCHANGES SENT RECEIVED NANOSECONDS
///     cycle LINE CYCLE EXCHANGES SENT RECEIVED NANOSECONDS   every meter polled once
///
/// The lower bound is not computed here: the bench computes it on its own from `needed`.
struct BenchLine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-line",
        abstract: "Measure the bytes and time of poll cycles over an emulated line (for make bench).",
        shouldDisplay: false)

    @Option(help: "The mapping file (YAML); its sim:// lines are measured, others skipped.")
    var mapping: String

    @Option(help: "Baud rate the simulator emulates.")
    var lineSpeed: Int = 9600

    @Option(help: "Poll cycles to measure per line (the first one includes archive record reads).")
    var cycles: Int = 4

    func validate() throws {
        guard lineSpeed > 0, cycles > 0 else { throw ValidationError("--line-speed and --cycles must be > 0") }
    }

    func run() throws {
        let loaded = try loadMapping(mapping)
        for line in loaded.lines {
            guard case var .simulator(query) = line.endpoint else {
                print("skip \(line.name) not-a-sim-line")
                continue
            }
            query["line_speed"] = String(lineSpeed)
            var emulated = line
            emulated.endpoint = .simulator(options: query)
            let configs = loaded.meters(onLine: line.name).map { config -> MeterConfig in
                var c = config
                c.pollInterval = .milliseconds(1)  // back to back: a cycle is pure line time
                c.staleAfter = .seconds(3600)
                return c
            }
            guard !configs.isEmpty else { continue }
            try measure(line: emulated, meters: configs.map(MeterRuntime.init))
        }
    }

    private func measure(line: LineConfig, meters: [MeterRuntime]) throws {
        print("line \(line.name) \(lineSpeed) \(meters.count)")
        for meter in meters {
            let name = meter.config.name
            let tiered = meter.plans(comma: meter.config.commaAddress ?? .listed)
            for range in (tiered.configurationRanges + tiered.changingRanges).sorted(by: { $0.lowerBound < $1.lowerBound }) {
                print("needed \(name) \(range.lowerBound) \(range.upperBound)")
            }
            print("plan \(name) \(tiered.full.reads.count) \(tiered.full.wireBytes)")
            for range in tiered.changingRanges {
                print("needed-steady \(name) \(range.lowerBound) \(range.upperBound)")
            }
            print("steady-plan \(name) \(tiered.steady.reads.count) \(tiered.steady.wireBytes)")
            print("config-plan \(name) \(tiered.configuration.reads.count) \(tiered.configuration.wireBytes)")
        }
        fflush(nil)

        let counters = Counters()
        let polls = Mutex<[(meter: String, counts: Counts)]>([])
        let wanted = cycles * meters.count
        let done = StopSignal()  // fired by the poll that completes the run
        let poller = Poller(
            line: line, meters: meters, logger: Logger(label: "tembridge.bench", factory: { _ in SwiftLogNoOpLogHandler() }),
            openLink: { endpoint throws(LinkError) in CountingLink(try openAnyLink(endpoint), counters) },
            published: { meter in
                let counts = counters.take()
                let total = polls.withLock { list in
                    list.append((meter.config.name, counts))
                    return list.count
                }
                if total >= wanted { done.signal() }
            })
        poller.start()
        done.sleep(for: .seconds(120) * cycles)
        poller.stop()

        let list = polls.withLock { $0 }
        guard list.count >= wanted else {
            printError("line \(line.name): only \(list.count) of \(wanted) polls in time")
            throw ExitCode.failure
        }
        for (i, poll) in list.prefix(wanted).enumerated() {
            let c = poll.counts
            print("poll \(poll.meter) \(i / meters.count) \(c.exchanges) \(c.sent) \(c.received) \(c.nanoseconds)")
        }
        for cycle in 0..<cycles {
            let part = list[(cycle * meters.count)..<((cycle + 1) * meters.count)].map(\.counts)
            let first = part.map(\.start).min()!, last = part.map(\.end).max()!
            print(
                "cycle \(line.name) \(cycle) \(part.map(\.exchanges).reduce(0, +)) \(part.map(\.sent).reduce(0, +)) "
                    + "\(part.map(\.received).reduce(0, +)) \(last - first)")
        }
        fflush(nil)
    }
}

/// What one poll put on the line: from its first request byte to the snapshot being published.
private struct Counts: Sendable {
    var exchanges = 0, sent = 0, received = 0
    var start: UInt64 = 0, end: UInt64 = 0
    var nanoseconds: UInt64 { end &- start }
}

private final class Counters: Sendable {
    private let state = Mutex(Counts())

    func wrote(_ count: Int) {
        let now = MonotonicClock.now()
        state.withLock {
            if $0.exchanges == 0 { $0.start = now }
            $0.exchanges += 1
            $0.sent += count
        }
    }

    func read(_ count: Int) { state.withLock { $0.received += count } }

    /// The counts since the last call, ending now.
    func take() -> Counts {
        let now = MonotonicClock.now()
        return state.withLock { c in
            var out = c
            out.end = now
            c = Counts()
            return out
        }
    }
}

/// A link that counts the bytes written and read through it (one write = one request frame).
private final class CountingLink: Link {
    private let inner: any Link
    private let counters: Counters

    init(_ inner: any Link, _ counters: Counters) {
        self.inner = inner
        self.counters = counters
    }

    var endpoint: Endpoint { inner.endpoint }
    func open(timeout: Duration) throws(LinkError) { try inner.open(timeout: timeout) }
    func discardInput() throws(LinkError) { try inner.discardInput() }
    func write(_ bytes: [UInt8]) throws(LinkError) {
        counters.wrote(bytes.count)
        try inner.write(bytes)
    }
    func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        let bytes = try inner.read(timeout: timeout)
        counters.read(bytes.count)
        return bytes
    }
    func close() { inner.close() }
}
