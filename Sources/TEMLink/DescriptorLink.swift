import Config
import Glibc
import Platform

/// What the TCP and serial links do alike: one descriptor, opened by the link and then written
/// whole, waited on, read and closed the same way. A link conforms with `DescriptorLink` and
/// implements only `open` and `discardInput`; its `LinkDescriptor` names failures its own way.
public protocol DescriptorLink: Link {
    var descriptor: LinkDescriptor { get }
}

extension DescriptorLink {
    public var endpoint: Endpoint { descriptor.endpoint }

    /// True while the descriptor is open (as far as the link knows).
    public var isOpen: Bool { descriptor.isOpen }

    /// Writes all of `bytes` (one write unless the kernel takes less; a socket never raises
    /// SIGPIPE); a queue that stays full for 1 s fails the write and closes the link.
    public func write(_ bytes: [UInt8]) throws(LinkError) {
        let fd = try descriptor.require()
        switch writeAll(fd, bytes, socket: descriptor.isSocket) {
        case .success: return
        case .failure(.stalled):
            descriptor.close()
            throw LinkError(endpoint, "write timed out after 1s")
        case .failure(.failed(let error)): throw descriptor.failure(error)
        }
    }

    /// Waits up to `timeout` and returns what has arrived; empty if nothing did. The end of the
    /// stream (a converter that dropped the connection, a device that hung up) throws and closes.
    public func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        let fd = try descriptor.require()
        let revents: Int16
        switch waitFor(fd, events: Int16(POLLIN), timeout: timeout) {
        case let .failure(error): throw descriptor.failure(error)
        case let .success(r): revents = r
        }
        guard revents != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 { return Array(buffer[..<n]) }
        let hungUp = revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
        // Nothing to read while poll() reports an error: the device is gone; returning empty
        // would make the caller poll again at once, spinning until its deadline.
        if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK {
            if hungUp { throw descriptor.failure(nil) } else { return [] }
        }
        if n < 0 { throw descriptor.failure(.current) }
        // Readable, yet nothing to read: a socket's peer closed, a device hung up (a
        // pseudo-terminal's other side closed).
        if descriptor.isSocket || hungUp { throw descriptor.failure(nil) }
        return []
    }

    public func close() { descriptor.close() }
}

/// A link's descriptor and how its failures read. Not thread-safe: one user at a time, like
/// its link.
public final class LinkDescriptor {
    public let endpoint: Endpoint
    /// True for a socket (written with MSG_NOSIGNAL; end of stream = peer closed).
    let isSocket: Bool
    /// The message for a failure: an errno, or nil for the end of the stream.
    private let describe: (Errno?) -> String
    private(set) var fd: Int32 = -1

    init(endpoint: Endpoint, isSocket: Bool, describe: @escaping (Errno?) -> String) {
        self.endpoint = endpoint
        self.isSocket = isSocket
        self.describe = describe
    }

    deinit { close() }

    var isOpen: Bool { fd >= 0 }

    /// Takes an opened descriptor.
    func adopt(_ descriptor: Int32) { fd = descriptor }

    /// The open descriptor, or "link is not open".
    func require() throws(LinkError) -> Int32 {
        guard fd >= 0 else { throw LinkError(endpoint, "link is not open") }
        return fd
    }

    /// Closes the descriptor and describes the failure.
    func failure(_ error: Errno?) -> LinkError {
        close()
        return LinkError(endpoint, describe(error))
    }

    func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }
}
