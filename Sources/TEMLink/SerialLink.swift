import Config
import Glibc
import Platform

/// A link through a local serial port (`serial:///dev/ttyUSB0?baud=9600`), set up with termios:
/// raw mode, 8N1, receiver on, modem lines ignored, no flow control.
///
/// Reads never block past their timeout (the port is non-blocking and read with `poll()`);
/// `discardInput` flushes the driver's input queue, so a stale reply is gone before a request.
/// A port that vanishes (USB adapter unplugged) throws and closes; `open` opens it again.
/// Not thread-safe: one user at a time (see `Link`).
public final class SerialLink: Link {
    public let endpoint: Endpoint
    private let path: String
    private let baud: Int
    private var descriptor: Int32 = -1

    /// A link to the port at `path` at `baud` (one of `Endpoint.baudRates`); nothing happens
    /// until `open`.
    public init(path: String, baud: Int) {
        self.path = path
        self.baud = baud
        endpoint = .serial(path: path, baud: baud)
    }

    deinit { close() }

    /// True while the port is open.
    public var isOpen: Bool { descriptor >= 0 }

    /// Opens and configures the port unless open. Throws `no such device`, `permission denied`,
    /// `not a tty`, `unsupported baud rate …`, naming the endpoint. `timeout` is not needed:
    /// opening a port does not wait (O_NONBLOCK, CLOCAL).
    public func open(timeout: Duration) throws(LinkError) {
        guard descriptor < 0 else { return }
        guard let speed = Self.speed(baud) else {
            throw LinkError(endpoint, "unsupported baud rate \(baud) (use 9600, 19200, 38400 or 57600)")
        }
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw LinkError(endpoint, Self.describe(Errno.current)) }
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else {
            let error = Errno.current
            _ = Glibc.close(fd)
            throw LinkError(endpoint, Self.describe(error))
        }
        cfmakeraw(&settings)
        settings.c_cflag &= ~(tcflag_t(CSIZE | PARENB | CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        // Reads are driven by poll(); a read returns what is there.
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
            let error = Errno.current
            _ = Glibc.close(fd)
            throw LinkError(endpoint, "cannot configure the port: \(error.message)")
        }
        _ = tcflush(fd, TCIOFLUSH)
        descriptor = fd
    }

    /// Flushes bytes received and not read (`tcflush(TCIFLUSH)`).
    public func discardInput() throws(LinkError) {
        let fd = try openDescriptor()
        guard tcflush(fd, TCIFLUSH) == 0 else { throw failure(Errno.current) }
    }

    /// Writes all of `bytes`, in one `write` unless the driver takes less.
    public func write(_ bytes: [UInt8]) throws(LinkError) {
        let fd = try openDescriptor()
        switch writeAll(fd, bytes, socket: false) {
        case .success: return
        case .failure(.stalled):
            close()
            throw LinkError(endpoint, "write timed out after 1s")
        case .failure(.failed(let error)): throw failure(error)
        }
    }

    /// Waits up to `timeout` and returns what has arrived; empty if nothing did.
    public func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        let fd = try openDescriptor()
        let revents: Int16
        switch waitFor(fd, events: Int16(POLLIN), timeout: timeout) {
        case let .failure(error): throw failure(error)
        case let .success(r): revents = r
        }
        guard revents != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 { return Array(buffer[..<n]) }
        let hungUp = revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
        // Nothing to read while poll() reports an error: the device is gone; returning empty
        // would make the caller poll again at once, spinning until its deadline.
        if n < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK {
            if hungUp { throw failure(nil) } else { return [] }
        }
        if n < 0 { throw failure(Errno.current) }
        // Readable, yet nothing to read: the device hung up (a pseudo-terminal's other side closed).
        if hungUp { throw failure(nil) }
        return []
    }

    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    // MARK: - Private

    private func openDescriptor() throws(LinkError) -> Int32 {
        guard descriptor >= 0 else { throw LinkError(endpoint, "link is not open") }
        return descriptor
    }

    /// Closes the port and describes the failure (nil: the device hung up).
    private func failure(_ error: Errno?) -> LinkError {
        close()
        return LinkError(endpoint, error.map(Self.describe) ?? "device hung up")
    }

    private static func describe(_ error: Errno) -> String {
        switch error.rawValue {
        case ENOENT, ENXIO, ENODEV: "no such device"
        case EACCES, EPERM: "permission denied"
        case ENOTTY: "not a tty"
        case EBUSY: "device busy"
        case EIO: "device disconnected (I/O error)"
        default: error.message
        }
    }

    /// The termios speed for one of the meter's baud rates.
    private static func speed(_ baud: Int) -> speed_t? {
        switch baud {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        default: nil
        }
    }
}
