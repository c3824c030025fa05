import Config
// libFuzzer target `modbus`: the real request path of the Modbus TCP server. Built by
// Tests/Fuzz/build.sh.
//
// One `ModbusTCPServer` runs in-process on 127.0.0.1 (port 0) for the whole run. Each input is
// the byte stream a client sends on one fresh connection: sent whole, then the client half-closes
// and reads everything until the server closes. Every response must be a well-formed Modbus TCP
// ADU the server may give for the units it serves; every 64 inputs a well-formed FC03 must still
// be answered with the image's exact values, and no connection may be left open. Read Device
// Identification (FC 43 / MEI 14) answers are checked for their structure and objects.
import Glibc
import ModbusServer
import Platform

/// The served units. Register values are `tag << 12 | offset`, so any response shows which unit
/// and which offsets it was read from.
struct ServedUnit {
    let id: UInt8
    let tag: UInt16
    let start: Int
    let count: Int
    /// The first `statusCount` registers are status (served while stale), the rest meter data.
    let statusCount: Int
    let fresh: Bool

    var image: UnitImage {
        UnitImage(
            unitID: id, start: UInt16(start), registers: (0..<count).map { tag << 12 | UInt16($0) },
            meterDerived: (0..<count).map { $0 >= statusCount }, validUntil: fresh ? .max : nil,
            identity: fresh
                ? DeviceIdentity(modelName: "TEMC106", serialNumber: 4_000_000_000 + UInt32(id), networkAddress: id) : nil)
    }
}

enum Fixture {
    static let units = [
        ServedUnit(id: 1, tag: 0xA, start: 0, count: 100, statusCount: 0, fresh: true),
        ServedUnit(id: 2, tag: 0xB, start: 1000, count: 50, statusCount: 10, fresh: false),
        ServedUnit(id: 3, tag: 0xC, start: 65500, count: 36, statusCount: 4, fresh: true),  // ends at 65535
    ]

    static let server: ModbusTCPServer = {
        signal(SIGPIPE, SIG_IGN)
        let store = RegisterStore()
        store.replaceAll(units.map(\.image))
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, maxConnections: 8,
            idleTimeout: .seconds(5), inputRegisters: true)
        let server: ModbusTCPServer
        do { server = try ModbusTCPServer(configuration: configuration, store: store) } catch {
            fatalError("cannot start the Modbus server: \(error)")
        }
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<ModbusTCPServer>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, Unmanaged.passRetained(server).toOpaque())
        require(started == 0, "cannot start the server thread")
        pthread_detach(thread)
        return server
    }()
}

nonisolated(unsafe) var inputsRun = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModbusRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let server = Fixture.server
    if inputsRun % 64 == 0 { checkStillServing(server) }
    inputsRun += 1
    let sent = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let (received, reset) = exchange(sent, port: server.port)
    checkResponses(received, toStream: sent, reset: reset)
    return 0
}

