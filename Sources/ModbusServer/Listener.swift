import Glibc

/// The listening TCP socket plus a wake-up pipe, so a thread blocked waiting for clients can be
/// released by another. Plain POSIX rather than `modbus_tcp_listen`: it reports bind errors with
/// errno, takes host names and port 0, and sets close-on-exec. The socket is non-blocking, so a
/// client that vanishes between poll() and accept() cannot leave `accept()` stuck; accepted
/// sockets are blocking, as libmodbus expects (Linux does not pass O_NONBLOCK on to them).
///
/// Its owner decides when to `closeSocket()` and `closePipe()`, each once.
struct Listener: Sendable {
    let socket: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// The port actually bound (the chosen one when asked for port 0).
    let port: UInt16

    /// Binds and listens on `host:port` (IPv4; `0.0.0.0` for every interface).
    init(host: String, port: UInt16) throws(ModbusServerError) {
        let operation = "listen on \(host):\(port)"
        var address = try Self.resolve(host, port: port, operation: operation)
        let socket = try check(
            Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0),
            operation)
        var pipeEnds: [Int32] = [-1, -1]
        do {
            var yes: Int32 = 1
            try check(setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)), operation)
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try check(bound, operation)
            try check(listen(socket, SOMAXCONN), operation)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
            }
            try check(named, operation)
            try check(pipe(&pipeEnds), operation)
            for end in pipeEnds {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)  // wake() never blocks, however often it is called
            }
        } catch {
            _ = Glibc.close(socket)
            for end in pipeEnds where end >= 0 { _ = Glibc.close(end) }
            throw error
        }
        self.socket = socket
        self.wakeRead = pipeEnds[0]
        self.wakeWrite = pipeEnds[1]
        self.port = UInt16(bigEndian: address.sin_port)
    }

    /// What `accept()` returned.
    enum Accepted {
        /// A new client socket and its IPv4 address (host byte order).
        case client(socket: Int32, address: UInt32)
        /// `wake()` was called.
        case woken
        /// accept(2) failed with this errno, EAGAIN included (the caller decides whether to go on).
        case failed(Int32)
    }

    /// Blocks until a client connects or `wake()` is called.
    func accept() -> Accepted {
        var fds = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&fds, 2, -1) >= 0 else { return .failed(errno) }
        if fds[1].revents != 0 { return .woken }
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(socket, $0, &length) }
        }
        guard client >= 0 else { return .failed(errno) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // accept4 is not visible without _GNU_SOURCE
        return .client(socket: client, address: UInt32(bigEndian: address.sin_addr.s_addr))
    }

    /// Makes a blocked (or the next) `accept()` return `.woken`, from any thread.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    func closeSocket() { _ = Glibc.close(socket) }

    func closePipe() {
        _ = Glibc.close(wakeRead)
        _ = Glibc.close(wakeWrite)
    }

    /// `host` as an IPv4 socket address: a dotted quad, or a name looked up with getaddrinfo.
    private static func resolve(_ host: String, port: UInt16, operation: String) throws(ModbusServerError) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        if inet_pton(AF_INET, host, &address.sin_addr) == 1 { return address }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ModbusServerError(operation: operation, code: status, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address.sin_addr = $0.pointee.sin_addr }
        return address
    }
}
