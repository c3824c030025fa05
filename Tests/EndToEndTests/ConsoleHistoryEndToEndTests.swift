import Foundation
import Testing

/// The console's `/api/history` and the status page's gaps, against `serve` keeping the archive
/// of a simulated meter: what the console serves is what `tembridge history` prints.
@Suite(.serialized) struct ConsoleHistoryEndToEndTests {
    /// The archive store map of ArchiveStoreEndToEndTests with the console on a free port.
    static func files(_ endpoint: String) throws -> (mapping: String, store: String) {
        let dir = try temporaryFile("").components(separatedBy: "/").dropLast().joined(separator: "/")
        let store = "\(dir)/archive.sqlite", mapping = "\(dir)/map.yaml"
        let yaml =
            ArchiveStoreEndToEndTests.map(endpoint, store: store, kinds: "[hourly, daily]")
            + "http:\n  listen: 127.0.0.1:0\n"
        try yaml.write(toFile: mapping, atomically: true, encoding: .utf8)
        return (mapping, store)
    }

    /// `serve` and its console port.
    static func serve(_ mapping: String) throws -> (Background, Int) {
        let server = try Background(["serve", "--mapping", mapping])
        let port = try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#)
        return (server, Int(port)!)
    }

    /// `tembridge history --mapping … ARGUMENTS`, standard output.
    static func history(_ mapping: String, _ arguments: [String]) throws -> String {
        let out = try tembridge(["history", "--mapping", mapping] + arguments, timeout: 60)
        guard out.status == 0 else { throw TestFailure("history \(arguments): \(out.stderr)") }
        return out.stdout
    }

    /// The gaps field of meter heat1 in `/api/status`.
    static func statusGaps(_ port: Int) throws -> Any? {
        let body = try httpGet("http://127.0.0.1:\(port)/api/status").body
        let status = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
        let meters = status["meters"] as? [[String: Any]] ?? []
        return meters.first { $0["name"] as? String == "heat1" }?["gaps"]
    }

