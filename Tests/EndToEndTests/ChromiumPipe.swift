import Foundation
import Glibc

/// Headless Chromium driven over its DevTools pipe (`--remote-debugging-pipe`: it reads
/// NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4), for a page that
/// must run for a while (the status page's live trend) where `--dump-dom` stops at load.
final class ChromiumPipe {
    private var pid: pid_t = 0
    private let commands: Int32
    private let replies: Int32
    private var buffer: [UInt8] = []
    private var nextID = 1
    private let profile: String

    init() throws {
        profile = try temporaryFile("", name: "chromium-profile")
        try? FileManager.default.removeItem(atPath: profile)
        var toChrome: [Int32] = [0, 0], fromChrome: [Int32] = [0, 0]
        guard pipe(&toChrome) == 0, pipe(&fromChrome) == 0 else {
            throw TestFailure("pipe: \(String(cString: strerror(errno)))")
        }
        // Moved above 4 with CLOEXEC, so that only the dup2 copies on 3 and 4 reach Chromium.
        func high(_ fd: Int32) -> Int32 {
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 10)
            Glibc.close(fd)
            return moved
        }
        let childReads = high(toChrome[0]), childWrites = high(fromChrome[1])
        commands = high(toChrome[1])
        replies = high(fromChrome[0])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childReads, 3)
        posix_spawn_file_actions_adddup2(&actions, childWrites, 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [
            "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=\(profile)", "--remote-debugging-pipe", "about:blank",
        ]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        Glibc.close(childReads)
        Glibc.close(childWrites)
        guard spawned == 0 else { throw TestFailure("chromium: \(String(cString: strerror(spawned)))") }
    }

    /// Sends one command and returns its `result`, skipping events; fails on an `error` reply or
    /// no reply within `timeout` seconds.
    func send(_ method: String, _ params: [String: Any] = [:], session: String? = nil, timeout: Double = 30) throws
        -> [String: Any]
    {
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: message)) + [0]
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard n > 0 else { throw TestFailure("chromium pipe closed") }
            offset += n
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            while let end = buffer.firstIndex(of: 0) {
                let reply = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let object = try JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any],
                    object["id"] as? Int == id
                else { continue }
                if let error = object["error"] { throw TestFailure("\(method): \(error)") }
                return object["result"] as? [String: Any] ?? [:]
            }
            var poller = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) >= 0 else { continue }
            if poller.revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = read(replies, &chunk, chunk.count)
                guard n > 0 else { throw TestFailure("chromium pipe closed") }
                buffer += chunk[..<n]
            }
        }
        throw TestFailure("\(method): no reply from chromium within \(timeout) s")
    }

    /// Opens `url` in a new tab: the session to evaluate in.
    func open(_ url: String) throws -> String {
        let target = try send("Target.createTarget", ["url": url])["targetId"] as? String ?? ""
        let attached = try send("Target.attachToTarget", ["targetId": target, "flatten": true])
        guard let session = attached["sessionId"] as? String else { throw TestFailure("no session: \(attached)") }
        return session
    }

    /// The value of the JavaScript `expression` (a string) in the tab of `session`.
    func evaluate(_ expression: String, session: String) throws -> String? {
        let result = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true], session: session)
        return (result["result"] as? [String: Any])?["value"] as? String
    }

    /// Ends Chromium (and waits for it) and removes its profile.
    func close() {
        _ = try? send("Browser.close", timeout: 5)
        Glibc.close(commands)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(10)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(50_000)
        }
        Glibc.close(replies)
        try? FileManager.default.removeItem(atPath: profile)
    }
}
