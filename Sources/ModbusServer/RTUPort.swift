import CModbus
import Config
import Glibc
import Platform
import Synchronization

/// A serial port served as a Modbus RTU slave on its own thread, from the same `RegisterStore`
/// and with the same answers as Modbus TCP (`Answer`, `DeviceIdentification`), by RTU's rules:
///
/// - a request for a unit id not served on this port, or not served by the bridge at all, gets
///   no answer (another slave on the bus may own it); neither does a broadcast (unit 0);
/// - a frame with a bad CRC is dropped (libmodbus checks it);
/// - one request at a time: a request arriving while one is answered waits in the port's buffer;
/// - a port that cannot be opened, or disappears, is reopened with backoff (0.25 s doubling to 5 s).
public final class RTUPort: Sendable {
    /// What happened to the port, for the log.
    public enum Event: Sendable, Equatable {
        case opened(RTUPortConfiguration)
        /// Could not open (first failure of a series only), and why.
        case cannotOpen(RTUPortConfiguration, String)
        /// The open port failed; it is reopened.
        case lost(RTUPortConfiguration, String)
    }

    public let configuration: RTUPortConfiguration
    private let store: RegisterStore
    private let inputRegisters: Atomic<Bool>
    private let onEvent: @Sendable (Event) -> Void
    /// Requests answered, counted with the TCP server's (for the operations console).
    private let counters: ModbusCounters?
    private let worker = Worker()
    /// The line's silences: `.standard` except in the `rtu` fuzz target (see `RTUTiming`).
    private let timing: RTUTiming

    public convenience init(
        _ configuration: RTUPortConfiguration, store: RegisterStore, inputRegisters: Bool,
        counters: ModbusCounters? = nil, onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.init(
            configuration, store: store, inputRegisters: inputRegisters, timing: .standard, counters: counters,
            onEvent: onEvent)
    }

    /// A port waiting on its line as `timing` says; only the `rtu` fuzz target passes anything
    /// but `.standard`.
    package init(
        _ configuration: RTUPortConfiguration, store: RegisterStore, inputRegisters: Bool, timing: RTUTiming,
        counters: ModbusCounters? = nil, onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.timing = timing
        self.store = store
        self.inputRegisters = Atomic(inputRegisters)
        self.counters = counters
        self.onEvent = onEvent
    }

    /// Whether FC04 is answered (as TCP's `input_registers`); takes effect at the next request.
    public func setInputRegisters(_ value: Bool) { inputRegisters.store(value, ordering: .relaxed) }

    public func start() {
        worker.startEssential("Modbus RTU \(configuration.path)") { self.run() }
    }

    /// Stops serving, closes the port and waits for the thread (a request being answered first).
    public func stop() { worker.stop() }

    private var isStopping: Bool { worker.isStopping }

    private func run() {
        var backoff = Duration.milliseconds(250)
        var failing = false
        while !isStopping {
            let line: RTULine
            do {
                line = try RTULine(configuration, timing: timing)
            } catch {
                if !failing { onEvent(.cannotOpen(configuration, error.reason)) }
                failing = true
                guard worker.stopSignal.sleep(for: backoff) else { return }
                backoff = min(backoff * 2, .seconds(5))
                continue
            }
            failing = false
            backoff = .milliseconds(250)
            onEvent(.opened(configuration))
            if let reason = serve(line) {
                onEvent(.lost(configuration, reason))
                guard worker.stopSignal.sleep(for: backoff) else { return }
            }
        }
    }

    /// Answers requests until `stop()` (nil) or the port fails (why).
    private func serve(_ line: RTULine) -> String? {
        var cache = ImageCache()
        var windows = ArchiveWindowSession()  // the bus's master's cursors
        while true {
            let revents: Int16
            switch waitFor(line.fd, events: Int16(POLLIN), timeout: .seconds(86_400), orStop: worker.stopSignal) {
            case let .failure(error): return error.description
            case let .success(r): revents = r
            }
            if isStopping { return nil }
            if revents == 0 { continue }
            if revents & Int16(POLLIN) == 0 {
                return revents & Int16(POLLNVAL) != 0 ? "descriptor closed" : "hung up"
            }
            switch line.receive() {
            case .ignored:
                continue
            case .lost(let code):
                return String(cString: modbus_strerror(code))
            case .request(let frame):
                do {
                    try answer(frame, on: line, cache: &cache, windows: &windows)
                } catch {
                    return error.reason
                }
            }
        }
    }

