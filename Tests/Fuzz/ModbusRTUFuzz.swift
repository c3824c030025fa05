import Config
// libFuzzer target `rtu`: the real request path of a Modbus RTU port (RTUPort, libmodbus's RTU
// backend). Built by Tests/Fuzz/build.sh.
//
// One `RTUPort` serves the slave side of a pseudo-terminal (openpty) for the whole run, from
// three units' images, with short silences (`RTUTiming`: a frame ends after 100 µs without a
// byte, a foreign slave has 100 µs to answer; production waits 0.5 s for each). Each input is
// written to the master side as raw bus bytes; once the port has read them all, the harness
// stays silent a little longer than the frame-ending silence, so a frame the input cut short is
// over, then sends a well-formed FC03 for unit 1 (its window moves with every input, so an
// answer late from the input before cannot pass for this one's) until it is answered, waiting
// 2 ms at first and up to 0.7 s, 3.7 s in all. Everything that comes back must parse as a
// sequence of whole RTU responses with a correct CRC, from served units only (never unit 0 or
// 9), each one the server may give: a read from one window of the unit's image (status
// registers only while stale), an exception the server's rules allow, or a Read Device
// Identification answer; the last one the health check's exact answer. A port that stops
// answering is a failure.
import Glibc
import ModbusServer
import Platform

struct Unit {
    let id: UInt8
    let tag: UInt16
    let count: Int
    let statusCount: Int
    let fresh: Bool

    var image: UnitImage {
        UnitImage(
            unitID: id, start: 0, registers: (0..<count).map { tag << 12 | UInt16($0) },
            meterDerived: (0..<count).map { $0 >= statusCount }, validUntil: fresh ? .max : nil,
            identity: fresh ? DeviceIdentity(modelName: "TEMC106", serialNumber: 7, networkAddress: id) : nil)
    }
}

enum Fixture {
    static let units = [
        Unit(id: 1, tag: 0xA, count: 100, statusCount: 0, fresh: true),
        Unit(id: 2, tag: 0xB, count: 50, statusCount: 10, fresh: false),
        Unit(id: 3, tag: 0xC, count: 36, statusCount: 4, fresh: true),
    ]

    /// How long the harness keeps the line silent after the port has read an input: the port's
    /// byte timeout plus a margin for a loaded machine.
    static let silence: useconds_t = 250

    /// The master side of the pty (the port serves the slave side) and the harness's own
    /// descriptor of the slave side, to see whether the port has read everything written.
    static let pty: (master: Int32, slave: Int32) = {
        // Sleeps and timeouts of 100 µs mean what they say (the default slack adds 50 µs to each);
        // the port's thread, started below, inherits it.
        let slack = open("/proc/self/timerslack_ns", O_WRONLY)
        if slack >= 0 { write(slack, Array("1".utf8)); close(slack) }
        var master: Int32 = -1, slave: Int32 = -1
        require(openpty(&master, &slave, nil, nil, nil) == 0, "openpty: errno \(errno)")
        var t = termios()
        tcgetattr(slave, &t)
        cfmakeraw(&t)
        tcsetattr(slave, TCSANOW, &t)
        tcgetattr(master, &t)
        cfmakeraw(&t)
        tcsetattr(master, TCSANOW, &t)
        let path = String(cString: ttyname(slave))
        let store = RegisterStore()
        store.replaceAll(units.map(\.image))
        // Units 1...3 on this port (9 is foreign, 0 broadcast); 8N1 (a pty ignores parity).
        let port = RTUPort(
            RTUPortConfiguration(path: path, baud: 19200, parity: "N", stopBits: 1, unitIDs: [1, 2, 3]), store: store,
            inputRegisters: true, timing: RTUTiming(byteTimeout: .microseconds(100), foreignAnswerWindow: .microseconds(100)))
        port.start()
        return (master, slave)  // both kept open: the pty lives as long as the run
    }()

