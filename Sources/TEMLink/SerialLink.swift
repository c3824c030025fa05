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
public final class SerialLink: DescriptorLink {
    public let descriptor: LinkDescriptor
    private let path: String
    private let baud: Int

    /// A link to the port at `path` at `baud` (one of `Endpoint.baudRates`); nothing happens
    /// until `open`.
    public init(path: String, baud: Int) {
        self.path = path
        self.baud = baud
        descriptor = LinkDescriptor(endpoint: .serial(path: path, baud: baud), isSocket: false) { error in
            error.map(Self.describe) ?? "device hung up"
        }
    }

    /// Opens and configures the port unless open. Throws `no such device`, `permission denied`,
    /// `not a tty`, `unsupported baud rate …`, naming the endpoint. `timeout` is not needed:
    /// opening a port does not wait (O_NONBLOCK, CLOCAL).
    public func open(timeout: Duration) throws(LinkError) {
        guard !descriptor.isOpen else { return }
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
        descriptor.adopt(fd)
    }

    /// Flushes bytes received and not read (`tcflush(TCIFLUSH)`).
    public func discardInput() throws(LinkError) {
        let fd = try descriptor.require()
        guard tcflush(fd, TCIFLUSH) == 0 else { throw descriptor.failure(.current) }
    }

    // MARK: - Private

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