    @Test func historyIsTheCommandsAndThePageShowsGaps() throws {
        let sim = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "75", "--addresses", "1",
            "--history", "1000", "--flash", "512",
        ])
        defer { sim.stop() }
        let endpoint = "tcp://127.0.0.1:\(try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))"
        let (mapping, _) = try Self.files(endpoint)
        var (server, port) = try Self.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "hourly backfill done", timeout: 120)
        try server.wait(for: "daily backfill done", timeout: 120)
        let url = "http://127.0.0.1:\(port)/api/history"

        // The whole hourly ring, then a range of days and hours, as CSV and JSON.
        let all = try httpGet("\(url)?kind=hourly")
        #expect(all.status == 200 && all.headers.contains("content-type: text/csv"))
        #expect(all.body == (try Self.history(mapping, ["--kind", "hourly"])))
        #expect(all.body.split(separator: "\n").count == 1 + 864)
        let periods = all.body.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[3] }
        let fromDay = String(periods[100].prefix(10)), toDay = String(periods[300].prefix(10))
        let fromHour = String(periods[50].prefix(13)).replacing(" ", with: "T") + ":00"
        for (query, arguments) in [
            (
                "meter=heat1&kind=hourly&from=\(fromDay)&to=\(toDay)&format=csv",
                ["--meter", "heat1", "--kind", "hourly", "--from", fromDay, "--to", toDay, "--format", "csv"]
            ),
            ("kind=daily&from=\(fromDay)", ["--kind", "daily", "--from", fromDay]),
            ("kind=hourly&from=\(fromHour)&to=\(toDay)", ["--kind", "hourly", "--from", fromHour, "--to", toDay]),
        ] {
            let csv = try httpGet("\(url)?\(query)")
            let cli = try Self.history(mapping, arguments)
            #expect(csv.status == 200 && csv.body == cli, "\(query)")
            #expect(csv.body.split(separator: "\n").count > 2, "\(query): \(csv.body.prefix(300))")

            let json = try httpGet("\(url)?\(query.replacing("&format=csv", with: ""))&format=json")
            let cliJSON = try Self.history(mapping, arguments.filter { $0 != "--format" && $0 != "csv" } + ["--format", "json"])
            #expect(json.status == 200 && json.headers.contains("content-type: application/json"))
            #expect(json.body == cliJSON, "\(query)")
            let records = try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [[String: Any]] ?? []
            #expect(records.count == csv.body.split(separator: "\n").count - 1)
            #expect(records.allSatisfy { $0["meter"] as? String == "heat1" && $0["values"] is [String: Any] })
            #expect(
                records.map { $0["period"] as? String ?? "" }
                    == csv.body.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[3]) })
        }

        // Bad parameters: 400 and one line saying which.
        for (query, message) in [
            ("kind=weekly", "kind 'weekly': not hourly, daily or monthly"),
            ("kind=daily&meter=nobody", "meter 'nobody': no such meter in the mapping"),
            ("kind=daily&from=2024-02-30", "from '2024-02-30': not a real date"),
            ("meter=heat1", "kind: missing: hourly, daily or monthly"),
        ] {
            let bad = try httpGet("\(url)?\(query)")
            #expect(bad.status == 400, "\(query): \(bad)")
            #expect(bad.body == #"{"error":"\#(message)"}"# + "\n", "\(query): \(bad.body)")
        }
        #expect(try httpGet(url, method: "POST").status == 405)

        // No gap yet: every kind kept counts 0.
        #expect(try Self.statusGaps(port) as? [String: Int] == ["hourly": 0, "daily": 0])

        // Stopped while the ring came round: 136 hours are missing, on /api/status and the page.
        #expect(server.stop() == 0)
        sim.send("advance 1000h")
        try sim.wait(for: "ok clock")
        (server, port) = try Self.serve(mapping)
        try server.wait(for: "gap: 136 hourly record", timeout: 60)
        let deadline = Date().addingTimeInterval(20)
        while try Self.statusGaps(port) as? [String: Int] != ["hourly": 136, "daily": 0], Date() < deadline {
            usleep(100_000)
        }
        #expect(try Self.statusGaps(port) as? [String: Int] == ["hourly": 136, "daily": 0])
        let gapLines = try Self.history(mapping, ["--kind", "hourly", "--gaps"]).split(separator: "\n")
        #expect(gapLines.count == 2 && gapLines.last?.hasSuffix(",136") == true, "\(gapLines)")
        let dom = try chromiumDOM("http://127.0.0.1:\(port)/")
        #expect(
            dom.contains(#"<div class="gaps" data-gaps="hourly 136 · daily 0">archive gaps: hourly 136 · daily 0</div>"#),
            "\(dom.suffix(4000))")
        #expect(server.stop() == 0)
    }

    @Test func withoutAStoreHistoryIs404AndThePageShowsADash() throws {
        let yaml = """
            server:
              listen: 127.0.0.1:0
            http:
              listen: 127.0.0.1:0
            lines:
              - { name: l, endpoint: "sim://?seed=76&addresses=1&frozen=1", timeout: 500ms }
            meters:
              - { name: heat1, line: l, address: 1, unit_id: 1, poll_interval: 100ms, registers: [{ address: 0, value: temperature.1 }] }

            """
        let (server, port) = try Self.serve(try temporaryFile(yaml))
        defer { server.stop() }
        try server.wait(for: "online", timeout: 30)
        let answer = try httpGet("http://127.0.0.1:\(port)/api/history?kind=hourly")
        #expect(answer.status == 404)
        #expect(answer.body == #"{"error":"no archive_store section in the mapping: no history is kept"}"# + "\n")
        #expect(answer.headers.contains("content-type: application/json"))
        #expect(try Self.statusGaps(port) is NSNull)
        let dom = try chromiumDOM("http://127.0.0.1:\(port)/")
        #expect(dom.contains(#"<div class="gaps" data-gaps="—">archive gaps: —</div>"#), "\(dom.suffix(4000))")
        #expect(server.stop() == 0)
    }
}
