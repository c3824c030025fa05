import Glibc
import Testing

@testable import ModbusServer

/// Inputs the `modbus` fuzz target (Tests/Fuzz/ModbusRequestFuzz.swift) found, kept as tests.
@Suite struct FuzzRegressionTests {
    func store() -> RegisterStore {
        let store = RegisterStore()
        store.publish(image(unit: 1, start: 100, [11, 12, 13]))
        return store
    }

    /// libmodbus slept its response timeout (0.5 s) before exception 03, so a client with
    /// libmodbus's default 0.5 s timeout saw a timeout instead, and then the late answer.
    @Test func illegalValueIsAnsweredAtOnce() throws {
        try serving(store()) { server in
            let client = try #require(Client(port: server.port, responseTimeout: .milliseconds(200)))
            #expect(client.read(99, 1).error == .illegalAddress)
            #expect(client.raw([3, 0, 100, 0, 0]).value == [0x83, 3])
            #expect(client.read(100, 3).value == [11, 12, 13])
        }
    }

    /// Function 0xFF was answered as "0xFF + 0x80", wrapped to `7F 01`: a normal-looking
    /// response to function 0x7F. Function codes 0x80...0xFF now close the connection unanswered.
    @Test(arguments: [0x80, 0x83, 0xFF] as [UInt8])
    func exceptionFunctionCodesAreNotAnswered(function: UInt8) throws {
        try serving(store()) { server in
            let fd = rawConnect(port: server.port)
            defer { close(fd) }
            let request: [UInt8] = [0x00, 0x17, 0, 0, 0, 6, 1, function, 0, 100, 0, 1]
            #expect(send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count)
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var response = [UInt8](repeating: 0, count: 64)
            // Closed with the request's last 4 bytes unread, so a reset rather than an orderly close.
            let received = recv(fd, &response, response.count, 0)
            #expect(
                received == 0 || (received == -1 && errno == ECONNRESET),
                "expected the connection closed without a response, got \(received) (errno \(errno))")
            #expect(eventually { server.connectionCount == 0 })
        }
    }
}

/// The `modbus` fuzz target found Read Device Identification answers echoing the request's
/// protocol id; every other answer (libmodbus's) carries 0.
@Suite struct IdentificationFuzzRegressionTests {
    @Test func identificationAnswersCarryProtocolIDZero() throws {
        let store = RegisterStore()
        store.publish(image(unit: 1, start: 100, [11, 12, 13]))
        try serving(store) { server in
            let fd = rawConnect(port: server.port)
            defer { close(fd) }
            let request: [UInt8] = [0x00, 0x0D, 0x00, 0x1A, 0x00, 0x05, 0x01, 0x2B, 0x0E, 0x01, 0x00]
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var response = [UInt8](repeating: 0, count: 300)
            var limit = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let n = recv(fd, &response, response.count, 0)
            #expect(n >= 14)
            #expect(Array(response[0..<4]) == [0x00, 0x0D, 0x00, 0x00])
            #expect(Array(response[6..<11]) == [0x01, 0x2B, 0x0E, 0x01, 0x83])
        }
    }
}
