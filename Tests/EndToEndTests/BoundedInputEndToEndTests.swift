import Foundation
import Glibc
import Testing

/// Every read that waits for a delimiter or an end has a bound (docs/ARCHITECTURE.md, "Bounded
/// input"): fed an endless stream with no newline, each place answers with one line of error
/// (or closes the connection) and the process's peak resident memory (VmHWM) stays far below
/// what the stream would have cost.
@Suite(.serialized) struct BoundedInputEndToEndTests {
    /// More than any peak below: a process that kept the streams fed here would pass it.
    static let peakLimitKiB = 96 * 1024

    /// `simulate < /dev/zero` used to grow without end: a command line of 128 MiB gets one
    /// `error:` line and the next command is answered as usual.
    @Test func simulateAnswersAnEndlessControlLineOnce() throws {
        let simulator = try Background(["simulate", "--listen", "127.0.0.1:0", "--frozen"])
        defer { simulator.stop() }
        try simulator.wait(for: "simulating meter")
        let megabyte = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<128 { simulator.sendBytes(megabyte) }
        simulator.send("")  // the end of the long line: the next one is read as usual
        #expect(try simulator.control("status").hasPrefix("ok"))
        let errors = simulator.stdout.split(separator: "\n").filter { $0.hasPrefix("error") }
        #expect(errors == ["error: control command longer than 1024 bytes, ignored"])
        let peak = peakResidentKiB(simulator.process.processIdentifier)
        #expect(peak > 0 && peak < Self.peakLimitKiB, "VmHWM \(peak) KiB")
    }

    /// A mapping that never ends (`/dev/zero`) is refused in one line at 1:1.
    @Test func checkRefusesAnEndlessMapping() throws {
        let (outcome, peak) = try measuredRun(["check", "--mapping", "/dev/zero"])
        #expect(outcome.status != 0)
        #expect(outcome.stdout == "/dev/zero:1:1: cannot read: larger than 16 MiB (is it the right file?)\n", "\(outcome.stdout)")
        #expect(peak < Self.peakLimitKiB, "peak \(peak) KiB")
    }

    /// A dump file that never ends is refused in one line.
    @Test func simulateRefusesAnEndlessDumpFile() throws {
        let (outcome, peak) = try measuredRun(["simulate", "--listen", "127.0.0.1:0", "--image", "/dev/zero"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("/dev/zero: cannot read: larger than 16 MiB"), "\(outcome.stderr)")
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(peak < Self.peakLimitKiB, "peak \(peak) KiB")
    }

    /// A "meter" that answers with an endless stream of noise: the exchange ends at its timeout
    /// with one line, its buffer never holding more than a reply.
    @Test func readEndsAnEndlessReplyAtItsTimeout() throws {
        let meter = try EndlessTalker()
        defer { meter.stop() }
        let (outcome, peak) = try measuredRun([
            "read", "tcp://127.0.0.1:\(meter.port)", "--timeout", "1s", "--retries", "0",
        ])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("tcp://127.0.0.1:\(meter.port)"), "\(outcome.stderr)")
        #expect(meter.bytesSent > 1 << 20, "the stream was not endless: \(meter.bytesSent) bytes")
        #expect(peak < Self.peakLimitKiB, "peak \(peak) KiB")
    }

    /// A Modbus client that streams bytes without end, and an HTTP client whose request line
    /// never ends: both connections are closed and `serve` stays small.
    @Test func serveClosesEndlessModbusAndHTTPStreams() throws {
        let yaml = """
            server:
              listen: 127.0.0.1:0
            http:
              listen: 127.0.0.1:0
            lines:
              - { name: l, endpoint: "sim://?frozen=1", timeout: 300ms }
            meters:
              - { name: m, line: l, address: 1, unit_id: 1, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }

            """
        let server = try Background(["serve", "--mapping", try temporaryFile(yaml)])
        defer { server.stop() }
        let modbusPort = Int(try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        let httpPort = Int(try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)"#))!

        let modbusSent = streamUntilClosed(port: modbusPort, prefix: [], limit: 256 << 20)
        #expect(modbusSent < 64 << 20, "Modbus connection kept reading \(modbusSent) bytes")
        // A request line that never ends: `400 Bad Request` once NIO's 80 KiB bound is passed.
        let answer = requestLineWithoutEnd(port: httpPort, bytes: 1 << 20)
        #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(answer)")

        let peak = peakResidentKiB(server.process.processIdentifier)
        #expect(peak > 0 && peak < Self.peakLimitKiB, "VmHWM \(peak) KiB")
        // Still serving both.
        #expect(try httpGet("http://127.0.0.1:\(httpPort)/health").status == 200)
        #expect(server.process.isRunning)
    }
}

/// The peak resident memory (VmHWM) of a running process, in KiB; 0 if unknown.
private func peakResidentKiB(_ pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
    }
    return 0
}

