import Config
import Glibc
import Synchronization
import TEMLink
import TEMProtocol

/// What the fake meter does with one request.
enum Behavior: Sendable {
    /// The correct reply.
    case answer
    /// A well-formed reply carrying `data` instead of the memory's.
    case answerData([UInt8])
    /// The correct reply, then the connection closed (TCP only).
    case answerThenHangUp
    /// `noise`, the request's echo if `echo`, then the correct reply.
    case answerAfter(noise: [UInt8], echo: Bool)
    /// The correct reply after `delay`.
    case answerLate(Duration)
    /// The reply with its checksum off by one.
    case badChecksum
    /// A reply from another address.
    case wrongAddress
    /// The first `count` bytes of the reply, then nothing.
    case partial(Int)
    /// Nothing.
    case silence
    /// The connection closed without a reply (TCP only).
    case hangUp
}

/// A meter at `address` played by a thread: over TCP (a listening socket on 127.0.0.1) or on the
/// master side of a pseudo-terminal. Each request takes the next behavior of the script; when
/// the script is used up it answers. Memory: T2K byte at `a` is `a & 0xFF`, Flash byte at `a` is
/// `(a & 0xFF) ^ 0x5A`; identify answers `ТЕМС106` in cp1251. Call `stop()` when done.
final class FakeMeter: Sendable {
    static let name: [UInt8] = [0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36]

    let address: UInt8
    /// TCP port, or 0 for a pseudo-terminal.
    let port: UInt16
    /// The slave path of the pseudo-terminal, or "" for TCP.
    let slavePath: String

    private let script: Mutex<[Behavior]>
    private let log = Mutex<(requests: [[UInt8]], connections: Int)>(([], 0))
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)
    /// The listening socket, or the pty master; and the pty slave (kept open), or -1.
    private let fd: Int32
    private let slave: Int32

    /// A TCP meter on 127.0.0.1 at an ephemeral port.
    init(tcp script: [Behavior], address: UInt8 = 1) {
        self.address = address
        self.script = Mutex(script)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                precondition(bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0)
            }
        }
        precondition(listen(listener, 4) == 0)
        fd = listener
        port = boundPort(listener)
        slave = -1
        slavePath = ""
        start { [self] in serveTCP() }
    }

    /// A meter on the master side of a new pseudo-terminal; the client opens `slavePath`.
    /// The slave is left in its default (cooked) mode: the link under test must make it raw.
    init(pty script: [Behavior], address: UInt8 = 1) {
        self.address = address
        self.script = Mutex(script)
        var master: Int32 = -1, slave: Int32 = -1
        precondition(openpty(&master, &slave, nil, nil, nil) == 0)
        fd = master
        self.slave = slave
        port = 0
        var name = [CChar](repeating: 0, count: 128)
        precondition(ttyname_r(slave, &name, name.count) == 0)
        slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        start { [self] in serve(fd, closes: false) }
    }

    var endpoint: Endpoint {
        port != 0 ? .tcp(host: "127.0.0.1", port: port) : .serial(path: slavePath, baud: 19200)
    }

    /// Requests received so far, in order.
    var requests: [[UInt8]] { log.withLock { $0.requests } }
    /// TCP connections accepted so far.
    var connections: Int { log.withLock { $0.connections } }

    /// Stops the thread and closes the descriptors. Idempotent.
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        if let thread = thread.withLock({ $0 }) { pthread_join(thread, nil) }
        close(fd)
        if slave >= 0 { close(slave) }
    }

    // MARK: - Serving

    private func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var t = pthread_t()
        precondition(
            pthread_create(
                &t, nil,
                { raw in
                    Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
                    return nil
                }, box) == 0)
        thread.withLock { $0 = t }
    }

    private func serveTCP() {
        while !stopping.load(ordering: .relaxed) {
            guard readable(fd) else { continue }
            let conn = accept(fd, nil, nil)
            guard conn >= 0 else { continue }
            log.withLock { $0.connections += 1 }
            serve(conn, closes: true)
            close(conn)
        }
    }

    /// Answers requests on `conn` until it closes, a behavior hangs up, or the meter stops.
    private func serve(_ conn: Int32, closes: Bool) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !stopping.load(ordering: .relaxed) {
            guard readable(conn) else { continue }
            let n = buffer.withUnsafeMutableBytes { read(conn, $0.baseAddress, $0.count) }
            if n <= 0 {
                if closes { return }
                usleep(10_000)
                continue
            }
            pending += buffer[..<n]
            while let request = takeRequest(&pending) {
                log.withLock { $0.requests.append(request) }
                let behavior = script.withLock { $0.isEmpty ? .answer : $0.removeFirst() }
                if !respond(to: request, with: behavior, on: conn) { return }
            }
        }
    }

    /// Sends the response `behavior` calls for; false when the connection is to be closed.
    private func respond(to request: [UInt8], with behavior: Behavior, on conn: Int32) -> Bool {
        guard let command = Self.command(of: request) else { return true }
        let reply = Frame.reply(to: command, from: request[1], data: Self.data(for: command)).bytes
        switch behavior {
        case .answer: send(reply, conn)
        case let .answerData(data): send(Frame.reply(to: command, from: request[1], data: data).bytes, conn)
        case .answerThenHangUp:
            send(reply, conn)
            usleep(50_000)
            return false
        case let .answerAfter(noise, echo): send(noise + (echo ? request : []) + reply, conn)
        case let .answerLate(delay):
            usleep(UInt32(delay.components.attoseconds / 1_000_000_000_000) + UInt32(delay.components.seconds) * 1_000_000)
            send(reply, conn)
        case .badChecksum:
            var bad = reply
            bad[bad.count - 1] &+= 1
            send(bad, conn)
        case .wrongAddress:
            send(Frame.reply(to: command, from: request[1] &+ 1, data: Self.data(for: command)).bytes, conn)
        case let .partial(count): send(Array(reply.prefix(count)), conn)
        case .silence: break
        case .hangUp: return false
        }
        return true
    }

    /// Takes one complete request frame off the front of `pending` (dropping bytes before 0x55).
    private func takeRequest(_ pending: inout [UInt8]) -> [UInt8]? {
        while let first = pending.first, first != FrameLayout.requestStart { pending.removeFirst() }
        guard pending.count >= FrameLayout.headerSize else { return nil }
        let size = FrameLayout.overhead + Int(pending[FrameLayout.length])
        guard pending.count >= size else { return nil }
        defer { pending.removeFirst(size) }
        return Array(pending[..<size])
    }

    static func command(of request: [UInt8]) -> Command? {
        let d = Array(request[FrameLayout.data..<(request.count - 1)])
        switch (request[FrameLayout.group], request[FrameLayout.command], d.count) {
        case (0x00, 0x00, 0): return .identify
        case (0x0F, 0x01, 3): return .readT2K(address: UInt16(d[0]) << 8 | UInt16(d[1]), length: d[2])
        case (0x0F, 0x03, 5):
            return .readFlash(address: UInt32(d[1]) << 24 | UInt32(d[2]) << 16 | UInt32(d[3]) << 8 | UInt32(d[4]), length: d[0])
        default: return nil
        }
    }

    /// The meter's memory, as the type comment says.
    static func data(for command: Command) -> [UInt8] {
        switch command {
        case .identify: name
        case let .readT2K(address, length): (0..<Int(length)).map { UInt8((Int(address) + $0) & 0xFF) }
        case let .readFlash(address, length): (0..<Int(length)).map { UInt8((Int(address) + $0) & 0xFF) ^ 0x5A }
        }
    }
}