    /// Inputs run so far: moves the health check's window.
    nonisolated(unsafe) static var runs = 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRTURequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (master, slave) = Fixture.pty
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: min(size, 256))) } ?? []
    write(master, input)
    waitUntilRead(slave, deadline: now() + 2)
    usleep(Fixture.silence)  // a frame the input cut short is over
    Fixture.runs += 1
    let start = UInt8(Fixture.runs % 90)
    let health: [UInt8] = [1, 3, 0, start, 0, 10]
    let expected: [UInt8] = [1, 3, 20] + (0..<10).flatMap { (i: Int) -> [UInt8] in [0xA0, start + UInt8(i)] }
    var received: [UInt8] = []
    // Short at first: the check is rarely lost (its bytes join a frame the input began when the
    // port is still busy with a long input, or the machine is loaded), and the run waits while
    // it is.
    for window in [0.002, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 0.7, 0.7, 0.7, 0.7] {
        write(master, health + crc(health))
        received += read(master, until: expected + crc(expected), window: window)
        if received.count >= expected.count + 2, Array(received.suffix(expected.count + 2)) == expected + crc(expected) {
            checkResponses(Array(received.dropLast(expected.count + 2)), input: input)
            return 0
        }
    }
    require(false, "the port did not answer the health check after input \(hex(input)); got \(hex(received))")
    return 0
}

/// Waits until the port has read every byte written to the line (or `deadline` passes), as far
/// as the slave side's FIONREAD sees: bytes the kernel has not yet moved from the master side
/// do not count, hence the retries of the health check.
func waitUntilRead(_ slave: Int32, deadline: Double) {
    var queued: Int32 = 0
    while ioctl(slave, UInt(FIONREAD), &queued) == 0, queued > 0, now() < deadline { usleep(20) }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

func write(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR || errno == EAGAIN { continue }
        require(n > 0, "write to the pty: errno \(errno)")
        offset += n
    }
}

/// Reads until the bytes end with `suffix` or `window` seconds pass.
func read(_ fd: Int32, until suffix: [UInt8], window: Double) -> [UInt8] {
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    let deadline = now() + window
    while now() < deadline {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, 10) == 1 else { continue }
        let n = Glibc.read(fd, &chunk, chunk.count)
        if n > 0 { received += chunk[..<n] }
        if received.count >= suffix.count, Array(received.suffix(suffix.count)) == suffix { break }
    }
    return received
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Modbus CRC-16, low byte first (computed here, independently of libmodbus).
func crc(_ bytes: [UInt8]) -> [UInt8] {
    var crc: UInt16 = 0xFFFF
    for byte in bytes {
        crc ^= UInt16(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
    }
    return [UInt8(crc & 0xFF), UInt8(crc >> 8)]
}

/// Splits the stream into responses by their own structure and checks each one.
func checkResponses(_ stream: [UInt8], input: [UInt8]) {
    var at = 0
    while at < stream.count {
        let rest = Array(stream[at...])
        require(rest.count >= 5, "a partial response \(hex(rest))")
        let unitID = rest[0], function = rest[1]
        let unit = Fixture.units.first { $0.id == unitID }
        require(unit != nil, "an answer from unit \(unitID), not served on this port: \(hex(rest))")
        let length: Int
        if function & 0x80 != 0 {
            length = 3
            let code = rest[2], requested = function & 0x7F
            switch code {
            case 0x01: break
            case 0x02, 0x03: require([3, 4, 0x2B].contains(requested), "exception \(code) for FC\(requested)")
            case 0x0B: require(!unit!.fresh, "0B from a fresh unit")
            default: require(false, "exception \(code) is not one this server answers: \(hex(rest))")
            }
        } else if function == 3 || function == 4 {
            let byteCount = Int(rest[2])
            length = 3 + byteCount
            require(rest.count >= length + 2 && byteCount % 2 == 0 && byteCount >= 2, "read response \(hex(rest))")
            let values = stride(from: 3, to: length, by: 2).map { UInt16(rest[$0]) << 8 | UInt16(rest[$0 + 1]) }
            let first = Int(values[0] & 0x0FFF)
            for (k, value) in values.enumerated() {
                require(
                    value >> 12 == unit!.tag && Int(value & 0x0FFF) == first + k, "not one window of unit \(unitID): \(hex(rest))"
                )
            }
            require(unit!.fresh || first + values.count <= unit!.statusCount, "stale unit \(unitID) served meter data")
        } else if function == 0x2B {
            require(rest.count >= 10 && rest[2] == 0x0E && rest[4] == 0x83, "identification response \(hex(rest))")
            var end = 8
            for _ in 0..<Int(rest[7]) {
                require(end + 2 <= rest.count, "identification objects overrun: \(hex(rest))")
                end += 2 + Int(rest[end + 1])
            }
            length = end
        } else {
            require(false, "a normal answer to FC\(function): \(hex(rest))")
            return
        }
        require(rest.count >= length + 2, "a response cut short: \(hex(rest))")
        require(Array(rest[length..<(length + 2)]) == crc(Array(rest[..<length])), "bad CRC in \(hex(rest))")
        at += length + 2
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.prefix(64).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ") + (bytes.count > 64 ? " …" : "")
}