/// Runs `tembridge ARGUMENTS` to completion (killed after `timeout` seconds) and returns its
/// outcome with its peak resident memory in KiB, as `wait4` reports it for the child alone.
///
/// The child is forked by a small python3 parent, not spawned from this process: posix_spawn
/// shares this (large) test process's memory until exec, and Linux then counts its high-water
/// mark into the child's `ru_maxrss`.
private func measuredRun(_ arguments: [String], timeout: Double = 60) throws -> (Outcome, Int) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-bounded-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outPath = directory.appendingPathComponent("out").path, errPath = directory.appendingPathComponent("err").path
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let peakPath = directory.appendingPathComponent("peak").path
    let forker = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            os.execv(sys.argv[2], sys.argv[2:])
        _, status, usage = os.wait4(pid, 0)
        open(sys.argv[1], "w").write(str(usage.ru_maxrss))
        sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
        """
    let python = "/usr/bin/python3"
    let argv = ([python, "-c", forker, peakPath, binary] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    var pid: pid_t = 0
    let started = Date()
    let rc = posix_spawn(&pid, python, &actions, &attributes, argv, environ)
    guard rc == 0 else { throw TestFailure("posix_spawn \(python): \(String(cString: strerror(rc)))") }
    let group = pid
    let killer = DispatchWorkItem { kill(-group, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    killer.cancel()
    let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let outcome = Outcome(
        status: exit, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
        seconds: Date().timeIntervalSince(started))
    let peak = (try? String(contentsOfFile: peakPath, encoding: .utf8)).flatMap { Int($0) } ?? 0
    guard peak > 0 else { throw TestFailure("no peak memory measured for tembridge \(arguments)") }
    return (outcome, peak)
}

/// A TCP socket connected to 127.0.0.1:`port`; nil if it cannot connect.
private func connectedSocket(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}

/// Connects to 127.0.0.1:`port`, sends `prefix` and then bytes without a newline until the peer
/// closes or `limit` bytes were sent; returns how many were sent.
private func streamUntilClosed(port: Int, prefix: [UInt8], limit: Int) -> Int {
    guard let fd = connectedSocket(port: port) else { return -1 }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)  // a peer that stops reading counts as closed
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var sent = 0
    var chunk = prefix + [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
    while sent < limit {
        let n = chunk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { break }
        sent += n
        if n < chunk.count { chunk.removeFirst(n) } else { chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024) }
    }
    return sent
}

/// Sends `GET /` and then `bytes` more of the request line (no newline) to 127.0.0.1:`port`, as
/// far as the server takes them, and returns what the server answers before it closes.
private func requestLineWithoutEnd(port: Int, bytes: Int) -> String {
    guard let fd = connectedSocket(port: port) else { return "" }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET /".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: bytes)
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { break }
        sent += n
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { break }
        answer += buffer[..<n]
    }
    return String(decoding: answer, as: UTF8.self)
}

/// A TCP listener on 127.0.0.1 whose one client gets an endless stream of bytes that never form
/// a reply, until it hangs up.
private final class EndlessTalker: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let sent = NSLock()
    private var total = 0
    private var thread: Thread?

    var bytesSent: Int { sent.withLock { total } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot listen: \(String(cString: strerror(errno)))") }
        port = Int(UInt16(bigEndian: address.sin_port))
        thread = Thread { [self] in
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            let noise = [UInt8](repeating: 0xAA, count: 64 * 1024)
            while true {
                let n = noise.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent.withLock { total += n }
            }
        }
        thread?.start()
    }

    /// Closes the listener (ending an accept still waiting).
    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
}
