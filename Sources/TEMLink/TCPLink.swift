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
public final class TCPLink: DescriptorLink {
    public let descriptor: LinkDescriptor
    private let host: String
    private let port: UInt16

    /// A link to `host:port`; nothing happens until `open`.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        // Nil (end of stream) or a reset means the peer went away.
        descriptor = LinkDescriptor(endpoint: .tcp(host: host, port: port), isSocket: true) { error in
            guard let error, ![ECONNRESET, EPIPE, ENOTCONN].contains(error.rawValue) else { return "connection closed by peer" }
            return error.message
        }
    }

    /// Connects unless connected. Throws `host not found`, `connection refused`,
    /// `connect timed out after 1s`, … naming the endpoint.
    public func open(timeout: Duration) throws(LinkError) {
        if let socket = try? descriptor.require() {
            guard Self.peerHasClosed(socket) else { return }
            close()
        }
        do {
            descriptor.adopt(try connectTCP(host: host, port: port, timeout: timeout))
        } catch {
            throw LinkError(endpoint, error.message)
        }
    }

    /// Reads and drops whatever has arrived. Throws if the peer has closed the connection.
    public func discardInput() throws(LinkError) {
        let fd = try descriptor.require()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
            throw descriptor.failure(n == 0 ? nil : .current)
        }
    }

    // MARK: - Private

    /// True when an open, idle connection has been closed by the peer (a zero-byte peek or a reset).
    private static func peerHasClosed(_ socket: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return false }
        return n == 0 || !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    }
}
