import Config
import Glibc
import TEMLink
import TEMProtocol
import Testing

/// The TCP link on its own: connecting, errors naming the endpoint, a dropped connection.
@Suite struct TCPLinkTests {
    @Test func connectionRefused() {
        let port = closedPort()
        let link = TCPLink(host: "127.0.0.1", port: port)
        #expect(throws: LinkError(.tcp(host: "127.0.0.1", port: port), "connection refused")) {
            try link.open(timeout: .seconds(1))
        }
        #expect(!link.isOpen)
        let error = linkError { try link.open(timeout: .seconds(1)) }
        #expect(error?.description == "tcp://127.0.0.1:\(port): connection refused")
    }

    @Test func hostNotFound() {
        let link = TCPLink(host: "no-such-host.invalid", port: 4001)
        let error = linkError { try link.open(timeout: .seconds(1)) }
        #expect(error?.description == "tcp://no-such-host.invalid:4001: host not found")
    }

    @Test func connectTimesOut() {
        let listener = FullListener()
        defer { listener.close() }
        let link = TCPLink(host: "127.0.0.1", port: listener.port)
        let (error, seconds) = timed { linkError { try link.open(timeout: .milliseconds(200)) } }
        #expect(error?.description == "tcp://127.0.0.1:\(listener.port): connect timed out after 0.2s")
        #expect(seconds >= 0.19 && seconds < 0.5, "took \(seconds) s")
    }

    @Test func ipv6Loopback() throws {
        let meter = FakeMeter(tcp: [])
        defer { meter.stop() }
        // The fake listens on IPv4 only: ::1 is refused, and the message brackets the address.
        let link = TCPLink(host: "::1", port: meter.port)
        let error = linkError { try link.open(timeout: .seconds(1)) }
        #expect(error?.description.hasPrefix("tcp://[::1]:\(meter.port): ") == true)
    }

    @Test func peerCloseIsReportedAndReopenReconnects() throws {
        let meter = FakeMeter(tcp: [.hangUp])
        defer { meter.stop() }
        let link = TCPLink(host: "127.0.0.1", port: meter.port)
        try link.open(timeout: .seconds(1))
        try link.discardInput()
        try link.write(Frame.request(.identify, to: 1).bytes)
        var error: LinkError?
        for _ in 0..<20 where error == nil {
            error = linkError { _ = try link.read(timeout: .milliseconds(50)) }
        }
        #expect(error?.description == "tcp://127.0.0.1:\(meter.port): connection closed by peer")
        #expect(!link.isOpen)
        #expect(throws: LinkError(meter.endpoint, "link is not open")) { try link.write([0x55]) }
        try link.open(timeout: .seconds(1))
        try link.write(Frame.request(.identify, to: 1).bytes)
        var reply: [UInt8] = []
        for _ in 0..<20 where reply.count < 14 { reply += try link.read(timeout: .milliseconds(50)) }
        #expect(reply == Frame.reply(to: .identify, from: 1, data: FakeMeter.name).bytes)
        #expect(meter.connections == 2)
    }

    @Test func readReturnsEmptyWhenNothingArrives() throws {
        let meter = FakeMeter(tcp: [])
        defer { meter.stop() }
        let link = TCPLink(host: "localhost", port: meter.port)
        try link.open(timeout: .seconds(1))
        let (bytes, seconds) = try timed { try link.read(timeout: .milliseconds(100)) }
        #expect(bytes.isEmpty)
        #expect(seconds >= 0.09 && seconds < 0.5)
        link.close()
        link.close()
    }

    @Test func openLinkMakesTheRightLink() throws {
        #expect(try openLink(Endpoint(parsing: "tcp://10.0.0.5:4001")) is TCPLink)
        #expect(try openLink(Endpoint(parsing: "serial:///dev/ttyUSB0?baud=19200")) is SerialLink)
        #expect(try openLink(Endpoint(parsing: "tcp://10.0.0.5:4001")).endpoint.description == "tcp://10.0.0.5:4001")
        let error = linkError { _ = try openLink(.simulator(options: [:])) }
        #expect(error?.description == "sim://: sim:// is opened by the simulator module, not by openLink")
    }
}

/// The error `body` throws, or nil.
func linkError(_ body: () throws -> Void) -> LinkError? {
    do { try body() } catch { return error as? LinkError }
    return nil
}
