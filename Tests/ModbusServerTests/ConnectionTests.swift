import Config
import Glibc
import Testing

@testable import ModbusServer

/// Timeouts and misbehaving clients, each on its own connection thread.
@Suite struct ConnectionTests {
    let store: RegisterStore = {
        let store = RegisterStore()
        store.publish(image([1, 2, 3]))
        return store
    }()

    @Test func idleConnectionsAreClosed() throws {
        try serving(ServerConfiguration(port: 0, idleTimeout: .milliseconds(200)), store) { server in
            let client = try #require(Client(port: server.port))
            #expect(client.read(0, 3).value == [1, 2, 3])
            #expect(server.connectionCount == 1)
            #expect(eventually(.seconds(2)) { server.connectionCount == 0 })
            #expect(client.read(0, 3).value == nil)
        }
    }

    @Test func aNewIdleTimeoutReachesOpenConnections() throws {
        var configuration = ServerConfiguration(port: 0, idleTimeout: .seconds(60))
        try serving(configuration, store) { server in
            let client = try #require(Client(port: server.port))
            configuration.idleTimeout = .milliseconds(100)
            server.update(configuration)
            #expect(client.read(0, 1).value == [1])  // applies from the next request on
            #expect(eventually(.seconds(2)) { server.connectionCount == 0 })
        }
    }

    @Test func aHalfSentFrameDoesNotDelayOthersAndTimesOut() throws {
        try serving(store) { server in
            let stalled = rawConnect(port: server.port)
            defer { close(stalled) }
            let half: [UInt8] = [0x00, 0x01, 0x00]  // three bytes of an MBAP header, then silence
            #expect(send(stalled, half, half.count, 0) == half.count)
            let silent = rawConnect(port: server.port)  // connects and says nothing at all
            defer { close(silent) }
            #expect(eventually { server.connectionCount == 2 })

            let client = try #require(Client(port: server.port))
            let clock = ContinuousClock()
            var slowest = Duration.zero
            for _ in 0..<100 {
                let elapsed = clock.measure { #expect(client.read(0, 3).value == [1, 2, 3]) }
                slowest = max(slowest, elapsed)
            }
            #expect(slowest < .milliseconds(250), "slowest read took \(slowest)")

            // The byte timeout (0.5 s) closes the stalled connection; the silent one stays.
            #expect(eventually(.seconds(2)) { server.connectionCount == 2 })
            var byte: UInt8 = 0
            #expect(recv(stalled, &byte, 1, 0) <= 0)
            #expect(server.connectionCount == 2)
        }
    }

    @Test func aFrameTooLongForModbusClosesTheConnection() throws {
        try serving(store) { server in
            let hostile = rawConnect(port: server.port)
            defer { close(hostile) }
            // FC10 announcing 250 bytes of values: more than a Modbus TCP frame can hold.
            let request: [UInt8] = [0, 1, 0, 0, 0, 0xFF, 1, 0x10, 0, 0, 0, 125, 250] + Array(repeating: 0, count: 250)
            _ = send(hostile, request, request.count, Int32(MSG_NOSIGNAL))
            var byte: UInt8 = 0
            #expect(recv(hostile, &byte, 1, 0) <= 0)
            let client = try #require(Client(port: server.port))
            #expect(client.read(0, 1).value == [1])
        }
    }

    /// Requests sent in one write are all answered, in order: after a bad quantity (libmodbus's
    /// own 03 would have flushed the socket, dropping the rest) and after an FC03 whose MBAP
    /// length announces two extra bytes (they belong to its frame).
    @Test func pipelinedRequestsAreAllAnswered() throws {
        try serving(store) { server in
            let fd = rawConnect(port: server.port)
            defer { close(fd) }
            let stream: [UInt8] =
                [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 0]  // quantity 0
                + [0, 2, 0, 0, 0, 8, 1, 3, 0, 1, 0, 2, 0xEE, 0xEE]  // registers 1...2, 2 bytes extra
                + [0, 3, 0, 0, 0, 2, 1, 0x2B]  // an unknown function
                + [0, 4, 0, 0, 0, 6, 1, 4, 0, 0, 0, 3]  // FC04, registers 0...2
            #expect(send(fd, stream, stream.count, Int32(MSG_NOSIGNAL)) == stream.count)
            let expected: [UInt8] =
                [0, 1, 0, 0, 0, 3, 1, 0x83, 3]
                + [0, 2, 0, 0, 0, 7, 1, 3, 4, 0, 2, 0, 3]
                + [0, 3, 0, 0, 0, 3, 1, 0xAB, 1]
                + [0, 4, 0, 0, 0, 9, 1, 4, 6, 0, 1, 0, 2, 0, 3]
            var received: [UInt8] = []
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var chunk = [UInt8](repeating: 0, count: 256)
            while received.count < expected.count {
                let n = recv(fd, &chunk, chunk.count, 0)
                guard n > 0 else { break }
                received += chunk[..<n]
            }
            #expect(received == expected)
        }
    }

    @Test func connectAndDropCyclesLeaveNoSocketBehind() throws {
        try serving(store) { server in
            for cycle in 0..<300 {
                let client = try #require(Client(port: server.port))
                if cycle.isMultiple(of: 2) { #expect(client.read(0, 3).value == [1, 2, 3]) }
            }
            #expect(eventually { server.connectionCount == 0 })
            #expect(eventually { serverSideSockets(port: server.port) == 0 })
        }
    }
}
