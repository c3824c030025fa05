import CModbus
import Foundation
import Testing

/// Where the real `tembridge` binary is: `TEMBRIDGE_BIN`, else `.build/debug/tembridge` of this
/// checkout (`make test` builds it before running the tests).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

let binary: String =
    ProcessInfo.processInfo.environment["TEMBRIDGE_BIN"]
    ?? repositoryRoot.appendingPathComponent(".build/debug/tembridge").path

/// The result of running the binary to completion.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
    let seconds: Double
}

/// Runs `tembridge ARGS` and waits (killing it after `timeout`).
func tembridge(_ arguments: [String], timeout: Double = 30) throws -> Outcome {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    let started = Date()
    try p.run()
    let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    killer.cancel()
    return Outcome(
        status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self), seconds: Date().timeIntervalSince(started))
}

/// A `tembridge` process running in the background (a server or a simulator), with its
/// output collected as it arrives and its stdin open for control commands.
final class Background: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let lock = NSLock()
    private var outText = ""
    private var errText = ""

    /// Starts `tembridge ARGUMENTS`; with `holdingFiles` > 0, through bash, which first opens
    /// descriptors 3...holdingFiles (on /dev/null) for the binary to inherit.
    init(_ arguments: [String], holdingFiles: Int = 0, environment: [String: String] = [:]) throws {
        if holdingFiles > 0 {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            let script = #"for i in $(seq 3 \#(holdingFiles)); do eval "exec $i</dev/null"; done; exec "$0" "$@""#
            process.arguments = ["-c", script, binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.outText += String(decoding: d, as: UTF8.self) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.errText += String(decoding: d, as: UTF8.self) }
        }
        try process.run()
    }

    var stdout: String { lock.withLock { outText } }
    var stderr: String { lock.withLock { errText } }

    /// Waits until `pattern` (a regular expression) matches stdout+stderr; returns the first
    /// capture group (or the whole match).
    @discardableResult
    func wait(for pattern: String, timeout: Double = 20) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = stdout + "\n" + stderr
            if let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
                return String(text[Range(r, in: text)!])
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("timed out waiting for /\(pattern)/; stdout:\n\(stdout)\nstderr:\n\(stderr)")
    }

    /// Writes one control line to the process's stdin.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Writes `bytes` to the process's stdin as they are (no newline added).
    func sendBytes(_ bytes: Data) {
        input.fileHandleForWriting.write(bytes)
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// For a `tembridge simulate` process: sends a control command on stdin and returns its
    /// one-line answer (`ok …` or `error …`), waiting up to 5 s for it.
    @discardableResult
    func control(_ command: String) throws -> String {
        func answers() -> [Substring] {
            stdout.split(separator: "\n").filter { $0.hasPrefix("ok") || $0.hasPrefix("error") }
        }
        let count = answers().count
        send(command)
        let deadline = Date().addingTimeInterval(5)
        while answers().count == count {
            guard Date() < deadline else { throw TestFailure("simulator did not answer '\(command)'") }
            usleep(5_000)
        }
        return String(answers()[count])
    }

    /// SIGTERM, then waits; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A Modbus TCP client on libmodbus's client API.
final class ModbusClient {
    private let ctx: OpaquePointer

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 2) throws {
        guard let ctx = modbus_new_tcp(host, Int32(port)) else { throw TestFailure("modbus_new_tcp failed") }
        self.ctx = ctx
        modbus_set_response_timeout(ctx, UInt32(timeout), UInt32((timeout - floor(timeout)) * 1e6))
        guard modbus_connect(ctx) == 0 else {
            let why = String(cString: modbus_strerror(errno))
            modbus_free(ctx)
            throw TestFailure("connect 127.0.0.1:\(port): \(why)")
        }
    }

    deinit {
        modbus_close(ctx)
        modbus_free(ctx)
    }

    /// Holding (FC03) or input (FC04) registers; on failure the libmodbus errno
    /// (`MODBUS_ENOBASE + exception code` for an exception).
    func read(unit: Int, address: Int, count: Int, input: Bool = false) -> Result<[UInt16], ModbusFailure> {
        modbus_set_slave(ctx, Int32(unit))
        var regs = [UInt16](repeating: 0, count: count)
        let rc =
            input
            ? modbus_read_input_registers(ctx, Int32(address), Int32(count), &regs)
            : modbus_read_registers(ctx, Int32(address), Int32(count), &regs)
        return rc == count ? .success(regs) : .failure(ModbusFailure(errno: errno))
    }

    func writeRegister(unit: Int, address: Int, value: UInt16) -> ModbusFailure? {
        modbus_set_slave(ctx, Int32(unit))
        return modbus_write_register(ctx, Int32(address), value) == 1 ? nil : ModbusFailure(errno: errno)
    }

    /// FC16 (Write Multiple Registers) through libmodbus; nil on success.
    func writeRegisters(unit: Int, address: Int, values: [UInt16]) -> ModbusFailure? {
        modbus_set_slave(ctx, Int32(unit))
        return modbus_write_registers(ctx, Int32(address), Int32(values.count), values) == values.count
            ? nil : ModbusFailure(errno: errno)
    }
}

/// A failed Modbus request: the exception code if the server sent one.
struct ModbusFailure: Error, Equatable, CustomStringConvertible {
    let errno: Int32
    /// The Modbus exception code (1 illegal function, 2 illegal address, 0x0A, 0x0B, …), if any.
    var exception: Int? {
        let base = Int32(MODBUS_ENOBASE)
        return errno > base && errno < base + 20 ? Int(errno - base) : nil
    }
    var description: String { String(cString: modbus_strerror(errno)) }
}

/// Registers → values, for the four word orders.
enum Decode {
    static func float32(_ r: [UInt16], order: String = "ABCD") -> Float {
        Float(bitPattern: UInt32(uint32(r, order: order)))
    }

    static func uint32(_ r: [UInt16], order: String = "ABCD") -> UInt32 {
        let bytes = reorder([UInt8(r[0] >> 8), UInt8(r[0] & 0xFF), UInt8(r[1] >> 8), UInt8(r[1] & 0xFF)], order)
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func float64(_ r: [UInt16], order: String = "ABCD") -> Double {
        let raw = r.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        return Double(bitPattern: reorder(raw, order).reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Undo a word order: CDAB reversed words, BADC swapped bytes, DCBA both.
    static func reorder(_ bytes: [UInt8], _ order: String) -> [UInt8] {
        var words = stride(from: 0, to: bytes.count, by: 2).map { [bytes[$0], bytes[$0 + 1]] }
        if order == "BADC" || order == "DCBA" { words = words.map { [$0[1], $0[0]] } }
        if order == "CDAB" || order == "DCBA" { words.reverse() }
        return words.flatMap { $0 }
    }
}

/// Writes `text` to a new temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "map.yaml") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// Runs `python3 -c script arguments…` (Debian's python3, where python3-pymodbus lives) and
/// waits: its exit status, standard output and standard error.
func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    p.arguments = ["-c", script] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text, errors)
}