private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Waits up to 20 ms for `fd` to become readable.
private func readable(_ fd: Int32) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&pfd, 1, 20) > 0
}

private func send(_ bytes: [UInt8], _ fd: Int32) {
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// The port a bound socket got.
private func boundPort(_ fd: Int32) -> UInt16 {
    var addr = sockaddr_in()
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &size) }
    }
    return UInt16(bigEndian: addr.sin_port)
}

/// A TCP port on 127.0.0.1 with nothing listening: bound, then closed.
func closedPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    let port = boundPort(fd)
    close(fd)
    return port
}

/// A listener on 127.0.0.1 whose accept queue is full: it drops new SYNs, so a connect to it
/// cannot complete. Call `close()` when done.
final class FullListener {
    let port: UInt16
    private let listener: Int32
    private let fillers: [TCPLink]

    init() {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let fd = listener
        withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(listener, 0)
        port = boundPort(listener)
        // Backlog 0 holds one connection; two make sure the queue is full.
        fillers = (0..<2).map { _ in TCPLink(host: "127.0.0.1", port: boundPort(fd)) }
        for filler in fillers { try? filler.open(timeout: .milliseconds(100)) }
    }

    func close() {
        for filler in fillers { filler.close() }
        _ = Glibc.close(listener)
    }
}

/// Seconds `body` took.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let result = try body()
    let (s, atto) = (ContinuousClock.now - start).components
    return (result, Double(s) + Double(atto) * 1e-18)
}

/// The error `body` throws, or nil.
func exchangeError(_ body: () throws -> Void) -> ExchangeError? {
    do { try body() } catch { return error as? ExchangeError }
    return nil
}
