import CModbus
import Glibc
import Platform

/// Reads Modbus TCP requests from one connected socket, framing each by its MBAP length field.
///
/// The usual request costs one blocking `recv` (libmodbus's `modbus_receive` makes a `select` +
/// `recv` pair for the header and another for the rest). The idle timeout is the socket's
/// receive timeout (`SO_RCVTIMEO`, set by the connection); only a request that arrives in pieces
/// waits with `poll`, for at most the byte timeout per gap.
///
/// Not Sendable: it lives and dies on its connection's thread.
final class RequestReader {
    /// Two of the longest Modbus TCP frames: room for a whole request behind a partly read one.
    static let capacity = 2 * Int(MODBUS_TCP_MAX_ADU_LENGTH)

    /// Why no request could be read. The connection ends either way; the cases are for tests.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The client closed (or shut down) its side, or the socket was shut down.
        case closed
        /// No request began within the idle timeout.
        case idle
        /// A request began but its next byte did not come within the byte timeout.
        case stalled
        /// The bytes cannot be a Modbus TCP request (see `Request.framing`).
        case invalidFrame
        /// `recv` or `poll` failed with this errno.
        case failed(Int32)

        var description: String {
            switch self {
            case .closed: "peer closed"
            case .idle: "idle timeout"
            case .stalled: "stalled inside a request (byte timeout)"
            case .invalidFrame: "invalid frame"
            case let .failed(code): "descriptor error: \(Errno(rawValue: code).message)"
            }
        }
    }

    private let socket: Int32
    private let byteTimeout: Duration
    private let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: RequestReader.capacity)
    /// Bytes received and not yet handed out.
    private var filled = 0
    /// Length of the request handed out last; dropped from the front on the next call.
    private var handedOut = 0

    init(socket: Int32, byteTimeout: Duration = .milliseconds(500)) {
        self.socket = socket
        self.byteTimeout = byteTimeout
    }

    deinit { bytes.deallocate() }

    /// Waits for the next whole request and returns its bytes (MBAP header first), which stay
    /// valid until the next call.
    func next() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        if handedOut > 0 {
            filled -= handedOut
            if filled > 0 { memmove(bytes, bytes + handedOut, filled) }  // pipelined requests
            handedOut = 0
        }
        while true {
            switch Request.framing(UnsafeBufferPointer(start: bytes, count: filled)) {
            case .complete(let length):
                handedOut = length
                return UnsafeBufferPointer(start: bytes, count: length)
            case .invalid:
                throw .invalidFrame
            case .incomplete:
                try receive()
            }
        }
    }

    /// Appends what the socket has to the buffer: the first byte of a request waits for the
    /// socket's receive timeout, any later byte for the byte timeout.
    private func receive() throws(Failure) {
        if filled > 0 {
            switch waitFor(socket, events: Int16(POLLIN), timeout: byteTimeout) {
            case let .failure(error): throw .failed(error.rawValue)
            case .success(0): throw .stalled
            case .success: break
            }
        }
        while true {
            let received = recv(socket, bytes + filled, Self.capacity - filled, 0)
            if received > 0 {
                filled += received
                return
            }
            if received == 0 { throw .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw filled == 0 ? .idle : .stalled
            case ECONNRESET, EPIPE, ENOTCONN: throw .closed
            case let code: throw .failed(code)
            }
        }
    }
}
