import Foundation

/// A PostgreSQL 15 cluster of the test's own (Debian's postgresql package): initdb in a
/// temporary directory, run as `nobody` (PostgreSQL refuses root), on a free loopback port,
/// password authentication (user `postgres`, password `secret`), database `heat`. `psql` is
/// the independent client the checks use.
final class PostgresServer {
    static let bin = "/usr/lib/postgresql/15/bin"
    static let password = "secret"
    let directory: String
    let port: Int

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("\(Self.password)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/pw"))
        port = try freePort()
        try Self.run("/bin/chown", ["-R", "nobody", directory])
        try asNobody(
            "\(Self.bin)/initdb",
            ["-D", "\(directory)/data", "-U", "postgres", "-A", "scram-sha-256", "--pwfile=\(directory)/pw"])
        try start()
        try psql("CREATE DATABASE heat", database: "postgres")
    }

    /// The URL a bridge forwards to.
    func url(password: String = PostgresServer.password) -> String {
        "postgres://postgres:\(password)@127.0.0.1:\(port)/heat"
    }

    func start() throws {
        try asNobody(
            "\(Self.bin)/pg_ctl",
            [
                "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
            ])
    }

    func stop() throws {
        try asNobody("\(Self.bin)/pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
    }

    /// Runs `sql` with psql; returns its unaligned, tuples-only output, trimmed.
    @discardableResult
    func psql(_ sql: String, database: String = "heat") throws -> String {
        let out = try Self.run(
            "/usr/bin/psql", ["postgres://postgres:\(Self.password)@127.0.0.1:\(port)/\(database)", "-XAtqc", sql])
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (if running) and removes the directory.
    func remove() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func asNobody(_ program: String, _ arguments: [String]) throws {
        try Self.run("/usr/sbin/runuser", ["-u", "nobody", "--", program] + arguments)
    }

    /// Runs `program` to its end with posix_spawn and waitpid. Output goes to files, not pipes:
    /// the server `pg_ctl` starts would inherit a pipe's write end, and a read to the pipe's end
    /// would never return.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-run-\(UUID().uuidString)").path
        let outPath = base + ".out", errPath = base + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard rc == 0 else { throw TestFailure("\(program): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard exited == 0 else {
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw TestFailure("\(program) \(arguments.joined(separator: " ")): exit \(exited): \(stderr)")
        }
        return stdout
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestFailure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
