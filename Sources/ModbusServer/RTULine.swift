import CModbus
import Config
import Glibc
import Platform

/// One open serial port and the libmodbus RTU contexts on it; libmodbus frames every request,
/// checks its CRC and adds the CRC to every answer. Lives and dies on its port's thread.
///
/// libmodbus 3.1.6 serves one slave id per context and, for a request to another id, neither
/// checks its CRC nor returns its length, and then skips the next frame as that slave's answer.
/// So a port answering several unit ids works with four contexts:
///
/// - `opener` opened and configured the port (and restores it when closed); it reads nothing;
/// - `worker` reads requests, set to the unit answered last (most masters poll one unit in a
///   row, which then costs nothing extra); replaced by a fresh one, set to the new unit, when a
///   request for another unit of ours comes, so it does not skip the master's next request;
/// - `verifier` frames and checks such a request again, for its own unit, from a pipe the
///   request's bytes are written into;
/// - `checksummer` checks the CRC of a Read Device Identification request, which libmodbus 3.1.6
///   cannot frame (it takes the unknown function's first 4 bytes as the whole frame): it writes
///   the request's first 5 bytes into the pipe with the CRC libmodbus computes for them, to be
///   compared with the CRC received.
///
/// After a request for a foreign unit, libmodbus skips the next frame as that unit's answer; if
/// none came within `timing.foreignAnswerWindow` (no such slave on the bus), the worker is
/// replaced so the master's next request is not skipped.
final class RTULine {
    let configuration: RTUPortConfiguration
    /// The line's silences (`.standard` except in the `rtu` fuzz target).
    let timing: RTUTiming
    let fd: Int32
    private let opener: OpaquePointer
    private(set) var worker: OpaquePointer
    private var workerSlave: UInt8
    private let verifier: OpaquePointer
    private let checksummer: OpaquePointer
    private let pipeRead: Int32
    private let pipeWrite: Int32
    private var buffer = [UInt8](repeating: 0, count: Int(MODBUS_RTU_MAX_ADU_LENGTH))
    /// When the last request for a foreign unit came (monotonic ns): libmodbus then takes the
    /// next frame for that unit's answer and skips it.
    private var foreignRequestAt: UInt64?

    /// libmodbus's own error numbers (modbus.h: the exceptions from MODBUS_ENOBASE + 1, then
    /// EMBBADCRC = EMBXGTAR + 1 … EMBBADSLAVE = EMBXGTAR + 6): the C macros do not import.
    private static let badCRC = Int32(MODBUS_ENOBASE) + 12
    /// FD_SETSIZE: libmodbus's select() takes descriptors below it only.
    static let selectLimit: Int32 = 1024
    private static let libmodbusErrors = (Int32(MODBUS_ENOBASE) + 1)...(Int32(MODBUS_ENOBASE) + 17)

    /// What `receive()` got.
    enum Received: Equatable {
        /// A request with a good CRC (the CRC included), for `worker`'s unit or a broadcast.
        case request([UInt8])
        /// Nothing to answer: a foreign unit, a bad CRC, a frame cut short or too long.
        case ignored
        /// The port failed (it disappeared, was hung up): errno.
        case lost(Int32)
    }

