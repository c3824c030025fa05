import Glibc
import Platform
import Testing

@Suite struct SocketsTests {
    @Test func listenAcceptConnect() throws {
        let listener = try ListeningSocket(host: "127.0.0.1", port: 0, ipv4Only: true)
        defer { close(listener.descriptor) }
        #expect(listener.port != 0)
        let client = try connectTCP(host: "127.0.0.1", port: listener.port, timeout: .seconds(2))
        defer { close(client) }
        guard case let .client(socket, address) = listener.accept(orStop: StopSignal()) else {
            Issue.record("no client accepted")
            return
        }
        close(socket)
        #expect(address == 0x7F00_0001)
    }

    @Test func acceptEndsOnStop() throws {
        let listener = try ListeningSocket(host: "127.0.0.1", port: 0, ipv4Only: true)
        defer { close(listener.descriptor) }
        let stop = StopSignal()
        stop.signal()
        guard case .stopped = listener.accept(orStop: stop) else {
            Issue.record("accept did not stop")
            return
        }
    }

    @Test func failuresSayWhatHappened() throws {
        let listener = try ListeningSocket(host: "127.0.0.1", port: 0, ipv4Only: true)
        let port = listener.port
        // Taken: the second bind fails with the system's words.
        #expect(throws: SocketError.self) { try ListeningSocket(host: "127.0.0.1", port: port, ipv4Only: true) }
        do {
            _ = try ListeningSocket(host: "127.0.0.1", port: port, ipv4Only: true)
        } catch {
            #expect(error.description == "Address already in use")
            #expect(error.code == EADDRINUSE)
        }
        close(listener.descriptor)
        // Nobody listens any more: refused, in lower case for a link message.
        do {
            _ = try connectTCP(host: "127.0.0.1", port: port, timeout: .seconds(2))
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.message == "connection refused")
        }
        do {
            _ = try connectTCP(host: "no-such-host.invalid", port: 1, timeout: .seconds(2))
            Issue.record("resolved an invalid name")
        } catch {
            #expect(error.message == "host not found")
        }
    }
}
