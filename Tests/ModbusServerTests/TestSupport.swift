import CModbus
import Config
import Glibc
import Platform
import Synchronization
import Testing

@testable import ModbusServer

/// Runs `server.run()` on its own thread for the duration of `body`, then stops it and waits
/// (up to 5 s) for `run()` to return.
func serving<T>(_ store: RegisterStore, _ body: (ModbusTCPServer) throws -> T) throws -> T {
    try serving(ServerConfiguration(port: 0), store, body)
}

/// Like `serving(_:_:)` with `configuration` (its port is replaced by 0) and `onRefused`.
func serving<T>(
    _ configuration: ServerConfiguration,
    _ store: RegisterStore,
    onRefused: (@Sendable (ModbusTCPServer.Refusal) -> Void)? = nil,
    _ body: (ModbusTCPServer) throws -> T
) throws -> T {
    var configuration = configuration
    configuration.port = 0
    let server = try ModbusTCPServer(configuration: configuration, store: store, onRefused: onRefused)
    let finished = Flag()
    #expect(
        PosixThread.detach {
            server.run(); finished.set()
        })
    defer {
        server.stop()
        #expect(finished.wait(.seconds(5)), "run() did not return after stop()")
    }
    return try body(server)
}

/// A one-shot flag another thread can wait on.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
    /// Polls until set or `timeout` passed; returns whether it was set.
    func wait(_ timeout: Duration) -> Bool { eventually(timeout) { isSet } }
}

/// Polls `condition` every millisecond until true or `timeout` passed.
func eventually(_ timeout: Duration = .seconds(2), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        usleep(1_000)
    }
    return true
}

/// An image with one register per address from `start`; `meterDerived` defaults to all true.
func image(
    unit: UInt8 = 1, start: UInt16 = 0, _ registers: [UInt16], meterDerived: [Bool]? = nil,
    validUntil: UInt64? = .max
) -> UnitImage {
    UnitImage(
        unitID: unit, start: start, registers: registers,
        meterDerived: meterDerived ?? Array(repeating: true, count: registers.count), validUntil: validUntil)
}

/// A libmodbus TCP client of a test server.
final class Client {
    let context: OpaquePointer

    /// Connects to 127.0.0.1:`port` and addresses `unit`; nil if the connection is refused.
    init?(port: UInt16, unit: UInt8 = 1, responseTimeout: Duration = .seconds(1)) {
        guard let context = modbus_new_tcp("127.0.0.1", Int32(port)) else { return nil }
        self.context = context
        let (seconds, microseconds) = responseTimeout.secondsAndMicroseconds
        modbus_set_response_timeout(context, seconds, microseconds)
        modbus_set_slave(context, Int32(unit))
        guard modbus_connect(context) == 0 else { return nil }
    }

    deinit {
        modbus_close(context)
        modbus_free(context)
    }

    func read(_ address: Int, _ count: Int, input: Bool = false) -> Result<[UInt16], ClientError> {
        var values = [UInt16](repeating: 0xFFFF, count: max(count, 1))
        let rc =
            input
            ? modbus_read_input_registers(context, Int32(address), Int32(count), &values)
            : modbus_read_registers(context, Int32(address), Int32(count), &values)
        guard rc >= 0 else { return .failure(ClientError(errno)) }
        return .success(Array(values.prefix(Int(rc))))
    }

    /// Sends `pdu` (function code and data) to this client's unit and returns the response PDU.
    func raw(_ pdu: [UInt8], unit: UInt8 = 1) -> Result<[UInt8], ClientError> {
        let request = [unit] + pdu
        guard modbus_send_raw_request(context, request, Int32(request.count)) >= 0 else { return .failure(ClientError(errno)) }
        var response = [UInt8](repeating: 0, count: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        let rc = modbus_receive_confirmation(context, &response)
        guard rc >= 0 else { return .failure(ClientError(errno)) }
        return .success(Array(response[7..<Int(rc)]))
    }
}

/// A client-side failure, compared by errno.
struct ClientError: Error, Equatable, CustomStringConvertible {
    let code: Int32
    init(_ code: Int32) { self.code = code }
    static let illegalFunction = ClientError(MODBUS_ENOBASE + 1)
    static let illegalAddress = ClientError(MODBUS_ENOBASE + 2)
    static let illegalValue = ClientError(MODBUS_ENOBASE + 3)
    static let gatewayPath = ClientError(MODBUS_ENOBASE + 0x0A)
    static let gatewayTarget = ClientError(MODBUS_ENOBASE + 0x0B)
    var description: String { "\(code) (\(String(cString: modbus_strerror(code))))" }
}

/// A plain TCP connection to 127.0.0.1:`port`, for clients libmodbus would not be: half
/// frames, silence. Returns the socket.
func rawConnect(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(rc == 0, "connect: \(errno)")
    return fd
}

/// The TCP sockets (IPv4) whose local port is `port`, listener excluded: the server's side of
/// its connections. A socket the server forgot to close lingers here in CLOSE_WAIT.
func serverSideSockets(port: UInt16) -> Int {
    let fd = open("/proc/self/net/tcp", O_RDONLY)
    guard fd >= 0 else { return -1 }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { break }
        bytes += chunk.prefix(n)
    }
    let local = ":" + String(port, radix: 16, uppercase: true).leftPadded(to: 4)
    return String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().count { line in
        let fields = line.split(separator: " ")
        return fields.count > 3 && fields[1].hasSuffix(local) && fields[3] != "0A"  // 0A: LISTEN
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension Result {
    var value: Success? { try? get() }
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
