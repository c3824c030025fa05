import Foundation
import Testing

/// A real Mosquitto broker for one test: its own config in a temporary directory, a free
/// loopback port, stopped (SIGTERM, waited for) by `stop` or when released.
final class MosquittoBroker: @unchecked Sendable {
    let directory: URL
    let port: Int
    private var process: Process?
    private let extraConfig: String

    /// `config` is added to the listener's section (TLS files, password_file, …).
    init(config: String = "allow_anonymous true", port: Int? = nil) throws {
        directory = try temporaryDirectory("broker")
        self.port = try port ?? freeLoopbackPort()
        extraConfig = config
        try start()
    }

    func start() throws {
        let conf = directory.appendingPathComponent("mosquitto.conf")
        // As root, mosquitto would switch to the `mosquitto` user, who cannot read our files.
        let user = getuid() == 0 ? "user root\n" : ""
        try """
        \(user)persistence false
        per_listener_settings true
        log_dest stderr
        log_type error
        log_type warning
        log_type notice
        listener \(port) 127.0.0.1
        \(extraConfig)

        """.write(to: conf, atomically: true, encoding: .utf8)
        let p = unblockedProcess("/usr/sbin/mosquitto", ["-c", conf.path])
        let logFile = directory.appendingPathComponent("mosquitto.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(10)
        while !canConnect(port: port) {
            guard p.isRunning, Date() < deadline else {
                throw TestFailure("mosquitto did not start: \(log())")
            }
            usleep(20_000)
        }
    }

    /// The broker's own log.
    func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    func stop() {
        guard let p = process else { return }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// `mosquitto_sub -v` on some topics, every line it prints collected as (topic, payload).
final class Subscriber: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var text = ""

    init(port: Int, topics: [String] = ["#"], options: [String] = []) throws {
        process = unblockedProcess(
            "/usr/bin/mosquitto_sub",
            ["-h", "127.0.0.1", "-p", "\(port)", "-v", "-i", "sub-\(UUID().uuidString.prefix(8))"]
                + topics.flatMap { ["-t", $0] } + options)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.text += String(decoding: d, as: UTF8.self) }
        }
        try process.run()
        // mosquitto_sub has subscribed once it is connected; give it a moment.
        usleep(300_000)
    }

    /// Every complete line so far: topic, then the payload (empty for an empty message, which
    /// mosquitto_sub prints as `(null)`).
    var messages: [(topic: String, payload: String)] {
        let all = lock.withLock { text }
        guard let lastNewline = all.lastIndex(of: "\n") else { return [] }
        return all[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            let payload = parts.count > 1 ? String(parts[1]) : ""
            return (String(parts[0]), payload == "(null)" ? "" : payload)
        }
    }

    var output: String { lock.withLock { text } }

    func payloads(_ topic: String) -> [String] { messages.filter { $0.topic == topic }.map(\.payload) }

    /// Waits for a message on `topic` whose payload satisfies `condition`, after the first
    /// `skipping` messages of that topic; returns its payload.
    @discardableResult
    func wait(
        for topic: String, skipping: Int = 0, timeout: Double = 15, _ condition: (String) -> Bool = { _ in true }
    ) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let payload = payloads(topic).dropFirst(skipping).first(where: condition) { return payload }
            usleep(20_000)
        }
        throw TestFailure("no message on \(topic) within \(timeout) s; received:\n\(output)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The retained messages under `topics` on the broker now (a fresh `mosquitto_sub` that reads
/// only them), as topic → payload.
func retainedMessages(port: Int, topics: [String], options: [String] = []) throws -> [String: String] {
    let p = unblockedProcess(
        "/usr/bin/mosquitto_sub",
        ["-h", "127.0.0.1", "-p", "\(port)", "-v", "--retained-only", "-W", "2"] + topics.flatMap { ["-t", $0] } + options)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    var result: [String: String] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return result
}

/// A process for `tool` that starts with no signal blocked. Foundation's `Process` hands the
/// test runner's blocked signals down, and a mosquitto with SIGTERM blocked never stops;
/// perl (always on Debian) clears the mask and execs the tool.
func unblockedProcess(_ tool: String, _ arguments: [String]) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
    p.arguments =
        ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV or die \"exec: $!\"", tool] + arguments
    return p
}

/// Runs a tool (openssl, mosquitto_passwd) to completion; throws with its output on failure.
func runTool(_ tool: String, _ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw TestFailure("\(tool) \(arguments.joined(separator: " ")): \(String(decoding: data, as: UTF8.self))")
    }
}

/// A certificate authority made with `openssl` in `directory`: `NAME-ca.pem`, and
/// `NAME-server.pem`/`NAME-server.key` for 127.0.0.1, signed by it.
func makeCertificates(_ name: String, in directory: URL) throws -> (ca: String, cert: String, key: String) {
    func path(_ file: String) -> String { directory.appendingPathComponent("\(name)-\(file)").path }
    let openssl = "/usr/bin/openssl"
    try runTool(
        openssl,
        [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tembridge test CA \(name)",
            "-keyout", path("ca.key"), "-out", path("ca.pem"),
        ])
    try runTool(
        openssl,
        [
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", path("server.key"), "-out",
            path("server.csr"),
        ])
    try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
    try runTool(
        openssl,
        [
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", path("ext.cnf"), "-out", path("server.pem"),
        ])
    return (path("ca.pem"), path("server.pem"), path("server.key"))
}

func temporaryDirectory(_ prefix: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A loopback port nobody listens on now (bound to port 0, then released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// True when something accepts a TCP connection on 127.0.0.1:`port`.
func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// The `"name": number` pairs of a state payload's `values`, each number parsed with
/// `Double(String)` (exactly as written).
func stateValues(_ payload: String) -> [String: Double] {
    guard let start = payload.range(of: #""values":{"#)?.upperBound else { return [:] }
    var values: [String: Double] = [:]
    for pair in payload[start...].prefix(while: { $0 != "}" }).split(separator: ",") {
        let parts = pair.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let value = Double(parts[1]) else { continue }
        values[parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = value
    }
    return values
}