    /// Answers one framed, checked request (address, PDU, CRC) — or stays silent.
    private func answer(_ frame: [UInt8], on line: RTULine, cache: inout ImageCache, windows: inout ArchiveWindowSession)
        throws(ModbusServerError)
    {
        let unit = frame[0]
        let function = frame[1]
        guard frame.count >= 4, configuration.serves(unit), function < 0x80 else { return }
        guard let served = cache.image(for: unit, in: store) else { return }  // RTU's 0A: silence
        if function == DeviceIdentification.function {
            switch DeviceIdentification.answer(Array(frame[1..<(frame.count - 2)]), identity: served.image.identity) {
            case .response(let pdu):
                counters?.countRequest(function: function, exception: nil)
                try line.send(unit: unit, pdu: pdu)
            case .exception(let exception):
                counters?.countRequest(function: function, exception: exception.rawValue)
                try line.reply(to: frame, exception: exception)
            }
            return
        }
        switch windows.write(unit: unit, pdu: frame[1..<(frame.count - 2)], store: store) {
        case .notHandled: break
        case .exception(let exception):
            counters?.countRequest(function: function, exception: exception.rawValue)
            return try line.reply(to: frame, exception: exception)
        case .reply(let scratch):
            counters?.countRequest(function: function, exception: nil)
            return try line.reply(to: frame, from: scratch.mapping)
        }
        let request = RTUPort.request(frame)
        let answer = Answer(
            to: request, served: served, inputRegisters: inputRegisters.load(ordering: .relaxed),
            now: MonotonicClock.now())
        switch answer {
        case .reply, .replyStale:
            // libmodbus answers 02 itself for a range outside the image's span.
            counters?.countRequest(function: function, exception: served.image.spans(request) ? nil : 0x02)
            try windows.withTables(for: request, served: served, answer: answer, store: store) {
                (tables) throws(ModbusServerError) in try line.reply(to: frame, from: tables)
            }
        case .exception(let exception):
            counters?.countRequest(function: function, exception: exception.rawValue)
            try line.reply(to: frame, exception: exception)
        }
    }

    /// The fields of an RTU request (address, function, for FC03/FC04 start and quantity, CRC).
    static func request(_ frame: [UInt8]) -> Request {
        let function = frame[1]
        guard function == Request.readHoldingRegisters || function == Request.readInputRegisters, frame.count >= 8 else {
            return Request(unitID: frame[0], function: function)
        }
        return Request(
            unitID: frame[0], function: function, address: UInt16(frame[2]) << 8 | UInt16(frame[3]),
            quantity: UInt16(frame[4]) << 8 | UInt16(frame[5]))
    }
}

/// The RTU ports of a running bridge; `apply` opens and closes ports to match a (reloaded)
/// configuration, leaving ports whose settings did not change alone.
public final class ModbusRTUServer: Sendable {
    private let store: RegisterStore
    private let onEvent: @Sendable (RTUPort.Event) -> Void
    private let counters: ModbusCounters?
    private let ports = Mutex<[RTUPort]>([])

    public init(
        store: RegisterStore, counters: ModbusCounters? = nil, onEvent: @escaping @Sendable (RTUPort.Event) -> Void = { _ in }
    ) {
        self.store = store
        self.counters = counters
        self.onEvent = onEvent
    }

    /// Serves exactly the ports of `configuration.rtu`.
    public func apply(_ configuration: ServerConfiguration) {
        let wanted = configuration.rtu
        let (kept, dropped) = ports.withLock { ports in
            (ports.filter { wanted.contains($0.configuration) }, ports.filter { !wanted.contains($0.configuration) })
        }
        dropped.forEach { $0.stop() }  // before opening a port whose settings changed
        var running = kept
        for port in kept { port.setInputRegisters(configuration.inputRegisters) }
        for entry in wanted where !kept.contains(where: { $0.configuration == entry }) {
            let port = RTUPort(
                entry, store: store, inputRegisters: configuration.inputRegisters, counters: counters, onEvent: onEvent)
            port.start()
            running.append(port)
        }
        ports.withLock { $0 = running }
    }

    /// The ports being served.
    public var configurations: [RTUPortConfiguration] { ports.withLock { $0.map(\.configuration) } }

    public func stop() {
        let all = ports.withLock { ports in
            defer { ports = [] }; return ports
        }
        all.forEach { $0.stop() }
    }
}
