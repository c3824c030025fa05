import Glibc

// TCP sockets, once: resolving a host, listening, accepting and connecting with a timeout. The
// Modbus listener, the simulator's converter and the meter links all go through here.

/// Why a socket could not be set up, with the system's own words.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The name has no address (of the wanted family).
        case hostNotFound
        /// The resolver failed otherwise (its `gai_strerror` text is the description).
        case resolver
        /// The connection was not established within this time.
        case timedOut(Duration)
        /// A system call failed.
        case system(Errno)
    }

    public let kind: Kind
    /// The system's text: `Address already in use`, `Name or service not known`, …
    public let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    static func system(_ error: Errno) -> SocketError { SocketError(.system(error), error.description) }

    /// The errno (or resolver code) the failure came with; 0 for a timeout.
    public var code: Int32 {
        if case let .system(error) = kind { return error.rawValue }
        return 0
    }

    /// The failure in lower case, to follow `endpoint: `: `host not found`, `connection refused`,
    /// `connect timed out after 1s`.
    public var message: String {
        switch kind {
        case .hostNotFound: "host not found"
        case .resolver: "cannot resolve host: \(description)"
        case let .timedOut(timeout): "connect timed out after \(timeout.brief)"
        case let .system(error): error.message
        }
    }
}

/// A listening TCP socket: non-blocking (a client that vanishes between poll and accept cannot
/// leave `accept` stuck), close-on-exec, SO_REUSEADDR. The owner closes `descriptor`.
public struct ListeningSocket: Sendable {
    public let descriptor: Int32
    /// The port bound: the one the system chose when port 0 was asked for.
    public let port: UInt16

    /// Binds `host:port` and listens. `ipv4Only` binds an IPv4 address (the Modbus server's
    /// `allow` list speaks IPv4); otherwise the host's first address of any family.
    public init(host: String, port: UInt16, ipv4Only: Bool, backlog: Int32 = SOMAXCONN) throws(SocketError) {
        let addresses = try AddressList(host: host, port: port, family: ipv4Only ? AF_INET : AF_UNSPEC, passive: true)
        guard let address = addresses.first else { throw SocketError(.hostNotFound, "Name or service not known") }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = Glibc.socket(address.ai_family, type, address.ai_protocol)
        guard fd >= 0 else { throw .system(.current) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, address.ai_addr, address.ai_addrlen) == 0, listen(fd, backlog) == 0 else {
            let error = Errno.current
            _ = Glibc.close(fd)
            throw .system(error)
        }
        var bound = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        descriptor = fd
        // sin_port and sin6_port lie at the same offset, in network byte order.
        self.port = withUnsafeBytes(of: &bound) { UInt16($0[2]) << 8 | UInt16($0[3]) }
    }

    /// What `accept` returned.
    public enum Accepted: Sendable {
        /// A new client socket (blocking, close-on-exec) and its IPv4 address in host byte
        /// order (nil for another family).
        case client(socket: Int32, ipv4: UInt32?)
        /// `stop` was signalled.
        case stopped
        /// poll(2) or accept(2) failed with this errno, EAGAIN included (the caller decides).
        case failed(Errno)
    }

    /// Waits for a client, or until `stop` is signalled.
    public func accept(orStop stop: StopSignal) -> Accepted {
        switch waitFor(descriptor, events: Int16(POLLIN), timeout: .seconds(86_400), orStop: stop) {
        case let .failure(error): return .failed(error)
        case .success(0): return stop.isSignalled ? .stopped : .failed(Errno(rawValue: EAGAIN))
        case .success: break
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
        }
        guard client >= 0 else { return .failed(.current) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // accept4 is not visible without _GNU_SOURCE
        let ipv4: UInt32? = withUnsafeBytes(of: &address) { raw in
            guard sa_family_t(raw.load(as: sa_family_t.self)) == sa_family_t(AF_INET) else { return nil }
            return raw.load(fromByteOffset: 4, as: UInt32.self).bigEndian
        }
        return .client(socket: client, ipv4: ipv4)
    }
}

/// Connects to `host:port` (any of its addresses, IPv4 or IPv6, in the resolver's order)
/// without blocking past `timeout`; the socket is blocking-free (O_NONBLOCK), close-on-exec and
/// has TCP_NODELAY, so a request leaves in one segment.
public func connectTCP(host: String, port: UInt16, timeout: Duration) throws(SocketError) -> Int32 {
    let deadline = Deadline(after: timeout)
    let addresses = try AddressList(host: host, port: port, family: AF_UNSPEC, passive: false)
    var lastError = SocketError(.hostNotFound, "Name or service not known")
    for info in addresses {
        switch connect(info, deadline: deadline, timeout: timeout) {
        case let .success(fd): return fd
        case let .failure(error):
            lastError = error
            if deadline.hasPassed { throw error }
        }
    }
    throw lastError
}

/// Sets TCP_NODELAY: each response or request leaves at once, in one segment.
public func setNoDelay(_ socket: Int32) {
    var yes: Int32 = 1
    _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
}

/// One non-blocking connect attempt to one address, bounded by `deadline`.
private func connect(_ info: addrinfo, deadline: Deadline, timeout: Duration) -> Result<Int32, SocketError> {
    let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    let fd = Glibc.socket(info.ai_family, type, info.ai_protocol)
    guard fd >= 0 else { return .failure(.system(.current)) }
    func fail(_ error: SocketError) -> Result<Int32, SocketError> {
        _ = Glibc.close(fd)
        return .failure(error)
    }
    if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 {
        guard errno == EINPROGRESS || errno == EINTR else { return fail(.system(.current)) }
        switch waitFor(fd, events: Int16(POLLOUT), timeout: deadline.remaining) {
        case let .failure(error): return fail(.system(error))
        case .success(0): return fail(SocketError(.timedOut(timeout), "Connection timed out"))
        case .success: break
        }
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size) == 0 else { return fail(.system(.current)) }
        guard code == 0 else { return fail(.system(Errno(rawValue: code))) }
    }
    setNoDelay(fd)
    return .success(fd)
}

/// The addresses of a host, from getaddrinfo, freed when released.
private final class AddressList: Sequence {
    private let head: UnsafeMutablePointer<addrinfo>

    init(host: String, port: UInt16, family: Int32, passive: Bool) throws(SocketError) {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        // EAI_NODATA (-5, "no address associated with hostname") is a GNU extension Swift does not see.
        let noData: Int32 = -5
        guard rc == 0, let result else {
            let text = String(cString: gai_strerror(rc))
            switch rc {
            case EAI_NONAME, noData, EAI_FAMILY: throw SocketError(.hostNotFound, text)
            case EAI_SYSTEM: throw .system(.current)
            default: throw SocketError(.resolver, text)
            }
        }
        head = result
    }

    deinit { freeaddrinfo(head) }

    var first: addrinfo? { head.pointee }

    func makeIterator() -> AnyIterator<addrinfo> {
        var next: UnsafeMutablePointer<addrinfo>? = head
        return AnyIterator {
            guard let entry = next?.pointee else { return nil }
            next = entry.ai_next
            return entry
        }
    }
}
