import Foundation
import Synchronization
import Testing

/// The archive keeper end to end: the real binary serving simulated meters, its store read
/// back with `history`/`report` and compared with `archive` reading the same meter.
@Suite(.serialized) struct ArchiveStoreEndToEndTests {
    static func map(
        _ endpoint: String, store: String, readsPerPoll: Int = 600, poll: String = "100ms", stale: String = "2s",
        upstream: String? = nil, kinds: String = "[hourly, daily, monthly]"
    ) -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: 500ms, retries: 1 }
        meters:
          - { name: heat1, line: l, address: 1, unit_id: 1, poll_interval: \(poll), stale_after: \(stale), registers: set }
        register_sets:
          set:
            - { address: 0, value: temperature.1 }
        archive_store:
          path: \(store)
          reads_per_poll: \(readsPerPoll)
          kinds: \(kinds)
        \(upstream.map { "  upstream: \"\($0)\"" } ?? "")

        """
    }

    /// A mapping file and the store path next to it.
    static func files(
        _ endpoint: String, readsPerPoll: Int = 600, upstream: String? = nil, kinds: String = "[hourly, daily, monthly]"
    ) throws -> (String, String) {
        let dir = try temporaryFile("").components(separatedBy: "/").dropLast().joined(separator: "/")
        let store = "\(dir)/archive.sqlite"
        let path = "\(dir)/map.yaml"
        try map(endpoint, store: store, readsPerPoll: readsPerPoll, upstream: upstream, kinds: kinds)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return (path, store)
    }

    static func serve(_ mapping: String) throws -> (Background, Int) {
        let server = try Background(["serve", "--mapping", mapping])
        let port = try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#)
        return (server, Int(port)!)
    }

    /// `history` CSV lines (without the header).
    static func history(_ mapping: String, _ kind: String, _ extra: [String] = []) throws -> [String] {
        let out = try tembridge(["history", "--mapping", mapping, "--kind", kind] + extra, timeout: 60)
        guard out.status == 0 else { throw TestFailure("history failed: \(out.stderr)") }
        return Array(out.stdout.split(separator: "\n").dropFirst().map(String.init))
    }

    /// `archive` CSV lines (without the header) read from the meter.
    static func archive(_ endpoint: String, _ kind: String, _ extra: [String] = []) throws -> [String] {
        let out = try tembridge(["archive", endpoint, "--kind", kind] + extra, timeout: 120)
        guard out.status == 0 else { throw TestFailure("archive failed: \(out.stderr)") }
        return Array(out.stdout.split(separator: "\n").dropFirst().map(String.init))
    }

    /// A history line without `meter,serial_number,`: an `archive` line.
    static func withoutIdentity(_ line: String) -> String {
        line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false).last.map(String.init) ?? ""
    }

    static func eventually(timeout: Double = 60, _ condition: () throws -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    /// Reads unit 1 every 20 ms while `body` runs; returns the 0B answers after the first good one.
    static func countingStale(port: Int, _ body: () throws -> Void) throws -> (stale: Int, good: Int) {
        let counts = Mutex((stale: 0, good: 0))
        let done = Atomic<Bool>(false)
        let reader = Thread {
            guard let client = try? ModbusClient(port: port) else { return }
            while !done.load(ordering: .relaxed) {
                let result = client.read(unit: 1, address: 0, count: 2)
                counts.withLock { c in
                    switch result {
                    case .success: c.good += 1
                    case let .failure(f) where f.exception == 0x0B && c.good > 0: c.stale += 1
                    default: break
                    }
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        reader.start()
        defer { done.store(true, ordering: .relaxed) }
        try body()
        done.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.1)
        return counts.withLock { $0 }
    }

    static let doneLines = ["hourly", "daily", "monthly"].map { "meter heat1: \($0) backfill done" }

    // MARK: backfill

    @Test func fullRingsOf512KiBWithoutAStaleAnswer() throws {
        // 92 000 hours of history: more than the 128 months of the monthly ring.
        let endpoint = "sim://?seed=71&addresses=1&frozen=1&history=92000&flash=512"
        let (mapping, _) = try Self.files(endpoint)
        let (server, port) = try Self.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "online", timeout: 120)
        let counts = try Self.countingStale(port: port) {
            for line in Self.doneLines { try server.wait(for: line, timeout: 120) }
        }
        #expect(counts.good > 10)
        #expect(counts.stale == 0, "0B answers during backfill")
        #expect(server.stderr.contains("/864\n"), "progress lines: \(server.stderr)")
        #expect(server.stop() == 0)
        #expect(try Self.history(mapping, "hourly").count == 864)
        #expect(try Self.history(mapping, "daily").count == 368)
        #expect(try Self.history(mapping, "monthly").count == 128)
    }

    @Test func fullRingsOf1MiBAndHistoryEqualsArchive() throws {
        // 18 000 hours: the whole hourly (1728) and daily (736) rings of 1 MiB Flash.
        let endpoint = "sim://?seed=72&addresses=1&frozen=1&history=18000&flash=1024"
        let (mapping, _) = try Self.files(endpoint)
        let (server, port) = try Self.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "online", timeout: 60)
        let counts = try Self.countingStale(port: port) {
            for line in Self.doneLines { try server.wait(for: line, timeout: 120) }
        }
        #expect(counts.stale == 0, "0B answers during backfill")
        #expect(server.stop() == 0)

        let daily = try Self.history(mapping, "daily")
        #expect(daily.count == 736)
        #expect(daily.map(Self.withoutIdentity) == (try Self.archive(endpoint, "daily")))
        #expect(daily.allSatisfy { $0.hasPrefix("heat1,") })
        let range = ["--from", "2024-01-10", "--to", "2024-01-20"]
        let hourly = try Self.history(mapping, "hourly", range)
        #expect(hourly.count == 11 * 24)
        #expect(hourly.map(Self.withoutIdentity) == (try Self.archive(endpoint, "hourly", range)))
        #expect(try Self.history(mapping, "hourly").count == 1728)
        #expect(try Self.history(mapping, "monthly").map(Self.withoutIdentity) == (try Self.archive(endpoint, "monthly")))

        // The statement's totals are the differences of the daily readings.
        let out = try tembridge(
            ["report", "--mapping", mapping, "--meter", "heat1", "--from", "2024-01-10", "--to", "2024-02-05"])
        #expect(out.status == 0, "\(out.stderr)")
        let columns = ["meter", "serial_number", "time", "period"] + Self.valueNames
        func reading(_ day: String, _ name: String) -> Double? {
            guard let line = daily.first(where: { $0.split(separator: ",")[3].hasPrefix(day) }) else { return nil }
            return Double(line.split(separator: ",", omittingEmptySubsequences: false)[columns.firstIndex(of: name)!])
        }
        let lines = out.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines.first.map { $0.map(String.init) } ?? []
        #expect(lines.count == 1 + 27 + 1 && lines.last?.first == "total", "27 days and the total")
        for system in 1...2 {
            for name in ["energy.\(system)", "volume.\(2 * system - 1)", "mass.\(2 * system)"] {
                let difference = header.firstIndex(of: name).flatMap { Double(lines.last![$0]) }
                let expected = reading("2024-02-05", name)! - reading("2024-01-09", name)!
                #expect(difference != nil && abs(difference! - expected) < 1e-9 * max(1, abs(expected)), "\(name)")
            }
        }
        let html = try tembridge(
            [
                "report", "--mapping", mapping, "--meter", "heat1", "--from", "2024-01-10", "--to", "2024-02-05", "--format",
                "html",
            ])
        #expect(html.stdout.contains(#"Missing: <span class="missing-list">none</span>"#))
        // Printed by a browser: one A4 landscape sheet (842 × 595 pt) per month and system.
        let page = try temporaryFile(html.stdout, name: "report.html")
        let pdf = page + ".pdf"
        let print = Process()
        print.executableURL = URL(fileURLWithPath: "/usr/bin/chromium")
        print.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(pdf)",
            "file://\(page)",
        ]
        print.standardOutput = FileHandle.nullDevice
        print.standardError = FileHandle.nullDevice
        try print.run()
        print.waitUntilExit()
        let printed = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: pdf))) ?? Data(), as: UTF8.self)
        #expect(printed.contains("/Count 4"), "January and February, systems 1 and 2")
        #expect(printed.contains("/MediaBox [0 0 841.91998 594.95996]"), "A4 landscape")
    }

    @Test func fullMonthlyRingOf1MiB() throws {
        // 186 000 hours (21 years) of history: more than the 256 months of the ring.
        let endpoint = "sim://?seed=74&addresses=1&frozen=1&history=186000&flash=1024"
        let (mapping, _) = try Self.files(endpoint, kinds: "[monthly]")
        let (server, _) = try Self.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "meter heat1: monthly backfill done", timeout: 180)
        #expect(server.stop() == 0)
        let monthly = try Self.history(mapping, "monthly")
        #expect(monthly.count == 256)
        #expect(Set(monthly).count == 256)
        #expect(try Self.history(mapping, "hourly").isEmpty)  // kinds: [monthly]
    }

    static let valueNames: [String] = {
        // archive's header after time,period.
        let out = try? tembridge(["archive", "sim://?frozen=1&history=1", "--kind", "hourly", "--last", "1"])
        return out?.stdout.split(separator: "\n").first?.split(separator: ",").dropFirst(2).map(String.init) ?? []
    }()

    // MARK: follow, restart, kill -9, wrap, replacement

    @Test func followResumeAfterKillAndAGapAfterAWrap() throws {
        let sim = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "73", "--addresses", "1",
            "--history", "1000", "--flash", "512",
        ])
        defer { sim.stop() }
        let simPort = try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#)
        let endpoint = "tcp://127.0.0.1:\(simPort)"
        let (mapping, _) = try Self.files(endpoint, readsPerPoll: 60)

        // kill -9 in the middle of the backfill, then a restart: it resumes, not restarts.
        let first = try Background(["serve", "--mapping", mapping])
        try first.wait(for: #"hourly backfill [1-9]\d*/864"#, timeout: 60)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let storedBefore = try Self.history(mapping, "hourly").count
        #expect(storedBefore > 0 && storedBefore < 864)

        var (server, _) = try Self.serve(mapping)
        try server.wait(for: "hourly backfill done", timeout: 120)
        #expect(!server.stderr.contains("backfill of up to"), "a second backfill started: \(server.stderr)")

        // Follow: three new hours are read, and only they.
        sim.send("advance 3h")
        #expect(try Self.eventually { try Self.history(mapping, "hourly").count == 867 })
        #expect(server.stop() == 0)

        // Exactly the meter's records: what the ring holds now, plus the three it overwrote.
        let hourly = try Self.history(mapping, "hourly")
        let ring = try Self.archive(endpoint, "hourly")
        #expect(ring.count == 864)
        #expect(Array(hourly.map(Self.withoutIdentity).suffix(864)) == ring)
        #expect(Set(hourly).count == hourly.count)
        #expect(try Self.history(mapping, "daily").map(Self.withoutIdentity) == (try Self.archive(endpoint, "daily")))

        // Stopped while the ring came round: the missing hours are a reported gap.
        sim.send("advance 1000h")
        #expect(try Self.eventually(timeout: 10) { sim.stdout.components(separatedBy: "ok clock").count == 3 })
        (server, _) = try Self.serve(mapping)
        try server.wait(for: "gap: 136 hourly record", timeout: 60)
        #expect(try Self.eventually { try Self.history(mapping, "hourly").count == 867 + 864 })
        #expect(server.stop() == 0)
        #expect(server.stderr.components(separatedBy: "gap: ").count - 1 == 1, "one gap line: \(server.stderr)")
        let gaps = try tembridge(["history", "--mapping", mapping, "--kind", "hourly", "--gaps"])
        let lines = gaps.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(gaps.stdout)")
        #expect(lines.last?.hasSuffix(",136") == true)

        // A replaced meter (new serial number) starts its own history.
        sim.send("restart 1")
        (server, _) = try Self.serve(mapping)
        try server.wait(for: "hourly backfill done", timeout: 60)
        #expect(server.stop() == 0)
        let serials = Set(try Self.history(mapping, "hourly").map { $0.split(separator: ",")[1] })
        #expect(serials.count == 2)
    }
}

/// A store path that cannot be used: one `FILE:LINE:COL` line from `check` and `serve`, exit 1.
@Suite struct ArchiveStorePathTests {
    static func mapping(store: String) throws -> String {
        try temporaryFile(ArchiveStoreEndToEndTests.map("sim://?frozen=1&addresses=1", store: store))
    }

    @Test func aPathThatCannotBeCreated() throws {
        let path = try Self.mapping(store: "/nonexistent-tembridge/archive.sqlite")
        let line =
            "\(path):11:9: archive_store path '/nonexistent-tembridge/archive.sqlite': "
            + "cannot create it: directory /nonexistent-tembridge does not exist\n"
        let check = try tembridge(["check", "--mapping", path])
        #expect(check.status == 1)
        #expect(check.stdout == line)
        let serve = try tembridge(["serve", "--mapping", path], timeout: 10)
        #expect(serve.status == 1)
        #expect(serve.stderr == "tembridge: " + line)
    }

    @Test func aCorruptDatabaseFile() throws {
        let store = try temporaryFile(String(repeating: "not a database\n", count: 300), name: "archive.sqlite")
        let path = try Self.mapping(store: store)
        let serve = try tembridge(["serve", "--mapping", path], timeout: 10)
        #expect(serve.status == 1)
        #expect(serve.stderr == "tembridge: \(path):11:9: archive_store path '\(store)': file is not a database\n")
        let history = try tembridge(["history", "--mapping", path, "--kind", "hourly"])
        #expect(history.status == 1)
        #expect(history.stderr == "tembridge: \(path):11:9: archive_store path '\(store)': file is not a database\n")
    }
}