    /// Opens and configures the port (8 data bits, the configured baud, parity and stop bits).
    init(_ configuration: RTUPortConfiguration, timing: RTUTiming = .standard) throws(ModbusServerError) {
        let what = "open \(configuration)"
        guard
            let opener = Self.newContext(configuration.serial)
        else { throw .fromErrno(what) }
        // Until the line is whole, any failure below lets the port go here, and only here.
        var kept = false
        defer { if !kept { Self.release(opener) } }
        guard modbus_connect(opener) == 0 else { throw .fromErrno(what) }
        let fd = modbus_get_socket(opener)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // libmodbus waits with select(), which cannot take a descriptor past FD_SETSIZE (1024):
        // with that many open (a thousand TCP clients), the port waits for a retry.
        guard fd < Self.selectLimit else {
            throw ModbusServerError(
                operation: what, code: EMFILE, reason: "descriptor \(fd) is past libmodbus's select() limit (\(Self.selectLimit))"
            )
        }
        if configuration.rs485, modbus_rtu_set_serial_mode(opener, Int32(MODBUS_RTU_RS485)) != 0 {
            let code = errno
            throw ModbusServerError(
                operation: what, code: code,
                reason:
                    "the port refuses RS-485 mode (\(String(cString: strerror(code)))); rs485: false for adapters that switch direction themselves"
            )
        }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0, ends.allSatisfy({ $0 < Self.selectLimit }) else {
            let code = ends[0] < 0 ? errno : EMFILE
            for end in ends where end >= 0 { _ = Glibc.close(end) }
            throw .fromErrno(what, code: code)
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        self.configuration = configuration
        self.timing = timing
        self.fd = fd
        self.opener = opener
        self.pipeRead = ends[0]
        self.pipeWrite = ends[1]
        let first = (1...247).first { configuration.serves(UInt8($0)) } ?? 1
        self.workerSlave = UInt8(first)
        self.worker = Self.context(configuration, timing, socket: fd, slave: UInt8(first))
        self.verifier = Self.context(configuration, timing, socket: ends[0], slave: UInt8(first))
        self.checksummer = Self.context(configuration, timing, socket: ends[1], slave: UInt8(first))
        kept = true
    }

    deinit {
        modbus_free(worker)
        modbus_free(verifier)
        modbus_free(checksummer)
        Self.release(opener)
        _ = Glibc.close(pipeRead)
        _ = Glibc.close(pipeWrite)
    }

    /// Closes the port and frees the context that opened it: the one place it is let go (a
    /// failed `init` and `deinit` both come here). The other contexts only borrow descriptors.
    private static func release(_ opener: OpaquePointer) {
        modbus_close(opener)
        modbus_free(opener)
    }

    /// A libmodbus RTU context for `serial` (8 data bits), not connected; nil when libmodbus
    /// cannot allocate one.
    private static func newContext(_ serial: SerialPortSettings) -> OpaquePointer? {
        modbus_new_rtu(
            serial.path, Int32(serial.baud), CChar(bitPattern: serial.parity.letter.asciiValue!), 8, Int32(serial.stopBits))
    }

    /// A context speaking on an already open descriptor (never connected, so never closing it),
    /// ending a frame after `timing.byteTimeout` of silence.
    private static func context(_ configuration: RTUPortConfiguration, _ timing: RTUTiming, socket: Int32, slave: UInt8)
        -> OpaquePointer
    {
        guard
            let context = newContext(configuration.serial)
        else { fatalError("out of memory creating a libmodbus RTU context") }
        let (seconds, microseconds) = timing.byteTimeout.secondsAndMicroseconds
        modbus_set_byte_timeout(context, seconds, max(microseconds, seconds == 0 ? 1 : 0))  // 0 would wait forever
        modbus_set_socket(context, socket)
        modbus_set_slave(context, Int32(slave))
        return context
    }

    /// Replaces `worker` with a fresh context set to `unit`.
    private func switchWorker(to unit: UInt8) {
        modbus_free(worker)
        worker = Self.context(configuration, timing, socket: fd, slave: unit)
        workerSlave = unit
    }

    /// Reads the next frame (call when the port is readable).
    func receive() -> Received {
        if let at = foreignRequestAt {
            foreignRequestAt = nil
            // No answer came in time: a fresh worker does not skip the master's next request.
            if MonotonicClock.now() &- at > timing.foreignAnswerWindow.monotonicNanoseconds { switchWorker(to: workerSlave) }
        }
        let rc = modbus_receive(worker, &buffer)
        let code = errno
        if rc > 0 {
            if buffer[1] == DeviceIdentification.function, rc == 4 { return identificationRequest() }
            return .request(Array(buffer[0..<Int(rc)]))
        }
        if rc == 0 {
            // For another unit: libmodbus checked nothing and now expects that unit's answer.
            let unit = buffer[0]
            guard (1...247).contains(unit), configuration.serves(unit) else {
                foreignRequestAt = MonotonicClock.now()
                return .ignored
            }
            switchWorker(to: unit)
            if buffer[1] == DeviceIdentification.function { return identificationRequest() }
            return verify(unit: unit)
        }
        switch code {
        case Self.badCRC where buffer[1] == DeviceIdentification.function && buffer[2] == DeviceIdentification.meiType:
            return identificationRequest()
        case ETIMEDOUT, EINTR, Self.libmodbusErrors:
            return .ignored  // a bad CRC, a frame cut short or too long, ...: the frame is dropped
        default:
            return .lost(code)
        }
    }

    /// Frames and checks the request in `buffer` again, for `unit`, through the pipe.
    private func verify(unit: UInt8) -> Received {
        drainPipe()
        modbus_set_slave(verifier, Int32(unit))
        let written = buffer.withUnsafeBytes { write(pipeWrite, $0.baseAddress, $0.count) }
        guard written == buffer.count else { return .ignored }
        var framed = [UInt8](repeating: 0, count: Int(MODBUS_RTU_MAX_ADU_LENGTH))
        let rc = modbus_receive(verifier, &framed)
        drainPipe()
        return rc > 0 ? .request(Array(framed[0..<Int(rc)])) : .ignored
    }

    /// A Read Device Identification request: libmodbus read its first 4 bytes (`buffer`); the
    /// object id and the CRC follow. The CRC is checked against the one libmodbus computes.
    private func identificationRequest() -> Received {
        var rest = [UInt8](repeating: 0, count: 3)
        var got = 0
        while got < 3 {
            guard isReadable(within: timing.byteTimeout) else { return .ignored }
            let n = rest.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 3 - got) }
            guard n > 0 else { return n == 0 || (errno != EINTR && errno != EAGAIN) ? .lost(n == 0 ? EIO : errno) : .ignored }
            got += n
        }
        let frame = Array(buffer[0..<4]) + rest
        drainPipe()
        var head = Array(frame[0..<5])
        guard modbus_send_raw_request(checksummer, &head, 5) == 7 else { return .ignored }
        var sent = [UInt8](repeating: 0, count: 7)
        let n = read(pipeRead, &sent, 7)
        drainPipe()
        return n == 7 && sent == frame ? .request(frame) : .ignored
    }

    /// Whether the port becomes readable within `timeout`, to the microsecond (select(), as
    /// libmodbus waits: poll() would round a 100 µs byte timeout up to a millisecond). The port's
    /// descriptor is below `selectLimit`.
    private func isReadable(within timeout: Duration) -> Bool {
        var set = fd_set()
        withUnsafeMutableBytes(of: &set) { bytes in
            let words = bytes.bindMemory(to: Int.self)
            words[Int(fd) / Int.bitWidth] |= 1 << (Int(fd) % Int.bitWidth)
        }
        var wait = timeout.timeval
        return select(fd + 1, &set, nil, nil, &wait) == 1
    }

    private func drainPipe() {
        var scratch = [UInt8](repeating: 0, count: 512)
        while read(pipeRead, &scratch, scratch.count) > 0 {}
    }

    /// Answers `request` (as `receive` returned it) from `mapping`; `worker` is set to its unit.
    func reply(to request: [UInt8], from mapping: UnsafeMutablePointer<modbus_mapping_t>) throws(ModbusServerError) {
        try check(modbus_reply(worker, request, Int32(request.count), mapping), "answer on \(configuration.path)")
    }

    func reply(to request: [UInt8], exception: ModbusException) throws(ModbusServerError) {
        try check(
            modbus_reply_exception(worker, request, UInt32(exception.rawValue)), "answer on \(configuration.path)")
    }

    /// Sends `pdu` (function code first) from `unit`; libmodbus adds the address and the CRC.
    func send(unit: UInt8, pdu: [UInt8]) throws(ModbusServerError) {
        var raw = [unit] + pdu
        try check(modbus_send_raw_request(worker, &raw, Int32(raw.count)), "answer on \(configuration.path)")
    }
}
