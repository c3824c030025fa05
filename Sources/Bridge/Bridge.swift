// Bridge: between meters and Modbus — one poller per line (Poller.swift, with its schedule,
// archive follow and configuration refresh as values), immutable snapshots, meter health,
// register images rendered from a snapshot and a map (RegisterImageBuilder.swift,
// RegisterEncoder.swift), reload, and the meter events an observer (MQTT) may follow.
//
// It must not import the simulator (links are handed in by the executable), the mapping parser,
// libmodbus (the Modbus server module owns it) or MQTT.
import Config
import Glibc
import Logging
import ModbusServer
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// The running bridge: a Modbus server, one poller per line, and a renderer that turns each
/// meter's snapshot and health into register images. `reload` swaps a new mapping in.
public final class Bridge: Sendable {
    /// One Modbus TCP server per `server.listen` address, each answering from its own store.
    private let servers: [ModbusTCPServer]
    /// The first listener's server.
    private var server: ModbusTCPServer { servers[0] }
    /// The `server.rtu` serial ports, from the first listener's store.
    private let rtu: ModbusRTUServer
    /// The register images of each listener (`MeterConfig.listener` indexes it).
    let stores: [RegisterStore]
    /// The first listener's images.
    var store: RegisterStore { stores[0] }
    private let logger: Logger
    private let openLink: @Sendable (Endpoint) throws(LinkError) -> any Link
    private let startedAt = MonotonicClock.now()
    private let events: MeterEvents?
    let keeper: ArchiveKeeper?

    struct Running: Sendable {
        var mapping: Mapping
        var pollers: [Poller]
        var meters: [MeterRuntime]
    }

    private let running: Mutex<Running>
    private let threads = Mutex<[PosixThread]>([])
    private let tickerStop = StopSignal()
    /// Exchange counters and frame taps per line name; kept across reloads.
    let lineMonitorsMutex = Mutex<[String: LineMonitor]>([:])
    let lineObservers: LineMonitor.Observers
    /// Wall-clock start, seconds since 1970.
    let startedWall = WallClock.secondsWithFraction()
    let reloadsOK = Atomic<Int>(0)
    let reloadsFailed = Atomic<Int>(0)

    /// Binds the server's port (so errors come before anything starts) without polling yet.
    /// - Parameters:
    ///   - keeper: keeps the meters' archive records in a store, if given.
    ///   - events: told of each good poll and each change of freshness, if given.
    public init(
        mapping: Mapping, logger: Logger = Logger(label: "tembridge.bridge"), keeper: ArchiveKeeper? = nil,
        observers: LineMonitor.Observers = LineMonitor.Observers(),
        openLink: @escaping @Sendable (Endpoint) throws(LinkError) -> any Link,
        events: MeterEvents? = nil
    ) throws(ModbusServerError) {
        self.logger = logger
        self.keeper = keeper
        self.events = events
        self.lineObservers = observers
        self.openLink = openLink
        let refusals = RefusalLog(logger: logger)
        let counters = ModbusCounters()
        let stores = mapping.server.listeners.map { _ in RegisterStore() }
        var servers: [ModbusTCPServer] = []
        for (index, store) in stores.enumerated() {
            servers.append(
                try ModbusTCPServer(
                    configuration: mapping.server.listener(index), store: store, onRefused: { refusals.report($0) },
                    counters: counters))
        }
        self.stores = stores
        self.servers = servers
        running = Mutex(Running(mapping: mapping, pollers: [], meters: []))
        rtu = ModbusRTUServer(store: stores[0], counters: counters) { [logger] event in
            switch event {
            case let .opened(port): logger.info("serving Modbus RTU on \(port)")
            case let .cannotOpen(port, why): logger.error("cannot open Modbus RTU port \(port): \(why); retrying")
            case let .lost(port, why): logger.warning("Modbus RTU port \(port) failed: \(why); reopening")
            }
        }
    }

    /// The bound Modbus port (of the first `server.listen` address).
    public var port: UInt16 { server.port }
    /// The bound port of each `server.listen` address, in order.
    public var ports: [UInt16] { servers.map(\.port) }

    /// Starts serving and polling.
    public func start() {
        let meters = running.withLock { $0.mapping.meters.map(MeterRuntime.init) }
        install(meters: meters, mapping: running.withLock { $0.mapping })
        threads.withLock {
            $0 = servers.map { server in PosixThread.essential("Modbus server") { server.run() } }
            $0.append(PosixThread.essential("renderer") { [weak self] in self?.tickLoop() })
        }
        rtu.apply(running.withLock { $0.mapping.server })
    }

