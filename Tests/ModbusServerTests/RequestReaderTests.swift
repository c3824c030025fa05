import Glibc
import Platform
import Testing

@testable import ModbusServer

/// Framing requests off a real stream socket (a socketpair): pieces, pipelining, timeouts.
@Suite struct RequestReaderTests {
    /// A connected pair: `client` writes, the reader reads `server`.
    final class Pair {
        let client: Int32
        let server: Int32
        init() {
            var fds: [Int32] = [-1, -1]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            (client, server) = (fds[0], fds[1])
        }
        deinit {
            close(client)
            close(server)
        }
        func send(_ bytes: [UInt8]) { precondition(Glibc.send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count) }
        /// The idle timeout, as `Connection` sets it.
        func receiveTimeout(_ milliseconds: Int) {
            var limit = timeval(tv_sec: milliseconds / 1000, tv_usec: milliseconds % 1000 * 1000)
            precondition(setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0)
        }
    }

    static func read(_ register: UInt16) -> [UInt8] {
        [0, 1, 0, 0, 0, 6, 1, 3, UInt8(register >> 8), UInt8(register & 0xFF), 0, 1]
    }

    func next(_ reader: RequestReader) -> Result<[UInt8], RequestReader.Failure> {
        Result { () throws(RequestReader.Failure) in Array(try reader.next()) }
    }

    @Test func aRequestInPiecesComesWhole() throws {
        let pair = Pair()
        let reader = RequestReader(socket: pair.server)
        let request = Self.read(7)
        let client = pair.client
        let writer = try #require(
            PosixThread {
                for byte in request {
                    _ = send(client, [byte], 1, Int32(MSG_NOSIGNAL))
                    usleep(2_000)
                }
            })
        #expect(next(reader) == .success(request))
        writer.join()
    }

    @Test func pipelinedRequestsComeOneByOne() {
        let pair = Pair()
        let reader = RequestReader(socket: pair.server)
        let longest: [UInt8] = [0, 9, 0, 0, 0, 254, 1, 0x10] + (0..<252).map { UInt8($0 & 0xFF) }
        // More than the reader's buffer in one write: 3 × 260 + 12 + the first half of a third read.
        let stream = longest + Self.read(1) + longest + longest + Self.read(2) + Array(Self.read(3)[..<5])
        pair.send(stream)
        shutdown(pair.client, Int32(SHUT_WR))
        for expected in [longest, Self.read(1), longest, longest, Self.read(2)] {
            #expect(next(reader) == .success(expected))
        }
        #expect(next(reader) == .failure(.closed), "half a request, then the end of the stream")
    }

    @Test func aSilentClientIsIdle() {
        let pair = Pair()
        pair.receiveTimeout(50)
        let reader = RequestReader(socket: pair.server)
        pair.send(Self.read(1))
        #expect(next(reader) == .success(Self.read(1)))
        #expect(next(reader) == .failure(.idle))
    }

    @Test func aGapInsideARequestStalls() {
        let pair = Pair()
        pair.receiveTimeout(5_000)  // the idle timeout does not apply inside a request
        let reader = RequestReader(socket: pair.server, byteTimeout: .milliseconds(50))
        pair.send(Array(Self.read(1)[..<7]))
        let clock = ContinuousClock()
        var result: Result<[UInt8], RequestReader.Failure>?
        let elapsed = clock.measure { result = next(reader) }
        #expect(result == .failure(.stalled))
        #expect(elapsed < .seconds(2), "stalled after \(elapsed)")
    }

    @Test func whatCannotBeFramedEndsTheStream() {
        let pair = Pair()
        let reader = RequestReader(socket: pair.server)
        pair.send(Self.read(1) + [0, 2, 0, 0, 0x01, 0x00, 1, 3])  // then an MBAP length of 256
        #expect(next(reader) == .success(Self.read(1)))
        #expect(next(reader) == .failure(.invalidFrame))
    }

    @Test func aClosedClientEndsTheStream() {
        let pair = Pair()
        let reader = RequestReader(socket: pair.server)
        shutdown(pair.client, Int32(SHUT_WR))
        #expect(next(reader) == .failure(.closed))
    }
}
