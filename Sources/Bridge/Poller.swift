import Glibc
import Mapping
import ModbusServer
import Synchronization
import TEMLink
import TEMProtocol
import Threads

/// Polls the meters of one line on its own thread: meters in turn, exchanges never
/// overlapping, each meter at its own interval, each poll publishing one snapshot.
public final class Poller: Sendable {
    public let line: LineConfig
    public let meters: [MeterRuntime]
    private let openLink: @Sendable (Endpoint) throws(LinkError) -> any Link
    private let published: @Sendable (MeterRuntime) -> Void
    private let log: Log
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<PosixThread?>(nil)
    private let monitor: LineMonitor?
    /// Monotonic time the thread last showed progress: a poll ended or a wait step passed.
    private let heartbeat = Atomic<UInt64>(MonotonicClock.now())

    /// - Parameters:
    ///   - published: called after each poll (good or failed) so the caller can re-render.
    public init(
        line: LineConfig, meters: [MeterRuntime], log: Log,
        openLink: @escaping @Sendable (Endpoint) throws(LinkError) -> any Link,
        monitor: LineMonitor? = nil,
        published: @escaping @Sendable (MeterRuntime) -> Void
    ) {
        self.monitor = monitor
        self.line = line
        self.meters = meters
        self.openLink = openLink
        self.published = published
        self.log = log
    }

    public func start() {
        thread.withLock { $0 = PosixThread.essential("poller of line \(line.name)") { self.run() } }
    }

    /// Stops polling and waits for the thread; an exchange in progress finishes first
    /// (bounded by the line's timeout × (retries + 1)).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        thread.withLock { t in
            defer { t = nil }; return t
        }?.join()
    }

    /// Whether the thread showed progress recently enough at `now`: within the longest a poll
    /// of one of its meters may take (every exchange failing after all its retries) plus 5 s.
    /// A poller stuck beyond that is hung; the systemd watchdog stops being fed.
    public func isProgressing(at now: UInt64) -> Bool {
        let last = heartbeat.load(ordering: .relaxed)
        return now < last || now - last <= progressBound
    }

    /// The longest one poll may take, nanoseconds.
    var progressBound: UInt64 {
        let exchanges = meters.map { $0.plan.reads.count + 8 * $0.archiveKinds.count + 1 }.max() ?? 1
        let attempt = UInt64(line.timeout.nanoseconds) + 200_000_000  // + the drain after a failure
        return UInt64(exchanges) * UInt64(line.retries + 1) * attempt + 5_000_000_000
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func run() {
        var due = meters.map { _ in MonotonicClock.now() }
        var archiveCache = meters.map { _ in [ArchiveKind: (index: Int, record: ArchiveRecord?)]() }
        var client: MeterClient?
        var backoff: UInt64 = 0
        let maxBackoff = UInt64(meters.map(\.config.pollInterval.nanoseconds).min() ?? 1_000_000_000)
        while !isStopping {
            guard let i = due.indices.min(by: { due[$0] < due[$1] }) else { return }
            guard sleep(until: due[i]) else { return }
            let meter = meters[i]
            due[i] = max(due[i] &+ UInt64(meter.config.pollInterval.nanoseconds), MonotonicClock.now())
            do throws(PollError) {
                if client == nil {
                    do throws(LinkError) {
                        client = MeterClient(link: try openLink(line.endpoint), settings: settings, monitor: monitor)
                    } catch { throw .link(error) }
                }
                let snapshot = try poll(meter, client: client!, cache: &archiveCache[i])
                backoff = 0
                report(meter, meter.succeeded(snapshot))
            } catch {
                if error.isLinkDown {
                    // The link itself is down (converter unreachable): back off before reopening,
                    // never longer than the shortest poll interval on the line.
                    backoff = min(max(backoff * 2, 250_000_000), maxBackoff)
                    for j in due.indices { due[j] = max(due[j], MonotonicClock.now() &+ backoff) }
                }
                report(meter, meter.failed(at: MonotonicClock.now(), reason: error.description))
            }
            let now = MonotonicClock.now()
            for other in meters where other !== meter { report(other, other.tick(at: now)) }
            published(meter)
            heartbeat.store(MonotonicClock.now(), ordering: .relaxed)
        }
        client?.link.close()
    }

    private var settings: ExchangeSettings {
        ExchangeSettings(timeout: line.timeout, retries: line.retries)
    }

    /// One poll: every read of the plan, then the archive records whose pointer moved.
    private func poll(
        _ meter: MeterRuntime, client: MeterClient,
        cache: inout [ArchiveKind: (index: Int, record: ArchiveRecord?)]
    ) throws(PollError) -> Snapshot {
        let address = meter.config.address
        var image = T2KImage()
        do throws(ExchangeError) {
            for read in meter.plan.reads {
                guard case let .readT2K(at, length) = read else { continue }
                image.store(try client.readT2K(address: address, at: at, length: Int(length)), at: at)
            }
            if !meter.archiveKinds.isEmpty, let pointers = ArchivePointers(image: image) {
                let reader = ArchiveReader(client: client, address: address)
                for kind in meter.archiveKinds {
                    guard let index = pointers.newestIndex(kind), cache[kind]?.index != index else { continue }
                    let bytes = try reader.recordBytes(in: pointers.layout.area(kind), index: index)
                    do {
                        cache[kind] = (index, try ArchiveRecord(bytes: bytes))
                    } catch {
                        log(.warning, "meter \(meter.config.name): \(kind.rawValue) record \(index) skipped: \(error)")
                        cache[kind] = (index, nil)
                    }
                }
            }
        } catch {
            throw .exchange(error)
        }
        return Snapshot(image: image, archive: cache.compactMapValues(\.record), time: MonotonicClock.now())
    }

    private func report(_ meter: MeterRuntime, _ action: MeterHealth.Action?) {
        guard let action else { return }
        let name = "meter \(meter.config.name) (address \(meter.config.address) on \(line.endpoint))"
        switch action {
        case let .cameOnline(firstTime, failed):
            log(.info, firstTime ? "\(name): online" : "\(name): back online after \(failed) failed poll(s)")
        case let .startedFailing(reason):
            log(.warning, "\(name): poll failed, serving last data until stale: \(reason)")
        case let .wentOffline(reason):
            log(.error, "\(name): offline, registers answer 0B: \(reason)")
        }
    }

    /// Sleeps until `deadline` in short steps so `stop` is prompt; false if stopping.
    private func sleep(until deadline: UInt64) -> Bool {
        while !isStopping {
            let now = MonotonicClock.now()
            heartbeat.store(now, ordering: .relaxed)
            guard now < deadline else { return true }
            let step = min(deadline - now, 20_000_000)
            var ts = timespec(tv_sec: 0, tv_nsec: Int(step))
            nanosleep(&ts, nil)
        }
        return false
    }
}

/// Why a poll failed.
enum PollError: Error, CustomStringConvertible {
    case link(LinkError)
    case exchange(ExchangeError)

    var description: String {
        switch self {
        case let .link(e): "\(e)"
        case let .exchange(e): "\(e)"
        }
    }

    /// The link itself failed (as opposed to the meter answering badly or not at all).
    var isLinkDown: Bool {
        switch self {
        case .link: true
        case let .exchange(e): if case .link = e.reason { true } else { false }
        }
    }
}
