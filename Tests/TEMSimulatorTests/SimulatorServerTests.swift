import Glibc
import Platform
import TEMProtocol
import Testing

@testable import TEMSimulator

/// A TCP client socket for the tests.
final class TestClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw SimulatorError("connect: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    func receive(_ count: Int, timeout: Duration = .seconds(1)) -> [UInt8] { readBytes(fd, count: count, timeout: timeout) }

    /// True when the server closed the connection within `timeout`.
    func isClosed(within timeout: Duration = .seconds(1)) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)) > 0
        else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) <= 0
    }
}

@Suite struct SimulatorServerTests {
    let line = MeterLine(options: frozenOptions(history: 0))

    @Test func servesRequestsOverTCP() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        #expect(server.port != 0)
        let client = try TestClient(port: server.port)
        client.send(request(.identify, to: 2))
        #expect(try replyData(client.receive(14), for: .identify, from: 2) == SimulatedMeter.identity)
        let command = Command.readT2K(address: 0x482, length: 6)
        let bytes = request(command)
        client.send(Array(bytes.prefix(3)))
        blockingSleep(.milliseconds(20))
        client.send(Array(bytes.dropFirst(3)))
        #expect(try replyData(client.receive(13), for: command) == [0x00, 0x30, 0x10, 0x01, 0x03, 0x24])
    }

    @Test func severalClientsAreServed() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        let clients = try (0..<3).map { _ in try TestClient(port: server.port) }
        for c in clients { c.send(request(.identify)) }
        for c in clients { #expect(try replyData(c.receive(14), for: .identify) == SimulatedMeter.identity) }
        #expect(server.clientCount == 3)
    }

    @Test func faultsShapeTheBytesOnTheWire() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try line.faults.apply("echo")
        client.send(request(.identify))
        #expect(client.receive(21) == request(.identify) + line.respond(to: request(.identify)).bytes.dropFirst(7))
        try line.faults.apply("none")
        try line.faults.apply("delay=150ms")
        let start = ContinuousClock.now
        client.send(request(.identify))
        #expect(client.receive(14).count == 14)
        #expect(ContinuousClock.now - start >= .milliseconds(150))
    }

    @Test func dropConnectionClosesTheClient() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try line.faults.apply("dropConnection@1")
        client.send(request(.identify, to: 2))
        #expect(client.receive(14).count == 14)
        client.send(request(.identify, to: 1))
        #expect(client.isClosed())
    }

    @Test func refuseConnectionsClosesNewClientsAtOnce() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        let before = try TestClient(port: server.port)
        // Served once, so surely accepted before the fault is on.
        before.send(request(.identify))
        #expect(before.receive(14).count == 14)
        try line.faults.apply("refuseConnections")
        let refused = try TestClient(port: server.port)
        #expect(refused.isClosed())
        before.send(request(.identify))
        #expect(before.receive(14).count == 14, "connections made before stay")
        line.faults.clear()
        let after = try TestClient(port: server.port)
        after.send(request(.identify))
        #expect(after.receive(14).count == 14)
    }

    @Test func stopClosesEverything() throws {
        let server = try SimulatorServer(line: line, port: 0)
        let client = try TestClient(port: server.port)
        client.send(request(.identify))
        #expect(client.receive(14).count == 14)
        server.stop()
        #expect(client.isClosed())
        #expect(throws: SimulatorError.self) { try TestClient(port: server.port) }
        server.stop()
    }

    @Test func aTakenPortIsReported() throws {
        let server = try SimulatorServer(line: line, port: 0)
        defer { server.stop() }
        #expect(throws: SimulatorError.self) { try SimulatorServer(line: line, port: server.port) }
    }
}

@Suite struct SimulatorPTYTests {
    @Test func servesAPseudoTerminal() throws {
        let line = MeterLine(options: frozenOptions(history: 0))
        let pty = try SimulatorPTY(line: line)
        defer { pty.stop() }
        #expect(pty.slavePath.hasPrefix("/dev/pts/"))
        let fd = open(pty.slavePath, O_RDWR | O_NOCTTY)
        try #require(fd >= 0)
        defer { close(fd) }
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
        let command = Command.readT2K(address: 0x200, length: 64)
        _ = request(command).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let data = try replyData(readBytes(fd, count: 71, timeout: .seconds(1)), for: command)
        #expect(data == Array(line.t2k(address: 1)![0x200..<0x240]))
        // 0xAA, 0x55 and 0x0D/0x0A bytes pass unchanged in raw mode.
        try line.faults.apply("echo")
        _ = request(.identify).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #expect(readBytes(fd, count: 21, timeout: .seconds(1)).prefix(7) == request(.identify)[...])
    }
}
