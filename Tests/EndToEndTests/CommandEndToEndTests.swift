import Foundation
import Glibc
import Testing

/// The meter commands of the real binary: identify, read, archive, simulate; and bad input.
@Suite struct CommandEndToEndTests {
    @Test func identifyAndReadOverAPseudoTerminal() throws {
        let sim = try Background(["simulate", "--pty", "--frozen", "--seed", "3"])
        defer { sim.stop() }
        let endpoint = try sim.wait(for: #"on (serial://\S+)"#)
        let identify = try tembridge(["identify", endpoint])
        #expect(identify.status == 0, "\(identify.stderr)")
        #expect(identify.stdout.contains("ТЕМС106"))
        let read = try tembridge(["read", endpoint, "--address", "2", "--format", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as! [String: Any]
        #expect(json["address"] as? Int == 2)
        let values = json["values"] as! [String: Any]
        #expect(values["network_address"] as? Double == 2)
        #expect(values["clock.year"] as? Double == 2024)
        // The same meter read in-process gives the same values.
        let same = try tembridge(["read", "sim://?frozen=1&seed=3", "--address", "2", "--format", "json"])
        #expect(same.stdout == read.stdout)
    }

    @Test func traceShowsEveryFrameInHex() throws {
        let out = try tembridge(["identify", "sim://?seed=4", "--trace"])
        #expect(out.stderr.contains("-> sim://?seed=4 55 01 FE 00 00 00 AB"))  // PROTOCOL-NOTES test vector
        #expect(out.stderr.contains("<- sim://?seed=4 AA 01 FE 00 00 07 D2 C5 CC D1 31 30 36"))
    }

    @Test(arguments: [
        (["read", "tcp//nowhere"], "invalid endpoint"),
        (["read", "tcp://127.0.0.1:1"], "tcp://127.0.0.1:1"),
        (["read", "tcp://no-such-host.invalid:4001"], "no-such-host.invalid"),
        (["read", "serial:///dev/ttyNOPE0"], "/dev/ttyNOPE0"),
        (["read", "serial:///dev/ttyUSB0?baud=1200"], "unsupported baud rate 1200"),
        (["read", "sim://", "--address", "256"], "address 256 is out of range"),
        (["read", "sim://?fault=silent", "--timeout", "200ms", "--retries", "1"], "no reply"),
        (["identify", "sim://", "--address", "9", "--timeout", "200ms", "--retries", "2"], "meter 9"),
        (["check", "--mapping", "/nonexistent/map.yaml"], "/nonexistent/map.yaml"),
    ])
    func badInputIsOneLineAndNonZeroExit(arguments: [String], mentions: String) throws {
        let out = try tembridge(arguments)
        #expect(out.status != 0)
        // `check` prints its problems on stdout (they are its output); the others on stderr.
        let text = arguments[0] == "check" ? out.stdout : out.stderr
        #expect(text.split(separator: "\n").count == 1, "\(text)")
        #expect(text.contains(mentions), "\(text)")
        #expect(!out.stderr.contains("Fatal error") && !out.stderr.contains("Stack"))
        // Bounded: timeout × (retries + 1) plus a second at most (1 s × 3 + 1 by default).
        #expect(out.seconds < 4.5, "took \(out.seconds)s")
    }

    @Test func archiveEachKindInBothFormats() throws {
        for kind in ["hourly", "daily", "monthly"] {
            let csv = try tembridge(["archive", "sim://?frozen=1&seed=8", "--kind", kind, "--last", "2"])
            #expect(csv.status == 0, "\(csv.stderr)")
            let rows = csv.stdout.split(separator: "\n")
            #expect(rows.count == 3, "\(kind): \(csv.stdout)")
            #expect(rows[0].hasPrefix("time,period,energy.1,"))
            let json = try tembridge(["archive", "sim://?frozen=1&seed=8", "--kind", kind, "--last", "2", "--format", "json"])
            let records = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
            #expect(records.count == 2)
            let times = records.map { $0["time"] as! String }
            #expect(times == times.sorted(), "oldest first")
            #expect((records[0]["values"] as! [String: Any])["energy.1"] is Double)
        }
    }

    /// A slow export (9600 baud, ~0.5 s a record) with stderr on a terminal: a progress bar,
    /// then Ctrl-C stops after the current record with valid JSON so far and exit 130. The test
    /// runner hands its blocked signal mask down to the child, so this also checks that tembridge
    /// clears it (it once did not: SIGINT stayed blocked and the export ran to the end).
    @Test func archiveShowsProgressAndStopsCleanlyOnCtrlC() throws {
        var master: Int32 = -1, terminal: Int32 = -1
        try #require(openpty(&master, &terminal, nil, nil, nil) == 0)
        defer { close(master) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["archive", "sim://?frozen=1&seed=4&line_speed=9600", "--kind", "hourly", "--format", "json"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(fileDescriptor: terminal, closeOnDealloc: true)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }

        // What the terminal shows, until the bar has counted two records.
        var screen = ""
        let deadline = Date().addingTimeInterval(20)
        var chunk = [UInt8](repeating: 0, count: 4096)
        func readScreen(_ milliseconds: Int32) {
            var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, milliseconds) == 1 else { return }
            let n = read(master, &chunk, chunk.count)
            if n > 0 { screen += String(decoding: chunk[..<n], as: UTF8.self) }
        }
        while !screen.contains("] 2/"), Date() < deadline, p.isRunning { readScreen(100) }
        #expect(
            screen.range(of: #"\[#*\.+\] 2/48 records, [0-9.]+/s, \d+m\d+s left"#, options: .regularExpression) != nil,
            "\(screen)")

        kill(p.processIdentifier, SIGINT)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        for _ in 0..<5 { readScreen(50) }
        #expect(p.terminationStatus == 130)
        let records = try JSONSerialization.jsonObject(with: stdout) as? [[String: Any]]
        #expect((2..<48).contains(records?.count ?? 0), "records written before the interrupt: \(records?.count ?? -1)")
        #expect(screen.contains("interrupted: \(records?.count ?? -1) of 48 records written"), "\(screen)")
    }

    @Test func archiveFromToSelectsThePeriods() throws {
        // The frozen simulator starts 2024-03-01T10:30 with 48 hours of history.
        let out = try tembridge([
            "archive", "sim://?frozen=1&seed=9", "--kind", "hourly",
            "--from", "2024-03-01T05:00", "--to", "2024-03-01T07:00", "--format", "json",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let records = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [[String: Any]]
        #expect(
            records.map { $0["period"] as! String }
                == ["2024-03-01T05:00:00", "2024-03-01T06:00:00", "2024-03-01T07:00:00"])
        let day = try tembridge([
            "archive", "sim://?frozen=1&seed=9", "--kind", "hourly", "--from", "2024-02-29",
            "--to", "2024-02-29",
        ])
        #expect(day.stdout.split(separator: "\n").count == 1 + 24)
    }

    /// A record with an impossible date in the middle of the range is reported and written with
    /// every field that decodes, its bad stamp null and its flags `damaged`; the exit status is 0.
    @Test func archiveWritesARecordWithAnImpossibleDateFlagged() throws {
        // Newest hourly record at the frozen start (10:30): period 09:00. The third newest is 07:00.
        let out = try tembridge([
            "archive", "sim://?frozen=1&seed=9&damaged=hourly:3", "--kind", "hourly", "--last", "5", "--format", "json",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        let records = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]
        #expect(
            records?.map { $0["period"] as! String }
                == [
                    "2024-03-01T05:00:00", "2024-03-01T06:00:00", "2024-03-01T07:00:00", "2024-03-01T08:00:00",
                    "2024-03-01T09:00:00",
                ])
        #expect(records?.map { $0["flags"] as? [String] } == [[], [], ["damaged"], [], []])
        #expect(records?[2]["time"] is NSNull, "the written stamp is not a date")
        #expect(((records?[2]["values"] as? [String: Any])?["energy.1"] as? Double ?? 0) > 0, "its fields decode")
        let warnings = out.stderr.split(separator: "\n")
        #expect(warnings.count == 1, "\(out.stderr)")
        #expect(
            warnings.first?.contains(#/hourly record \d+: damaged \(written stamp .* is not a date\): written with its flag/#)
                == true, "\(out.stderr)")
    }

    @Test func archiveOverTCPFromTheSimulator() throws {
        let sim = try Background(["simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "10", "--history", "30"])
        defer { sim.stop() }
        let port = try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#)
        let out = try tembridge(["archive", "tcp://127.0.0.1:\(port)", "--kind", "hourly"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.split(separator: "\n").count == 1 + 30)
    }
}
