import Glibc
import Mapping
import ModbusServer
import Synchronization
import TEMLink
import TEMProtocol
import Threads

/// The running bridge: a Modbus server, one poller per line, and a renderer that turns each
/// meter's snapshot and health into register images. `reload` swaps a new mapping in.
public final class Bridge: Sendable {
    private let server: ModbusTCPServer
    let store = RegisterStore()
    private let log: Log
    private let openLink: @Sendable (Endpoint) throws(LinkError) -> any Link
    private let startedAt = MonotonicClock.now()

    struct Running: Sendable {
        var mapping: Mapping
        var pollers: [Poller]
        var meters: [MeterRuntime]
    }

    private let running: Mutex<Running>
    private let threads = Mutex<[PosixThread]>([])
    private let tickerStop = Atomic<Bool>(false)
    /// Exchange counters and frame taps per line name; kept across reloads.
    let lineMonitorsMutex = Mutex<[String: LineMonitor]>([:])
    let lineObservers: LineMonitor.Observers
    /// Wall-clock start, seconds since 1970.
    let startedWall = Bridge.wallClock()
    let reloadsOK = Atomic<Int>(0)
    let reloadsFailed = Atomic<Int>(0)

    /// Binds the server's port (so errors come before anything starts) without polling yet.
    public init(
        mapping: Mapping, log: Log = .standardError, observers: LineMonitor.Observers = LineMonitor.Observers(),
        openLink: @escaping @Sendable (Endpoint) throws(LinkError) -> any Link
    ) throws(ModbusServerError) {
        self.log = log
        self.lineObservers = observers
        self.openLink = openLink
        let refusals = RefusalLog(log: log)
        server = try ModbusTCPServer(configuration: mapping.server, store: store, onRefused: { refusals.report($0) })
        running = Mutex(Running(mapping: mapping, pollers: [], meters: []))
    }

    /// The bound Modbus port.
    public var port: UInt16 { server.port }

    /// Starts serving and polling.
    public func start() {
        let meters = running.withLock { $0.mapping.meters.map(MeterRuntime.init) }
        install(meters: meters, mapping: running.withLock { $0.mapping })
        let server = self.server
        threads.withLock {
            $0 = [
                PosixThread.essential("Modbus server") { server.run() },
                PosixThread.essential("renderer") { [weak self] in self?.tickLoop() },
            ]
        }
    }

    /// Swaps in a new mapping: meters that stay (same line endpoint and address) keep their
    /// data and counters; the register images of every unit change in one atomic step.
    public func reload(_ mapping: Mapping) {
        let old = running.withLock { $0 }
        // Stop the old pollers first so the data carried over is their last word; the old
        // images keep being served meanwhile.
        old.pollers.forEach { $0.stop() }
        let fresh = mapping.meters.map(MeterRuntime.init)
        for meter in fresh {
            let endpoint = endpoint(of: meter, in: mapping)
            if let previous = old.meters.first(where: {
                $0.config.address == meter.config.address && self.endpoint(of: $0, in: old.mapping) == endpoint
            }) {
                meter.inherit(from: previous)
            }
        }
        server.update(mapping.server)
        install(meters: fresh, mapping: mapping)
        reloadsOK.wrappingAdd(1, ordering: .relaxed)
        log(.info, "mapping reloaded: \(mapping.meters.count) meter(s) on \(mapping.lines.count) line(s)")
        let (was, now) = (old.mapping.server, mapping.server)
        if (was.host, was.port) != (now.host, now.port) {
            log(
                .warning,
                "listen changed to \(now.host):\(now.port) in the map; still serving on \(was.host):\(server.port) until tembridge is restarted"
            )
        }
    }

    /// Stops polling and serving.
    public func stop() {
        tickerStop.store(true, ordering: .relaxed)
        running.withLock { $0.pollers }.forEach { $0.stop() }
        server.stop()
        threads.withLock { t in
            defer { t = [] }; return t
        }.forEach { $0.join() }
    }

    /// Whether every poller thread is making progress (for the systemd watchdog).
    public func pollersProgressing() -> Bool {
        let now = MonotonicClock.now()
        return running.withLock { $0.pollers }.allSatisfy { $0.isProgressing(at: now) }
    }

    /// The mapping in force and its meters.
    func currentMapping() -> (Mapping, [MeterRuntime]) {
        running.withLock { ($0.mapping, $0.meters) }
    }

    /// The Modbus server's counters now.
    func modbusStatus() -> BridgeStatus.Modbus {
        let refused = server.counters.refused
        return BridgeStatus.Modbus(
            connections: server.connectionCount, requests: server.counters.requestCounts,
            refusedNotAllowed: refused.allow, refusedMaxConnections: refused.maxConnections)
    }

    private func endpoint(of meter: MeterRuntime, in mapping: Mapping) -> Endpoint? {
        mapping.lines.first { $0.name == meter.config.line }?.endpoint
    }

    private func install(meters: [MeterRuntime], mapping: Mapping) {
        let pollers = mapping.lines.compactMap { line -> Poller? in
            let onLine = meters.filter { $0.config.line == line.name }
            guard !onLine.isEmpty else { return nil }
            return Poller(line: line, meters: onLine, log: log, openLink: openLink, monitor: monitor(of: line.name)) {
                [weak self] meter in
                self?.render(meter)
            }
        }
        running.withLock {
            $0 = Running(mapping: mapping, pollers: pollers, meters: meters)
            let now = MonotonicClock.now()
            store.replaceAll(meters.flatMap { $0.images(now: now, since: startedAt) })
        }
        pollers.forEach { $0.start() }
    }

    /// Publishes `meter`'s images, unless a reload has replaced it meanwhile. Rendering under
    /// the `running` lock keeps a late render of a replaced meter from overwriting the new map.
    private func render(_ meter: MeterRuntime) {
        running.withLock { running in
            guard running.meters.contains(where: { $0 === meter }) else { return }
            for image in meter.changedImages(now: MonotonicClock.now(), since: startedAt) ?? [] { store.publish(image) }
        }
    }

    /// Re-renders every meter ten times a second so `status.age` and `status.online` move
    /// even while a line is busy with a silent meter. (Whether meter data is served is decided
    /// exactly, per request, from `validUntil`; only the status registers lag, by ≤ 100 ms.)
    private func tickLoop() {
        while !tickerStop.load(ordering: .relaxed) {
            var ts = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            nanosleep(&ts, nil)
            for meter in running.withLock({ $0.meters }) { render(meter) }
        }
    }
}
