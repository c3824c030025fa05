import Glibc
import Platform
import Synchronization

/// A failure to set up serving (bind, listen, openpty), in one line.
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A TCP listener serving a `MeterLine` like a serial-to-Ethernet converter: raw request bytes
/// in, reply bytes out, no framing of its own.
///
/// Several clients may connect; their exchanges are serialised as on one wire (a delayed reply
/// holds the line). Under `dropConnection` the client's connection is closed instead of a reply;
/// under `refuseConnections` new connections are accepted and closed at once. Serves on its own
/// threads from `init` until `stop()` (or until the server is released).
public final class SimulatorServer: Sendable {
    /// The line served.
    public var line: MeterLine { core.line }
    /// The host it listens on, as given.
    public let host: String
    /// The bound port (the one picked when `port` 0 was asked for).
    public let port: UInt16

    private let core: Core

    /// Binds `host:port` (port 0: any free port) and starts serving `line`.
    public init(line: MeterLine, host: String = "127.0.0.1", port: UInt16 = 0) throws(SimulatorError) {
        let listener: ListeningSocket
        do {
            listener = try ListeningSocket(host: host, port: port, ipv4Only: false, backlog: 16)
        } catch {
            throw SimulatorError("listen \(host):\(port): \(error.message)")
        }
        self.host = host
        self.port = listener.port
        core = Core(line: line, listener: listener)
        try core.start()
    }

    deinit { core.stop() }

    /// Stops accepting, closes every client connection and the listener; returns when the
    /// serving threads are done. Idempotent.
    public func stop() { core.stop() }

    /// The number of clients connected now.
    public var clientCount: Int { core.clients.withLock { $0.count } }

    /// The serving state the threads share (they hold this, not the server, so releasing the
    /// server stops them).
    private final class Core: Sendable {
        let line: MeterLine
        let listener: ListeningSocket
        let worker = Worker()
        var stopping: StopSignal { worker.stopSignal }
        /// Connected client sockets.
        let clients = Mutex<Set<Int32>>([])
        /// Signalled by the last client thread to end once stopping.
        let drained = StopSignal()
        /// Held for one whole exchange: the line carries one at a time.
        let wire = Mutex<Void>(())

        init(line: MeterLine, listener: ListeningSocket) {
            self.line = line
            self.listener = listener
        }

        func start() throws(SimulatorError) {
            guard worker.start({ self.acceptLoop() }) else {
                close(listener.descriptor)
                throw SimulatorError("cannot start the server thread")
            }
        }

        func stop() {
            guard worker.stop() else { return }
            clients.withLock { for fd in $0 { shutdown(fd, Int32(SHUT_RDWR)) } }
            // Client threads are detached; wait (at most 2 s) until the last has closed its socket.
            if clients.withLock({ !$0.isEmpty }) { drained.sleep(for: .seconds(2)) }
        }

        private func acceptLoop() {
            while !stopping.isSignalled {
                guard case let .client(fd, _) = listener.accept(orStop: stopping) else { continue }
                if line.faults.current.contains(.refuseConnections) || stopping.isSignalled {
                    close(fd)
                    continue
                }
                setNoDelay(fd)
                clients.withLock { _ = $0.insert(fd) }
                if !PosixThread.detach({ self.serve(client: fd) }) {
                    clients.withLock { _ = $0.remove(fd) }
                    close(fd)
                }
            }
            close(listener.descriptor)
        }

        private func serve(client fd: Int32) {
            var framer = RequestFramer()
            var buffer = [UInt8](repeating: 0, count: 1024)
            serving: while !stopping.isSignalled {
                guard case .success(let revents) = waitFor(fd, events: Int16(POLLIN), timeout: .seconds(60), orStop: stopping),
                    revents != 0
                else { continue }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                for frame in framer.append(Array(buffer[..<n])) {
                    let keep = wire.withLock { _ -> Bool in
                        let response = line.respond(to: frame)
                        if response.dropsConnection { return false }
                        guard stopping.sleep(for: response.delay) else { return false }
                        guard case .success = writeAll(fd, response.bytes, socket: true) else { return false }
                        return true
                    }
                    if !keep { break serving }
                }
            }
            let last = clients.withLock { clients in
                clients.remove(fd)
                return clients.isEmpty
            }
            close(fd)
            if last, stopping.isSignalled { drained.signal() }
        }
    }
}
