import Config
import Glibc
import Logging
import Platform
import Synchronization

/// A Modbus TCP server answering FC03 (and FC04) reads from a `RegisterStore`.
///
/// Threads: `run()` accepts clients on the caller's thread and gives each admitted client its
/// own detached thread and libmodbus context (see `Connection`). A client is closed at once if
/// it comes from outside `allow` or if `maxConnections` are already open. Any descriptor number
/// is fine: nothing here waits with `select()` (requests are framed by `RequestReader` with
/// `recv` and `poll`; libmodbus only builds and sends the answers).
public final class ModbusTCPServer: Sendable {
    /// The bound port (the one the system chose when the configuration asked for port 0).
    public var port: UInt16 { listener.port }

    /// Plain POSIX rather than `modbus_tcp_listen`: it reports bind errors with errno, takes host
    /// names and port 0, sets close-on-exec and never blocks in accept.
    private let listener: ListeningSocket
    /// Ends the accept loop's wait (`stop()`).
    private let stopping = StopSignal()
    /// Signalled when the last connection is released after `stop()`.
    private let drained = StopSignal()
    private let store: RegisterStore
    private let settings: LiveSettings
    private let state: Mutex<State>
    private let onRefused: (@Sendable (Refusal) -> Void)?
    private let logger: Logger
    /// Requests answered and clients refused, for the operations console (shared by the
    /// listeners of one bridge when it passes one to each).
    public let counters: ModbusCounters

    /// A client closed as soon as it connected, and why.
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            /// Its address is outside `allow`.
            case notAllowed
            /// `maxConnections` (the number given) were already open.
            case tooMany(Int)
        }
        /// The client's IPv4 address, dotted.
        public let client: String
        public let reason: Reason

        public init(client: String, reason: Reason) {
            self.client = client
            self.reason = reason
        }

        public var description: String {
            switch reason {
            case .notAllowed: "refused a Modbus client from \(client): not in allow"
            case let .tooMany(limit): "refused a Modbus client from \(client): max_connections (\(limit)) already open"
            }
        }
    }

    private struct State {
        var configuration: ServerConfiguration
        /// Open connections by id: their socket and IPv4 address (host byte order).
        var connections: [Int: (socket: Int32, address: UInt32)] = [:]
        var lastID = 0
        var running = false
        var stopped = false
        var listenerOpen = true
    }

    /// Binds and listens on `configuration.host:port` (port 0 picks a free one). `onRefused` is
    /// called on the accepting thread for every client closed at once (it should be quick).
    /// - Throws: `ModbusServerError`, e.g. "cannot listen on 127.0.0.1:1502: Address already in use".
    public init(
        configuration: ServerConfiguration, store: RegisterStore, onRefused: (@Sendable (Refusal) -> Void)? = nil,
        counters: ModbusCounters = ModbusCounters(), logger: Logger = Logger(label: "tembridge.modbus")
    ) throws(ModbusServerError) {
        self.logger = logger
        self.counters = counters
        do {
            listener = try ListeningSocket(host: configuration.host, port: configuration.port, ipv4Only: true)
        } catch {
            throw ModbusServerError(
                operation: "listen on \(configuration.host):\(configuration.port)", code: error.code, reason: error.description)
        }
        self.onRefused = onRefused
        self.store = store
        settings = LiveSettings(configuration)
        state = Mutex(State(configuration: configuration))
    }

    deinit {
        state.withLock { if $0.listenerOpen { _ = close(listener.descriptor) } }
    }

    /// Accepts and serves clients until `stop()`; call it from a dedicated thread. Returns once
    /// the listener is closed and every connection has ended. Returns at once if the server was
    /// already stopped or is running on another thread.
    public func run() {
        let starting = state.withLock { state in
            guard !state.running, !state.stopped else { return false }
            state.running = true
            return true
        }
        guard starting else { return }
        accepting: while true {
            switch listener.accept(orStop: stopping) {
            case .stopped:
                break accepting
            case let .client(socket, address):
                admit(socket, from: address ?? 0)
            case .failed(.tooManyOpenFiles), .failed(.tooManyOpenFilesInSystem), .failed(.noBufferSpace), .failed(.noMemory):
                stopping.sleep(for: .milliseconds(10))  // out of descriptors or memory: let connections end rather than spin
            case .failed:
                continue  // EINTR, EAGAIN, ECONNABORTED and the like concern one client, not the listener
            }
        }
        // stop() shut every connection's socket down; they end within moments.
        while connectionCount > 0 { drained.sleep(for: .seconds(1)) }
        state.withLock { state in
            state.running = false
            state.listenerOpen = false
            _ = close(listener.descriptor)
        }
    }

    /// Closes the listener and shuts down every connection; `run()` then returns. Idempotent.
    public func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            for connection in state.connections.values { shutdown(connection.socket, Int32(SHUT_RDWR)) }
            if !state.running, state.listenerOpen {
                state.listenerOpen = false
                _ = close(listener.descriptor)
            }
        }
        stopping.signal()
    }

    /// Applies a reloaded configuration. `inputRegisters` reaches open connections at their next
    /// request, `idleTimeout` once their current wait for a request ends; `maxConnections`
    /// applies to new clients (open ones are kept);
    /// open connections from addresses the new `allow` refuses are closed. `host` and `port` are
    /// ignored: the listener stays where it is (restart the server to move it).
    public func update(_ configuration: ServerConfiguration) {
        settings.apply(configuration)
        state.withLock { state in
            state.configuration = configuration
            for connection in state.connections.values where !configuration.allows(connection.address) {
                shutdown(connection.socket, Int32(SHUT_RDWR))
            }
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Registers `socket` and starts its thread, or closes it at once if it is refused.
    private func admit(_ socket: Int32, from address: UInt32) {
        enum Admission { case admitted(id: Int), refused(Refusal.Reason), stopping }
        let admission: Admission = state.withLock { state in
            guard !state.stopped else { return .stopping }
            guard state.configuration.allows(address) else { return .refused(.notAllowed) }
            let limit = state.configuration.maxConnections
            guard state.connections.count < limit else { return .refused(.tooMany(limit)) }
            state.lastID += 1
            state.connections[state.lastID] = (socket, address)
            return .admitted(id: state.lastID)
        }
        guard case let .admitted(id) = admission else {
            _ = close(socket)
            if case let .refused(reason) = admission { counters.countRefusal(reason) }
            if case let .refused(reason) = admission { onRefused?(Refusal(client: IPv4Network.dotted(address), reason: reason)) }
            return
        }
        let connection = Connection(
            socket: socket, peer: IPv4Network.dotted(address), store: store, settings: settings, logger: logger,
            counters: counters)
        let started = PosixThread.detach {
            connection.serve()
            self.release(id)
        }
        if !started { release(id) }
    }

    /// Forgets connection `id` and closes its socket. Closing under the lock guarantees that
    /// `stop()` and `update()` never shut down a descriptor number the system has reused.
    private func release(_ id: Int) {
        state.withLock { state in
            if let connection = state.connections.removeValue(forKey: id) { _ = close(connection.socket) }
            if state.stopped, state.connections.isEmpty { drained.signal() }
        }
    }
}
