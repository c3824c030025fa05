import Foundation
import Testing

/// `tembridge dump` and `sim://?image=`: a dump replays as the meter it was taken from, and
/// `read` says where it found `comma` and why.
@Suite struct MeterDumpEndToEndTests {
    static func run(_ arguments: [String]) throws -> Outcome {
        let out = try tembridge(arguments, timeout: 120)
        guard out.status == 0 else { throw TestFailure("tembridge \(arguments.joined(separator: " ")): \(out.stderr)") }
        return out
    }

    static func temporaryPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test(arguments: ["sim://?frozen=1", "sim://?frozen=1&comma=0x2E8&seed=7", "sim://?frozen=1&history=0&addresses=3"])
    func readOfTheDumpIsByteForByteTheMeters(meter: String) throws {
        let address = meter.contains("addresses=3") ? "3" : "1"
        let file = try Self.temporaryPath("meter.json")
        let dumped = try Self.run(["dump", meter, "--address", address, "--output", file])
        #expect(dumped.stdout.contains("32 T2K and"))
        let direct = try Self.run(["read", meter, "--address", address, "--format", "json"])
        let replay = try Self.run(["read", "sim://?image=\(file)", "--address", address, "--format", "json"])
        #expect(replay.stdout == direct.stdout)
        #expect(replay.stderr == direct.stderr)
        // The image is frozen: read again, the same bytes.
        #expect(try Self.run(["read", "sim://?image=\(file)", "--address", address, "--format", "json"]).stdout == direct.stdout)
        #expect(
            direct.stdout.contains(meter.contains("0x2E8") ? "\"comma_address\" : \"0x02E8\"" : "\"comma_address\" : \"0x02FA\""))
        // The table too.
        let table = try Self.run(["read", meter, "--address", address])
        #expect(try Self.run(["read", "sim://?image=\(file)", "--address", address]).stdout == table.stdout)
    }

    @Test func archiveOfAFlashDumpGivesTheSameRecords() throws {
        let file = try Self.temporaryPath("flash.json")
        _ = try Self.run(["dump", "sim://?frozen=1&history=30", "--flash", "--output", file])
        for kind in ["hourly", "daily", "monthly"] {
            let direct = try Self.run(["archive", "sim://?frozen=1&history=30", "--kind", kind, "--format", "json"])
            let replay = try Self.run(["archive", "sim://?image=\(file)", "--kind", kind, "--format", "json"])
            #expect(replay.stdout == direct.stdout, "\(kind)")
            #expect(direct.stdout.contains("\"period\""), "\(kind)")
        }
    }

    @Test func simulateServesAnImageOverTCP() throws {
        let file = try Self.temporaryPath("meter.json")
        _ = try Self.run(["dump", "sim://?frozen=1&seed=5", "--output", file])
        let simulator = try Background(["simulate", "--image", file, "--listen", "127.0.0.1:0"])
        defer { simulator.stop() }
        let port = try simulator.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#)
        let direct = try Self.run(["read", "sim://?frozen=1&seed=5", "--format", "json"])
        #expect(try Self.run(["read", "tcp://127.0.0.1:\(port)", "--format", "json"]).stdout == direct.stdout)
        // The dumped meter alone answers.
        let other = try tembridge(["read", "tcp://127.0.0.1:\(port)", "--address", "2", "--timeout", "100ms", "--retries", "0"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("no reply"))
    }

    @Test func readSaysWhereCommaIsAndWhy() throws {
        let lines = { (out: Outcome) in out.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        let hole = lines(try Self.run(["read", "sim://?frozen=1&comma=0x2E8"]))
        #expect(hole[0] == "meter at address 1: ТЕМС106")
        #expect(hole[1] == "comma at 0x02E8 (agrees with the newest hourly record)")
        #expect(hole[2] == "")

        let guessed = lines(try Self.run(["read", "sim://?frozen=1&comma=0x2E8&history=0"]))
        #expect(guessed[1] == "comma at 0x02E8 (guessed: its codes are valid, no archive record agrees)")
        #expect(
            guessed[2].hasPrefix(
                "warning: comma location is a guess: no archive record to compare with; 0x02FA holds 00 0F 00 14 00 00, 0x02E8 holds 03 04 03 03 03 03"
            ))

        // Forced to the wrong place: said so, and the codes there are flagged.
        let forced = lines(try Self.run(["read", "sim://?frozen=1&comma=0x2E8", "--comma-address", "0x2FA"]))
        #expect(forced[1].hasPrefix("comma at 0x02FA (fixed by comma_address or --comma-address"))
        #expect(forced[2] == "warning: comma codes at 0x02FA are 00 0F for channels 1...2; valid codes are 0...6")

        let json = try Self.run(["read", "sim://?frozen=1&comma=0x2E8&history=0", "--format", "json"])
        #expect(json.stdout.contains("\"comma_address\" : \"0x02E8\""))
        #expect(json.stderr.contains("meter 1: warning: comma location is a guess"))

        // Energy scaled right at the right place: the same values as a meter with comma at 0x02FA.
        let atHole = exactJSONNumbers(try Self.run(["read", "sim://?frozen=1&comma=0x2E8", "--format", "json"]).stdout)
        let atListed = exactJSONNumbers(try Self.run(["read", "sim://?frozen=1", "--format", "json"]).stdout)
        #expect(atHole["energy.1"] == atListed["energy.1"] && atHole["volume.2"] == atListed["volume.2"])

        let bad = try tembridge(["read", "sim://", "--comma-address", "0x300"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("comma-address"))
    }

    @Test func archiveWarnsWhenTheGivenCommaAddressDisagrees() throws {
        let out = try Self.run(["archive", "sim://?frozen=1&comma=0x2E8", "--kind", "daily", "--comma-address", "0x2FA"])
        #expect(
            out.stderr.contains(
                "meter 1: warning: --comma-address 0x02FA disagrees with the meter: comma at 0x02E8 (agrees with the newest hourly record)"
            ))
        #expect(try Self.run(["archive", "sim://?frozen=1&comma=0x2E8", "--kind", "daily"]).stderr.isEmpty)
    }

    /// A slow dump (9600 baud emulated: about 85 ms a block) with stderr on a terminal: a
    /// progress bar in blocks, then Ctrl-C leaves a valid file with what was read, exit 130.
    @Test func ctrlCLeavesAValidPartialDump() throws {
        let file = try Self.temporaryPath("partial.json")
        var master: Int32 = -1, terminal: Int32 = -1
        try #require(openpty(&master, &terminal, nil, nil, nil) == 0)
        defer { close(master) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["dump", "sim://?frozen=1&line_speed=9600", "--flash", "--output", file]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(fileDescriptor: terminal, closeOnDealloc: true)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var screen = ""
        func readScreen(_ milliseconds: Int32) {
            var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, milliseconds) > 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(master, &buffer, buffer.count)
            if n > 0 { screen += String(decoding: buffer[..<n], as: UTF8.self) }
        }
        let deadline = Date().addingTimeInterval(30)
        while !screen.contains("] 20/"), Date() < deadline, p.isRunning { readScreen(100) }
        #expect(
            screen.range(of: #"\[#*\.+\] 20/8192 blocks, [0-9.]+/s, \d+m\d+s left"#, options: .regularExpression) != nil,
            "\(screen)")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        for _ in 0..<5 { readScreen(50) }
        #expect(p.terminationStatus == 130)
        #expect(screen.contains("interrupted: \(file) holds the "), "\(screen)")

        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("\"interrupted\": true"))
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        let flashLines = text.components(separatedBy: "\n").filter { $0.hasPrefix("      \"000") }
        #expect((20..<8192).contains(flashLines.count), "\(flashLines.count) Flash blocks")
        #expect(!text.contains("unread"))
        // The newest records come first, so what it holds replays for `read`.
        let direct = try Self.run(["read", "sim://?frozen=1", "--format", "json"])
        #expect(try Self.run(["read", "sim://?image=\(file)", "--format", "json"]).stdout == direct.stdout)
    }

    @Test func badInputIsOneLine() throws {
        let silent = try tembridge([
            "dump", "sim://?frozen=1", "--address", "9", "--timeout", "50ms", "--retries", "0", "--output", "/tmp/never.json",
        ])
        #expect(silent.status == 1)
        #expect(silent.stderr.hasPrefix("tembridge: meter 9 does not answer:"))
        #expect(silent.stderr.split(separator: "\n").count == 1)
        let unwritable = try tembridge(["dump", "sim://?frozen=1", "--output", "/nonexistent-dir/x.json"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.hasPrefix("tembridge: /nonexistent-dir/x.json: cannot write"))
        let missing = try tembridge(["read", "sim://?image=/nonexistent.json"])
        #expect(
            missing.stderr
                == "tembridge: sim://?image=/nonexistent.json: sim:// option 'image': /nonexistent.json: cannot read: no such file or directory\n"
        )
    }
}
