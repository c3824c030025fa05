import CModbus
import Foundation
import Glibc

/// A pair of linked pseudo-terminals made by `socat`: the bridge opens `a`, masters open `b`.
final class PTYPair {
    let directory: String
    let a: String
    let b: String
    private var process: Process?

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-rtu-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        a = directory + "/A"
        b = directory + "/B"
        try start()
    }

    /// (Re)starts socat and waits for both links.
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        p.arguments = ["pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(5)
        while !(FileManager.default.fileExists(atPath: a) && FileManager.default.fileExists(atPath: b)) {
            guard Date() < deadline else { throw TestFailure("socat made no ptys") }
            usleep(10_000)
        }
    }

    /// Stops socat: both ptys disappear.
    func stop() {
        guard let p = process else { return }
        // SIGKILL: socat inherits the test process's blocked signals, SIGTERM among them.
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
        try? FileManager.default.removeItem(atPath: a)
        try? FileManager.default.removeItem(atPath: b)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A Modbus RTU master on libmodbus's RTU client API.
final class RTUClient {
    let ctx: OpaquePointer

    /// Parity none by default: a pty carries bytes, not bits (the bridge's 8E1 end reads them
    /// all the same), and Linux refuses some parity changes on a pty another master set before.
    init(path: String, baud: Int = 19200, parity: Character = "N", stopBits: Int = 1, timeout: Double = 1) throws {
        guard let ctx = modbus_new_rtu(path, Int32(baud), CChar(UInt8(ascii: parity.unicodeScalars.first!)), 8, Int32(stopBits))
        else { throw TestFailure("modbus_new_rtu failed") }
        self.ctx = ctx
        modbus_set_response_timeout(ctx, UInt32(timeout), UInt32((timeout - floor(timeout)) * 1e6))
        guard modbus_connect(ctx) == 0 else {
            let why = String(cString: modbus_strerror(errno))
            modbus_free(ctx)
            throw TestFailure("open \(path): \(why)")
        }
    }

    deinit {
        modbus_close(ctx)
        modbus_free(ctx)
    }

    func read(unit: Int, address: Int, count: Int, input: Bool = false) -> Result<[UInt16], ModbusFailure> {
        modbus_set_slave(ctx, Int32(unit))
        var regs = [UInt16](repeating: 0, count: max(count, 1))
        let rc =
            input
            ? modbus_read_input_registers(ctx, Int32(address), Int32(count), &regs)
            : modbus_read_registers(ctx, Int32(address), Int32(count), &regs)
        return rc == count ? .success(Array(regs.prefix(count))) : .failure(ModbusFailure(errno: errno))
    }

    func writeRegister(unit: Int, address: Int, value: UInt16) -> ModbusFailure? {
        modbus_set_slave(ctx, Int32(unit))
        return modbus_write_register(ctx, Int32(address), value) == 1 ? nil : ModbusFailure(errno: errno)
    }
}

/// Raw bytes on a pty, for frames no master library would send (bad CRC, device
/// identification, broadcast): the CRC is computed here, independently of libmodbus.
final class RawSerial {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
        var t = termios()
        tcgetattr(fd, &t)
        cfmakeraw(&t)
        tcsetattr(fd, TCSANOW, &t)
    }

    deinit { close(fd) }

    /// Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), low byte first.
    static func crc(_ bytes: [UInt8]) -> [UInt8] {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }

    /// Sends `bytes` as they are and collects what arrives within `window` seconds (or until
    /// `done` says the bytes so far are complete).
    func exchange(_ bytes: [UInt8], window: Double = 0.4, done: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
        tcflush(fd, TCIFLUSH)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(window)
        var chunk = [UInt8](repeating: 0, count: 512)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) == 1 else { continue }
            let n = read(fd, &chunk, chunk.count)
            if n > 0 { received += chunk[0..<n] }
            if done(received) { break }
        }
        return received
    }

    /// `body` + CRC, then what came back with the CRC checked and stripped (nil: silence or a bad CRC).
    func request(_ body: [UInt8], window: Double = 3) -> [UInt8]? {
        let answer = exchange(body + Self.crc(body), window: window) { received in
            received.count >= 4 && Self.crc(Array(received.dropLast(2))) == Array(received.suffix(2))
        }
        guard answer.count >= 4, Self.crc(Array(answer.dropLast(2))) == Array(answer.suffix(2)) else { return nil }
        return Array(answer.dropLast(2))
    }
}

/// Runs `mbpoll -m rtu` once and returns the register values it printed (or its failure text).
func mbpollRTU(_ path: String, unit: Int, reference: Int, count: Int, parity: String = "none") -> Result<[Int], TestFailure> {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/mbpoll")
    p.arguments = [
        "-m", "rtu", "-b", "19200", "-P", parity, "-a", "\(unit)", "-r", "\(reference)", "-c", "\(count)", "-t", "4:hex",
        "-1", "-o", "1", path,
    ]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    do { try p.run() } catch { return .failure(TestFailure("mbpoll: \(error)")) }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let values = text.split(separator: "\n").compactMap { line -> Int? in
        guard line.hasPrefix("["), let tab = line.firstIndex(of: "\t") else { return nil }
        let hex = line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)
        return hex.hasPrefix("0x") ? Int(hex.dropFirst(2), radix: 16) : nil
    }
    return values.count == count ? .success(values) : .failure(TestFailure("mbpoll: \(text)"))
}
