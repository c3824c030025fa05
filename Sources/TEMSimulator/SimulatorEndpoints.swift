import Glibc
import Platform
import Synchronization

/// Many simulated meter lines, each behind a TCP port of its own like one serial-to-Ethernet
/// converter each (`simulate --endpoints N`), served from one process by a few threads that
/// `poll()` their share of the sockets: no thread per endpoint or client, so thousands of
/// endpoints cost a descriptor each (two with a client connected), not a thread.
///
/// Each endpoint behaves as `SimulatorServer` does: raw request bytes in, reply bytes out;
/// exchanges on one endpoint hold its wire in turn (a delayed reply, or `line_speed`'s wire time,
/// delays the next), while other endpoints answer meanwhile; `dropConnection` closes the client
/// instead of replying and `refuseConnections` closes new clients at once.
public final class SimulatorEndpoints: Sendable {
    /// The lines, one per endpoint, in port order.
    public let lines: [MeterLine]
    /// The host listened on, as given.
    public let host: String
    /// The bound ports, one per line.
    public let ports: [UInt16]
    private let shards: [Shard]

    /// Endpoints per serving thread, at most: a `poll()` over this many listeners and clients
    /// stays cheap beside the exchanges it serves.
    static let endpointsPerThread = 256

    /// Binds one port per line: `firstPort`, `firstPort + 1`, … (with `firstPort` 0, any free
    /// ports), then serves until `stop()`.
    /// - Throws: `SimulatorError` naming the address that cannot be bound (nothing keeps serving).
    public init(lines: [MeterLine], host: String = "127.0.0.1", firstPort: UInt16 = 0) throws(SimulatorError) {
        guard !lines.isEmpty else { throw SimulatorError("no endpoints to serve") }
        if firstPort != 0, Int(firstPort) + lines.count - 1 > 65535 {
            throw SimulatorError("\(lines.count) endpoints from port \(firstPort) run past port 65535")
        }
        var listeners: [ListeningSocket] = []
        for index in lines.indices {
            let port = firstPort == 0 ? 0 : UInt16(Int(firstPort) + index)
            do {
                listeners.append(try ListeningSocket(host: host, port: port, ipv4Only: false, backlog: 16))
            } catch {
                for listener in listeners { close(listener.descriptor) }
                throw SimulatorError("listen \(host):\(port): \(error.message)")
            }
        }
        self.lines = lines
        self.host = host
        ports = listeners.map(\.port)
        let threads = (lines.count + Self.endpointsPerThread - 1) / Self.endpointsPerThread
        var shards: [Shard] = []
        for shard in 0..<threads {
            let indices = Array(stride(from: shard, to: lines.count, by: threads))
            shards.append(Shard(endpoints: indices.map { (listeners[$0].descriptor, lines[$0]) }))
        }
        self.shards = shards
        for (index, shard) in shards.enumerated() where !shard.start() {
            shards[..<index].forEach { $0.stop() }
            throw SimulatorError("cannot start a serving thread")
        }
    }

    deinit { stop() }

    /// Stops accepting, closes every client and listener; returns when the threads are done.
    /// Idempotent.
    public func stop() { shards.forEach { $0.stop() } }

    /// Clients connected now, over all endpoints.
    public var clientCount: Int { shards.reduce(0) { $0 + $1.clientCount.load(ordering: .relaxed) } }

    /// One serving thread and the endpoints it polls.
    private final class Shard: Sendable {
        let endpoints: [(listener: Int32, line: MeterLine)]
        let worker = Worker()
        let clientCount = Atomic<Int>(0)

        init(endpoints: [(listener: Int32, line: MeterLine)]) {
            self.endpoints = endpoints
        }

        func start() -> Bool {
            guard worker.start({ self.serve() }) else {
                endpoints.forEach { close($0.listener) }
                return false
            }
            return true
        }

        func stop() { worker.stop() }

        private struct Client {
            var endpoint: Int
            var framer = RequestFramer()
        }

        private struct Reply {
            var due: MonotonicClock.Instant
            var socket: Int32
            var bytes: [UInt8]
        }

        /// The loop: wait on the stop signal, the listeners and the clients until the next
        /// reply is due; accept, read and answer; send the replies that are due.
        private func serve() {
            let stopping = worker.stopSignal
            var clients: [Int32: Client] = [:]
            var replies: [Reply] = []
            /// Until when each endpoint's wire is busy with replies already under way.
            var wireBusy = [MonotonicClock.Instant](repeating: .now, count: endpoints.count)
            var fds: [pollfd] = []
            var changed = true
            var buffer = [UInt8](repeating: 0, count: 1024)

            func drop(_ socket: Int32) {
                clients[socket] = nil
                replies.removeAll { $0.socket == socket }
                close(socket)
                clientCount.subtract(1, ordering: .relaxed)
                changed = true
            }

            while !stopping.isSignalled {
                if changed {
                    fds = [pollfd(fd: stopping.descriptor, events: Int16(POLLIN), revents: 0)]
                    fds += endpoints.map { pollfd(fd: $0.listener, events: Int16(POLLIN), revents: 0) }
                    fds += clients.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                    changed = false
                }
                let now = MonotonicClock.Instant.now
                let next = replies.map(\.due).min()
                let wait = next.map { max(.zero, $0 - now) } ?? .seconds(1)
                _ = poll(&fds, nfds_t(fds.count), min(wait, .seconds(1)).pollMilliseconds)
                let woke = MonotonicClock.Instant.now
                for index in fds.indices where fds[index].revents != 0 {
                    let fd = fds[index].fd
                    fds[index].revents = 0
                    if index == 0 { continue }
                    if index <= endpoints.count {
                        accept(on: index - 1, into: &clients, changed: &changed)
                        continue
                    }
                    guard var client = clients[fd] else { continue }
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if n < 0, errno == EINTR || errno == EAGAIN { continue }
                    guard n > 0 else {
                        drop(fd)
                        continue
                    }
                    let line = endpoints[client.endpoint].line
                    var open = true
                    for frame in client.framer.append(Array(buffer[..<n]), at: woke) {
                        let response = line.respond(to: frame)
                        if response.dropsConnection {
                            open = false
                            break
                        }
                        let due = max(woke, wireBusy[client.endpoint]) + response.delay
                        wireBusy[client.endpoint] = due
                        if !response.bytes.isEmpty { replies.append(Reply(due: due, socket: fd, bytes: response.bytes)) }
                    }
                    if open { clients[fd] = client } else { drop(fd) }
                }
                let sendTime = MonotonicClock.Instant.now
                let due = replies.filter { $0.due <= sendTime }
                replies.removeAll { $0.due <= sendTime }
                for reply in due where clients[reply.socket] != nil {
                    if case .failure = writeAll(reply.socket, reply.bytes, socket: true) { drop(reply.socket) }
                }
            }
            for socket in clients.keys { close(socket) }
            clientCount.store(0, ordering: .relaxed)
            endpoints.forEach { close($0.listener) }
        }

        private func accept(on endpoint: Int, into clients: inout [Int32: Client], changed: inout Bool) {
            let fd = Glibc.accept(endpoints[endpoint].listener, nil, nil)
            guard fd >= 0 else { return }
            if endpoints[endpoint].line.faults.current.contains(.refuseConnections) {
                close(fd)
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            setNoDelay(fd)
            clients[fd] = Client(endpoint: endpoint)
            clientCount.add(1, ordering: .relaxed)
            changed = true
        }
    }
}
