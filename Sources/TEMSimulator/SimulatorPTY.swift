import Glibc
import Platform
import Synchronization

/// Serves a `MeterLine` on a pseudo-terminal, so that `serial:///dev/pts/N?baud=9600` reaches the
/// simulator through a real serial-port path.
///
/// The slave side is put in raw mode (and kept open here, so a client may close and reopen it);
/// the line is served on the master. `dropConnection` and `refuseConnections` mean nothing on a
/// serial line: the first acts as silence, the second not at all. Serves on its own thread from
/// `init` until `stop()` (or until released).
public final class SimulatorPTY: Sendable {
    /// The path a client opens: `/dev/pts/N`.
    public let slavePath: String
    /// The line served.
    public var line: MeterLine { core.line }

    private let core: Core

    /// Opens a pseudo-terminal and starts serving `line` on it.
    public init(line: MeterLine) throws(SimulatorError) {
        var master: Int32 = -1, slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw SimulatorError("openpty: \(Errno.current.message)") }
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        var name = [CChar](repeating: 0, count: 256)
        guard ttyname_r(slave, &name, name.count) == 0 else {
            close(master)
            close(slave)
            throw SimulatorError("ttyname: \(Errno.current.message)")
        }
        slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        core = Core(line: line, master: master, slave: slave)
        guard core.worker.start({ [core] in core.serve() }) else {
            close(master)
            close(slave)
            throw SimulatorError("cannot start the PTY thread")
        }
    }

    deinit { core.stop() }

    /// Stops serving and closes the pseudo-terminal. Idempotent.
    public func stop() { core.stop() }

    private final class Core: Sendable {
        let line: MeterLine
        let master: Int32
        let slave: Int32
        let worker = Worker()
        var stopping: StopSignal { worker.stopSignal }

        init(line: MeterLine, master: Int32, slave: Int32) {
            self.line = line
            self.master = master
            self.slave = slave
        }

        func stop() {
            guard worker.stop() else { return }
            close(master)
            close(slave)
        }

        func serve() {
            var framer = RequestFramer()
            var buffer = [UInt8](repeating: 0, count: 1024)
            while !stopping.isSignalled {
                guard
                    case .success(let revents) = waitFor(master, events: Int16(POLLIN), timeout: .seconds(60), orStop: stopping),
                    revents != 0
                else { continue }
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                guard n > 0 else {
                    // EIO cannot happen while the slave is held open; back off on any error.
                    stopping.sleep(for: .milliseconds(20))
                    continue
                }
                for frame in framer.append(Array(buffer[..<n])) {
                    let response = line.respond(to: frame)
                    guard !response.dropsConnection, stopping.sleep(for: response.delay) else { continue }
                    _ = writeAll(master, response.bytes, socket: false)
                }
            }
        }
    }
}