/// Stops the run with a message libFuzzer keeps next to the crashing input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// Connects, sends `bytes`, half-closes and reads until the server closes the connection.
/// Returns what arrived and whether the connection ended in a reset (the server closing with
/// request bytes unread) rather than an orderly close.
func exchange(_ bytes: [UInt8], port: UInt16) -> (received: [UInt8], reset: Bool) {
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    require(client >= 0, "socket: errno \(errno)")
    defer { close(client) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if connected != 0, errno == EINTR {
        // libFuzzer's timers interrupt system calls; the connection goes on being made.
        var writable = pollfd(fd: client, events: Int16(POLLOUT), revents: 0)
        var error: Int32 = 0, length = socklen_t(MemoryLayout<Int32>.size)
        while poll(&writable, 1, 2000) < 0 && errno == EINTR {}
        connected = getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0 ? 0 : -1
    }
    require(connected == 0, "connect to the server: errno \(errno)")
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0, errno == EINTR { continue }
        if n <= 0 { break }  // the server closed early (e.g. a frame longer than Modbus allows)
        offset += n
    }
    shutdown(client, Int32(SHUT_WR))
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    let deadline = now() + 5.0
    while true {
        var waiting = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
        let left = deadline - now()
        require(left > 0, "the server kept a half-closed connection open for 5 s after \(received.count) response bytes")
        guard poll(&waiting, 1, Int32(left * 1000) + 1) == 1 else { continue }
        let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        if n > 0 { received += chunk[..<n]; continue }
        if n < 0, errno == EINTR { continue }
        return (received, n < 0)
    }
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Every response is one whole ADU the server may send: a read answered from exactly one
/// contiguous window of the unit's image (status registers only, while stale), or an exception
/// the server's rules allow for that unit and function. No more responses than requests.
func checkResponses(_ received: [UInt8], toStream sent: [UInt8], reset: Bool) {
    var at = 0, responses = 0
    while at < received.count {
        let adu = Array(received[at...])
        guard adu.count >= 9, adu.count >= 6 + (Int(adu[4]) << 8 | Int(adu[5])) else {
            require(reset, "truncated response \(hex(adu)) before an orderly close")
            return
        }
        let length = Int(adu[4]) << 8 | Int(adu[5])
        let response = Array(adu[..<(6 + length)])
        checkResponse(response, toStream: sent)
        at += response.count
        responses += 1
        // A request is at least MBAP header + function code (8 bytes).
        require(responses <= sent.count / 8, "\(responses) responses to a stream of \(sent.count) bytes")
    }
}

func checkResponse(_ response: [UInt8], toStream sent: [UInt8]) {
    let text = hex(response)
    require(response[2] == 0 && response[3] == 0, "protocol id not 0 in \(text)")
    let unitID = response[6], function = response[7]
    let unit = Fixture.units.first { $0.id == unitID }
    if function & 0x80 != 0 {
        require(response.count == 9, "exception response of \(response.count) bytes: \(text)")
        let code = response[8], requested = function & 0x7F
        guard let unit else {
            require(code == 0x0A, "unit \(unitID) has no image but got exception \(code): \(text)")
            return
        }
        switch code {
        case 0x01:
            // Any function but FC03/FC04 (0x83/0x84 themselves are functions the server refuses).
            require(
                requested != 3 && requested != 4 || sent.contains(function),
                "FC\(requested) refused as illegal function: \(text)")
        case 0x02, 0x03:
            require(requested == 3 || requested == 4 || requested == 0x2B, "exception \(code) for FC\(requested): \(text)")
        case 0x0B:
            require(!unit.fresh, "exception 0B from fresh unit \(unitID): \(text)")
        default:
            require(false, "exception \(code) is not one this server answers: \(text)")
        }
        return
    }
    guard let unit else { return require(false, "data from unit \(unitID), which has no image: \(text)") }
    if function == 0x2B { return checkIdentification(Array(response[7...]), unit: unit) }
    require(function == 3 || function == 4, "normal response to FC\(function) (only reads are served): \(text)")
    let byteCount = Int(response[8])
    require(
        response.count == 9 + byteCount && byteCount % 2 == 0 && (2...250).contains(byteCount),
        "byte count \(byteCount) in a \(response.count)-byte response: \(text)")
    let values = stride(from: 9, to: response.count, by: 2).map { UInt16(response[$0]) << 8 | UInt16(response[$0 + 1]) }
    let first = Int(values[0] & 0x0FFF)
    for (k, value) in values.enumerated() {
        require(
            value >> 12 == unit.tag && Int(value & 0x0FFF) == first + k,
            "register \(k) is \(value), not from one window of unit \(unitID)'s image: \(text)")
    }
    require(first + values.count <= unit.count, "window \(first)+\(values.count) passes unit \(unitID)'s \(unit.count) registers")
    require(
        unit.fresh || first + values.count <= unit.statusCount,
        "stale unit \(unitID) served meter data at offsets \(first)..<\(first + values.count)")
}

/// A Read Device Identification response PDU: MEI 0x0E, read code 1...4, conformity 0x83, the
/// objects it announces and no more, each one the unit has with its exact value, in id order.
func checkIdentification(_ pdu: [UInt8], unit: ServedUnit) {
    let text = hex(pdu)
    require(pdu.count >= 7 && pdu[1] == 0x0E && (1...4).contains(pdu[2]) && pdu[3] == 0x83, "identification header: \(text)")
    require(pdu[4] == 0 || pdu[4] == 0xFF, "more follows \(pdu[4]): \(text)")
    var expected: [UInt8: String] = [0: "tembridge", 1: "TEM-106"]
    if unit.fresh {
        expected.merge([
            4: "TEM-106 heat meter", 5: "TEMC106", 0x80: String(4_000_000_000 + UInt32(unit.id)), 0x81: String(unit.id),
        ]) { a, _ in a }
    }
    var at = 7, count = 0, last = -1
    while at < pdu.count {
        require(at + 2 <= pdu.count && at + 2 + Int(pdu[at + 1]) <= pdu.count, "object at \(at) overruns: \(text)")
        let id = pdu[at], value = String(decoding: pdu[(at + 2)..<(at + 2 + Int(pdu[at + 1]))], as: UTF8.self)
        require(Int(id) > last, "objects out of order: \(text)")
        if id != 2 { require(expected[id] == value, "object \(id) is '\(value)': \(text)") }
        last = Int(id)
        at += 2 + Int(pdu[at + 1])
        count += 1
    }
    require(count == Int(pdu[6]) && count >= 1, "\(pdu[6]) objects announced, \(count) sent: \(text)")
}

/// A well-formed FC03 for all of unit 1 gets exactly its image, and no connection is left open.
func checkStillServing(_ server: ModbusTCPServer) {
    let unit = Fixture.units[0]
    let request: [UInt8] = [0x12, 0x34, 0, 0, 0, 6, unit.id, 3, 0, 0, 0, UInt8(unit.count)]
    let (received, _) = exchange(request, port: server.port)
    let expected: [UInt8] =
        [0x12, 0x34, 0, 0, 0, UInt8(3 + 2 * unit.count), unit.id, 3, UInt8(2 * unit.count)]
        + unit.image.registers.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    require(received == expected, "health check FC03 got \(hex(received))")
    let deadline = now() + 2.0
    while server.connectionCount > 0 {
        require(now() < deadline, "\(server.connectionCount) connections still open after their clients left")
        usleep(1_000)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.prefix(64).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ") + (bytes.count > 64 ? " …" : "")
}
