import Glibc
import Synchronization
import Threads

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
        let listener = try Self.listen(host: host, port: port)
        var address = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &size) }
        }
        let bound = withUnsafeBytes(of: &address) { raw -> UInt16 in
            // sin_port and sin6_port lie at the same offset, in network byte order.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
        self.host = host
        self.port = bound
        core = Core(line: line, listener: listener)
        try core.start()
    }

    deinit { core.stop() }

    /// Stops accepting, closes every client connection and the listener; returns when the
    /// serving threads are done. Idempotent.
    public func stop() { core.stop() }

    /// The number of clients connected now.
    public var clientCount: Int { core.clients.withLock { $0.count } }

    private static func listen(host: String, port: UInt16) throws(SimulatorError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SimulatorError("listen \(host):\(port): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw SimulatorError("listen \(host):\(port): socket: \(errnoText())") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, Glibc.listen(fd, 16) == 0 else {
            let why = errnoText()
            close(fd)
            throw SimulatorError("listen \(host):\(port): \(why)")
        }
        return fd
    }

    /// The serving state the threads share (they hold this, not the server, so releasing the
    /// server stops them).
    private final class Core: Sendable {
        let line: MeterLine
        let listener: Int32
        let stopping = Atomic<Bool>(false)
        /// Connected client sockets.
        let clients = Mutex<Set<Int32>>([])
        /// Held for one whole exchange: the line carries one at a time.
        let wire = Mutex<Void>(())
        let acceptThread = Mutex<PosixThread?>(nil)

        init(line: MeterLine, listener: Int32) {
            self.line = line
            self.listener = listener
        }

        func start() throws(SimulatorError) {
            guard let thread = PosixThread({ self.acceptLoop() }) else {
                close(listener)
                throw SimulatorError("cannot start the server thread")
            }
            acceptThread.withLock { $0 = thread }
        }

        func stop() {
            guard !stopping.exchange(true, ordering: .relaxed) else { return }
            acceptThread.withLock({ $0 })?.join()
            clients.withLock { for fd in $0 { shutdown(fd, Int32(SHUT_RDWR)) } }
            // Client threads are detached; wait (briefly) until each has closed its socket.
            let deadline = ContinuousClock.now + .seconds(2)
            while clients.withLock({ !$0.isEmpty }), ContinuousClock.now < deadline { blockingSleep(.milliseconds(5)) }
        }

        private func acceptLoop() {
            while !stopping.load(ordering: .relaxed) {
                guard waitReadable(listener, timeout: .milliseconds(50)) else { continue }
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { continue }
                if line.faults.current.contains(.refuseConnections) || stopping.load(ordering: .relaxed) {
                    close(fd)
                    continue
                }
                var yes: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
                clients.withLock { _ = $0.insert(fd) }
                if !PosixThread.detach({ self.serve(client: fd) }) {
                    clients.withLock { _ = $0.remove(fd) }
                    close(fd)
                }
            }
            close(listener)
        }

        private func serve(client fd: Int32) {
            var framer = RequestFramer()
            var buffer = [UInt8](repeating: 0, count: 1024)
            serving: while !stopping.load(ordering: .relaxed) {
                guard waitReadable(fd, timeout: .milliseconds(50)) else { continue }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { break }
                for frame in framer.append(Array(buffer[..<n])) {
                    let keep = wire.withLock { _ -> Bool in
                        let response = line.respond(to: frame)
                        if response.dropsConnection { return false }
                        guard sleep(response.delay, unless: stopping) else { return false }
                        return response.bytes.isEmpty || writeAll(fd, response.bytes, socket: true)
                    }
                    if !keep { break serving }
                }
            }
            clients.withLock { _ = $0.remove(fd) }
            close(fd)
        }
    }
}