    /// Swaps in a new mapping: meters that stay (same line endpoint and address) keep their
    /// data and counters; the register images of every unit change in one atomic step.
    public func reload(_ mapping: Mapping) {
        let old = running.withLock { $0 }
        // Stop the old pollers first so the data carried over is their last word; the old
        // images keep being served meanwhile. All are told at once, then awaited: a reload waits
        // for the slowest line's exchange under way, not for every line's in turn.
        Self.stop(old.pollers)
        let fresh = mapping.meters.map(MeterRuntime.init)
        // By endpoint and address, looked up once each: a reload of 10 000 meters is not 10 000².
        struct Place: Hashable {
            let endpoint: Endpoint?
            let address: UInt8
        }
        let oldEndpoints = Dictionary(old.mapping.lines.map { ($0.name, $0.endpoint) }, uniquingKeysWith: { a, _ in a })
        let newEndpoints = Dictionary(mapping.lines.map { ($0.name, $0.endpoint) }, uniquingKeysWith: { a, _ in a })
        let previous = Dictionary(
            old.meters.map { (Place(endpoint: oldEndpoints[$0.config.line], address: $0.config.address), $0) },
            uniquingKeysWith: { first, _ in first })
        for meter in fresh {
            if let earlier = previous[Place(endpoint: newEndpoints[meter.config.line], address: meter.config.address)] {
                meter.inherit(from: earlier)
            }
        }
        for (index, server) in servers.enumerated() where index < mapping.server.listeners.count {
            server.update(mapping.server.listener(index))
        }
        install(meters: fresh, mapping: mapping)
        rtu.apply(mapping.server)
        reloadsOK.wrappingAdd(1, ordering: .relaxed)
        logger.info("mapping reloaded: \(mapping.meters.count) meter(s) on \(mapping.lines.count) line(s)")
        let (was, now) = (old.mapping.server.listeners, mapping.server.listeners)
        if was != now {
            let serving = zip(was, servers).map { "\($0.host):\($1.port)" }.joined(separator: ", ")
            logger.warning(
                "listen changed to \(now.map(\.description).joined(separator: ", ")) in the map; still serving on \(serving) until tembridge is restarted (meters of a listener added meanwhile are not served)"
            )
        }
    }

    /// Stops polling and serving.
    public func stop() {
        tickerStop.signal()
        Self.stop(running.withLock { $0.pollers })
        rtu.stop()
        servers.forEach { $0.stop() }
        threads.withLock { t in
            defer { t = [] }; return t
        }.forEach { $0.join() }
    }

    /// Signals every poller, then waits for them all.
    private static func stop(_ pollers: [Poller]) {
        pollers.forEach { $0.signalStop() }
        pollers.forEach { $0.join() }
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
            connections: servers.reduce(0) { $0 + $1.connectionCount }, requests: server.counters.requestCounts,
            refusedNotAllowed: refused.allow, refusedMaxConnections: refused.maxConnections)
    }

    private func install(meters: [MeterRuntime], mapping: Mapping) {
        let byLine = Dictionary(grouping: meters, by: \.config.line)
        let pollers = mapping.lines.compactMap { line -> Poller? in
            guard let onLine = byLine[line.name], !onLine.isEmpty else { return nil }
            return Poller(
                line: line, meters: onLine, logger: logger, keeper: keeper, openLink: openLink, monitor: monitor(of: line.name)
            ) { [weak self] meter in
                self?.render(meter)
            }
        }
        store.setArchiveWindows(ArchiveWindows(mapping: mapping, store: keeper?.store, logger: logger))
        running.withLock {
            $0 = Running(mapping: mapping, pollers: pollers, meters: meters)
            let now = MonotonicClock.now()
            for (index, store) in stores.enumerated() {
                store.replaceAll(meters.filter { $0.config.listener == index }.flatMap { $0.images(now: now, since: startedAt) })
            }
        }
        pollers.forEach { $0.start() }
    }

    /// Publishes `meter`'s images, unless a reload has replaced it meanwhile. Rendering under
    /// the `running` lock keeps a late render of a replaced meter from overwriting the new map.
    private func render(_ meter: MeterRuntime) {
        running.withLock { running in
            guard running.meters.contains(where: { $0 === meter }) else { return }
            let now = MonotonicClock.now()
            if meter.config.listener < stores.count {
                for image in meter.changedImages(now: now, since: startedAt) ?? [] {
                    stores[meter.config.listener].publish(image)
                }
            }
            // Told under the lock, so a reading and a freshness change arrive in the order they happened.
            guard let events else { return }
            let news = meter.unannounced(now: now)
            if let reading = news.reading { events.polled(reading) }
            if let online = news.online { events.availability(meter.config.name, online) }
        }
    }

    /// Re-renders every meter ten times a second so `status.age` and `status.online` move
    /// even while a line is busy with a silent meter. (Whether meter data is served is decided
    /// exactly, per request, from `validUntil`; only the status registers lag, by ≤ 100 ms.)
    private func tickLoop() {
        while tickerStop.sleep(for: .milliseconds(100)) {
            let now = MonotonicClock.now()
            for meter in running.withLock({ $0.meters }) where meter.tickDue(now: now, since: startedAt) { render(meter) }
        }
    }
}
