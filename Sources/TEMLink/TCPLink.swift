import Config
import Glibc
import Platform

/// A link over TCP to a serial-to-Ethernet converter (`tcp://HOST:PORT`): the meter's bytes,
/// unchanged, with no framing of their own.
///
/// `open` resolves the host (IPv4 or IPv6) and connects without blocking past its timeout
/// (Platform's `connectTCP`); the socket has TCP_NODELAY so that a request leaves in one segment. When the converter
/// drops the connection, the next `read`, `write` or `discardInput` throws "connection closed
/// by peer" and closes the socket; `open` also notices a dropped idle connection and reconnects.
/// Not thread-safe: one user at a time (see `Link`).
public final class TCPLink: Link {
    public let endpoint: Endpoint
    private let host: String
    private let port: UInt16
    private var socket: Int32 = -1

    /// A link to `host:port`; nothing happens until `open`.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        endpoint = .tcp(host: host, port: port)
    }

    deinit { close() }

    /// True while a connection is established (as far as the link knows).
    public var isOpen: Bool { socket >= 0 }

    /// Connects unless connected. Throws `host not found`, `connection refused`,
    /// `connect timed out after 1s`, … naming the endpoint.
    public func open(timeout: Duration) throws(LinkError) {
        if socket >= 0 {
            guard peerHasClosed() else { return }
            close()
        }
        do {
            socket = try connectTCP(host: host, port: port, timeout: timeout)
        } catch {
            throw LinkError(endpoint, error.message)
        }
    }

    /// Reads and drops whatever has arrived. Throws if the peer has closed the connection.
    public func discardInput() throws(LinkError) {
        let fd = try openSocket()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
            throw failure(n == 0 ? nil : .current)
        }
    }

    /// Sends all of `bytes` (one `send` unless the kernel takes less); never raises SIGPIPE.
    public func write(_ bytes: [UInt8]) throws(LinkError) {
        let fd = try openSocket()
        switch writeAll(fd, bytes, socket: true) {
        case .success: return
        case .failure(.stalled):
            close()
            throw LinkError(endpoint, "write timed out after 1s")
        case .failure(.failed(let error)): throw failure(error)
        }
    }

    /// Waits up to `timeout` and returns what has arrived (empty if nothing did). Throws
    /// "connection closed by peer" (and closes) when the converter has dropped the connection.
    public func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        let fd = try openSocket()
        switch waitFor(fd, events: Int16(POLLIN), timeout: timeout) {
        case let .failure(error): throw failure(error)
        case let .success(revents) where revents == 0: return []
        case .success: break
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 { return Array(buffer[..<n]) }
        if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { return [] }
        throw failure(n == 0 ? nil : .current)
    }

    public func close() {
        guard socket >= 0 else { return }
        _ = Glibc.close(socket)
        socket = -1
    }

    // MARK: - Private

    private func openSocket() throws(LinkError) -> Int32 {
        guard socket >= 0 else { throw LinkError(endpoint, "link is not open") }
        return socket
    }

    /// Closes the socket and describes why: nil or a reset means the peer went away.
    private func failure(_ error: Errno?) -> LinkError {
        close()
        guard let error, ![ECONNRESET, EPIPE, ENOTCONN].contains(error.rawValue) else {
            return LinkError(endpoint, "connection closed by peer")
        }
        return LinkError(endpoint, error.message)
    }

    /// True when an open, idle connection has been closed by the peer (a zero-byte peek or a reset).
    private func peerHasClosed() -> Bool {
        var byte: UInt8 = 0
        let n = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return false }
        return n == 0 || !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    }
}
