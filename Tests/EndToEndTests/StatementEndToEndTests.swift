import Foundation
import Testing

/// The statement of heat consumption (`report`, `/api/report`) and the status page's headline
/// and charts, against `serve` keeping the archive of a simulated meter with a damaged daily
/// record: every row is the hand-computed difference of the stored records.
@Suite(.serialized) struct StatementEndToEndTests {
    static let registers = [
        "energy.1", "energy.2", "flow.1", "flow.2", "temperature.1", "temperature.2", "pressure.1", "pressure.2",
    ]

    /// A simulated meter (1000 hours of history, the 10th newest daily record damaged), `serve`
    /// keeping its archive with the console on, run until every backfill is done.
    struct Rig {
        let sim: Background
        let server: Background
        let port: Int
        let mapping: String

        init(frozen: Bool = true, poll: String = "200ms") throws {
            sim = try Background(
                ["simulate", "--listen", "127.0.0.1:0"] + (frozen ? ["--frozen"] : []) + [
                    "--seed", "81", "--addresses", "1", "--history", "1000", "--flash", "512", "--damaged", "daily:10",
                ])
            let endpoint = "tcp://127.0.0.1:\(try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#))"
            let dir = try temporaryFile("").components(separatedBy: "/").dropLast().joined(separator: "/")
            mapping = "\(dir)/map.yaml"
            let entries = StatementEndToEndTests.registers.enumerated().map { i, name in
                "    - { address: \(2 * i), value: \(name) }"
            }
            let yaml = """
                server:
                  listen: 127.0.0.1:0
                http:
                  listen: 127.0.0.1:0
                lines:
                  - { name: l, endpoint: "\(endpoint)", timeout: 500ms, retries: 1 }
                meters:
                  - { name: heat1, line: l, address: 1, unit_id: 1, poll_interval: \(poll), stale_after: 5s, registers: set }
                register_sets:
                  set:
                \(entries.joined(separator: "\n"))
                archive_store:
                  path: \(dir)/archive.sqlite
                  reads_per_poll: 600
                  kinds: [hourly, daily, monthly]

                """
            try yaml.write(toFile: mapping, atomically: true, encoding: .utf8)
            server = try Background(["serve", "--mapping", mapping])
            port = Int(try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#))!
            for kind in ["hourly", "daily", "monthly"] {
                try server.wait(for: "meter heat1: \(kind) backfill done", timeout: 180)
            }
        }

        func stop() {
            server.stop()
            sim.stop()
        }

        /// The stored records of `kind` as `history --format json` prints them.
        func records(_ kind: String) throws -> [[String: Any]] {
            let out = try tembridge(["history", "--mapping", mapping, "--kind", kind, "--format", "json"], timeout: 60)
            guard out.status == 0 else { throw TestFailure("history: \(out.stderr)") }
            return try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]] ?? []
        }

        func report(_ arguments: [String]) throws -> Outcome {
            try tembridge(["report", "--mapping", mapping, "--meter", "heat1"] + arguments, timeout: 120)
        }
    }

    /// CSV text as rows of cells by column name.
    static func table(_ csv: String) -> (header: [String], rows: [[String: String]]) {
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return ([], []) }
        return (header, lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) })
    }

    static func value(_ record: [String: Any], _ name: String) -> Double? {
        (record["values"] as? [String: Any])?[name] as? Double
    }

    static func close(_ a: Double?, _ b: Double?, _ tolerance: Double = 1e-9) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= tolerance * max(1, abs(a), abs(b))
    }

    @Test func aSimulatedMonthIsTheDifferencesOfTheStoredRecords() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let daily = try rig.records("daily")
        let byDay = Dictionary(
            daily.map { (String(($0["period"] as? String ?? "").prefix(10)), $0) }, uniquingKeysWith: { _, last in last })
        let days = daily.compactMap { ($0["period"] as? String).map { String($0.prefix(10)) } }.sorted()
        #expect(days.count > 35, "\(days.count) daily records")
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        func dayBefore(_ day: String, _ n: Double = 1) -> String {
            formatter.string(from: formatter.date(from: day)!.addingTimeInterval(-86_400 * n))
        }
        // A month of days (31), the damaged one among them, the day before the first one stored.
        let to = days[days.count - 2], from = dayBefore(to, 30)
        let out = try rig.report(["--from", from, "--to", to])
        #expect(out.status == 0, "\(out.stderr)")
        let (header, rows) = Self.table(out.stdout)
        #expect(header.first == "date" && header.last == "flags")
        #expect(rows.count == 32, "31 days and the total")
        #expect(rows.first?["date"] == from && rows[30]["date"] == to && rows.last?["date"] == "total")
        let quantities = header.filter { $0.hasPrefix("energy.") || $0.hasPrefix("mass.") || $0.hasPrefix("volume.") }
        #expect(quantities.contains("energy.1") && quantities.contains("mass.2") && quantities.contains("volume.1"))
        // The extra flowmeter 7 (record offset 0x152/0x15A), which this simulated meter fits; a
        // column appears only where a record has a non-zero value for it.
        #expect(quantities.contains("volume.7"), "\(header)")
        var checked = 0, missing: [String] = []
        for row in rows.dropLast() {
            let day = row["date"]!
            guard let now = byDay[day] else {
                missing.append(day)
                #expect(row["flags"] == "missing" && row["energy.1"] == "", "\(day): \(row)")
                continue
            }
            guard let before = byDay[dayBefore(day)] else {
                #expect(row["energy.1"] == "", "\(day): no day before, no quantity")
                continue
            }
            for name in quantities {
                let expected = Self.value(now, name).flatMap { a in Self.value(before, name).map { a - $0 } }
                #expect(
                    Self.close(Double(row[name] ?? ""), expected),
                    "\(day) \(name): \(row[name] ?? "") vs \(String(describing: expected))")
            }
            let normal = Self.value(now, "time.normal.1")! - Self.value(before, "time.normal.1")!
            #expect(Self.close(Double(row["time.normal.1"] ?? ""), normal / 3600))
            #expect(Double(row["temperature.1"] ?? "") == Self.value(now, "temperature.1"))
            checked += 1
        }
        #expect(checked >= 27, "rows checked against the records")
        // The damaged record is kept (issue 19): its day is not missing but flagged `damaged`, and
        // so are the day after it (its quantities are taken from the damaged record) and the total.
        let damaged = rows.filter { ($0["flags"] ?? "").contains("damaged") }.map { $0["date"]! }
        #expect(missing.isEmpty, "missing \(missing)")
        #expect(damaged.count == 3 && damaged.last == "total", "damaged \(damaged)")
        if damaged.count == 3 { #expect(dayBefore(damaged[1]) == damaged[0], "the damaged day, the day after: \(damaged)") }
        // Totals: the month's integrator difference.
        let total = rows.last!
        let first = byDay[dayBefore(from)]!, last = byDay[to]!
        for name in quantities {
            let expected = Self.value(last, name).flatMap { a in Self.value(first, name).map { a - $0 } }
            #expect(Self.close(Double(total[name] ?? ""), expected), "total \(name)")
        }
        #expect(total["flags"]?.contains("missing") == !missing.isEmpty)

        // Hourly: a row an hour of the day, each the hour's record minus the one before.
        let hourly = Dictionary(
            try rig.records("hourly").map { ($0["period"] as? String ?? "", $0) }, uniquingKeysWith: { _, last in last })
        let hours = Self.table(try rig.report(["--from", to, "--to", to, "--kind", "hourly"]).stdout).rows
        #expect(hours.count == 25 && hours.first?["date"] == "\(to)T00:00" && hours[23]["date"] == "\(to)T23:00")
        func hour(_ day: String, _ h: Int) -> String { "\(day)T\(h < 10 ? "0" : "")\(h):00:00" }
        var hoursChecked = 0
        for (index, row) in hours.dropLast().enumerated() {
            let now = hourly[hour(to, index)]
            let before = hourly[index == 0 ? hour(dayBefore(to), 23) : hour(to, index - 1)]
            guard let now, let before else { continue }
            let expected = Self.value(now, "energy.1")! - Self.value(before, "energy.1")!
            #expect(Self.close(Double(row["energy.1"] ?? ""), expected), "hour \(row["date"] ?? "")")
            hoursChecked += 1
        }
        #expect(hoursChecked == 24, "\(hoursChecked) hours checked")
        // Monthly: a row a month, the month's record minus the month before's.
        let monthly = try rig.records("monthly")
        if monthly.count >= 2 {
            let (a, b) = (monthly[monthly.count - 2], monthly[monthly.count - 1])
            let month = String((b["period"] as? String ?? "").prefix(7))
            let rows = Self.table(try rig.report(["--from", month + "-01", "--to", month + "-01", "--kind", "monthly"]).stdout)
                .rows
            #expect(rows.first?["date"] == month)
            let expected = Self.value(b, "energy.1")! - Self.value(a, "energy.1")!
            #expect(Self.close(Double(rows.first?["energy.1"] ?? ""), expected), "month \(month)")
        }

        // Gcal: the same rows times 3.6 / 4.1868.
        let gcal = Self.table(try rig.report(["--from", from, "--to", to, "--unit", "gcal"]).stdout).rows
        #expect(Self.close(Double(gcal.last?["energy.1"] ?? ""), Double(total["energy.1"]!)! * 3.6 / 4.1868))

        // The console serves the same bytes, and says what is wrong with a request.
        let url = "http://127.0.0.1:\(rig.port)/api/report?meter=heat1&from=\(from)&to=\(to)"
        let served = try httpGet(url)
        #expect(served.status == 200 && served.headers.contains("content-type: text/csv"))
        #expect(served.body == out.stdout)
        let html = try rig.report(["--from", from, "--to", to, "--format", "html"])
        #expect(try httpGet(url + "&format=html").body == html.stdout)
        #expect(html.stdout.contains("Statement of heat consumption") && html.stdout.contains("serial number"))
        for (query, message) in [
            ("meter=heat1&from=\(from)", "to: missing: YYYY-MM-DD"),
            ("meter=heat1&from=\(from)&to=\(to)&unit=kcal", "unit 'kcal': not mwh or gcal"),
            ("meter=nobody&from=\(from)&to=\(to)", "meter 'nobody': no such meter in the mapping"),
        ] {
            let bad = try httpGet("http://127.0.0.1:\(rig.port)/api/report?\(query)")
            #expect(bad.status == 400 && bad.body == #"{"error":"\#(message)"}"# + "\n", "\(query): \(bad.body)")
        }

        // Printed by Chromium: one A4 sheet (landscape) per month of the period and system.
        let months = Set(rows.dropLast().map { $0["date"]!.prefix(7) }).count
        let systems = header.filter { $0.hasPrefix("energy.") }.count
        let page = try temporaryFile(html.stdout, name: "statement.html")
        _ = try runQuietly(
            "/usr/bin/chromium",
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--print-to-pdf=\(page).pdf",
                "file://\(page)",
            ], timeout: 120)
        let printed = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: page + ".pdf"))) ?? Data(), as: UTF8.self)
        #expect(systems == 2 && printed.contains("/Count \(months * systems)"), "one page a month and system")
        #expect(printed.contains("/MediaBox [0 0 841.91998 594.95996]"), "A4 landscape")
    }

    @Test func pdfIsPrintedAndNotBlank() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let days = try rig.records("daily").compactMap { ($0["period"] as? String).map { String($0.prefix(10)) } }.sorted()
        let pdf = try temporaryFile("", name: "statement.pdf")
        let out = try rig.report(["--from", days[5], "--to", days[12], "--format", "pdf", "--output", pdf, "--unit", "gcal"])
        #expect(out.status == 0 && out.stdout.isEmpty, "\(out.stderr)")
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: pdf))) ?? Data()
        #expect(bytes.starts(with: Array("%PDF".utf8)))
        // Rendered by poppler: a page with ink on it.
        let prefix = pdf + "-page"
        _ = try runQuietly("/usr/bin/pdftoppm", ["-r", "40", "-f", "1", "-l", "1", "-gray", pdf, prefix])
        let pgm = try FileManager.default.contentsOfDirectory(atPath: (pdf as NSString).deletingLastPathComponent)
            .first { $0.hasSuffix(".pgm") }
        let image = try Data(
            contentsOf: URL(fileURLWithPath: (pdf as NSString).deletingLastPathComponent + "/" + (pgm ?? "none")))
        let pixels = Self.pgmPixels(image)
        #expect(pixels.count > 100_000, "a page at 40 dpi")
        let dark = pixels.filter { $0 < 128 }.count
        #expect(dark > pixels.count / 200, "\(dark) dark pixels of \(pixels.count): the page is not blank")
        // The console prints the same statement.
        let served = try httpGet("http://127.0.0.1:\(rig.port)/api/report?meter=heat1&from=\(days[5])&to=\(days[12])&format=pdf")
        #expect(served.status == 200 && served.headers.contains("content-type: application/pdf"))
        #expect(served.body.hasPrefix("%PDF"))
        // A statement of a meter that is not in the mapping is one line and exit 1.
        let bad = try tembridge(["report", "--mapping", rig.mapping, "--meter", "nobody", "--from", days[5], "--to", days[6]])
        #expect(bad.status != 0 && bad.stderr.contains("no such meter") && bad.stderr.split(separator: "\n").count == 1)
    }

    @Test func theLiveTrendIsWhatThePagePolled() throws {
        // A value stays a second: the test, reading ten times a second, sees each one.
        let rig = try Rig(frozen: false, poll: "1s")
        defer { rig.stop() }
        let chromium = try ChromiumPipe()
        defer { chromium.close() }
        let session = try chromium.open("http://127.0.0.1:\(rig.port)/")
        // What the page reads every second, read ten times as often meanwhile.
        var seen: [Double] = []
        let deadline = Date().addingTimeInterval(40)
        while Date() < deadline {
            let body = try httpGet("http://127.0.0.1:\(rig.port)/api/status").body
            let status = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
            let meter = (status["meters"] as? [[String: Any]])?.first
            if let t = (meter?["values"] as? [String: Any])?["temperature.1"] as? Double { seen.append(t) }
            usleep(100_000)
        }
        let script = """
            (() => {
              const c = document.querySelector('svg[data-chart="live"]');
              if (!c) return "null";
              const get = (n) => Array.from(c.querySelectorAll('g[data-name="' + n + '"] [data-value]'))
                .map((e) => [e.getAttribute("data-period"), Number(e.getAttribute("data-value"))]);
              const label = document.querySelector('[data-headline="power.1"] .label').textContent;
              return JSON.stringify({ power: get("power"), t1: get("temperature.1"), label });
            })()
            """
        let text = try chromium.evaluate(script, session: session) ?? "null"
        let live = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
        let t1 = (live["t1"] as? [[Any]] ?? []).compactMap { $0.last as? Double }
        let times = (live["t1"] as? [[Any]] ?? []).compactMap { $0.first as? String }
        #expect(t1.count >= 20, "\(text.prefix(500))")
        #expect(times == times.sorted() && Set(times).count == times.count, "one point a poll, in time order")
        #expect(Set(seen).count > 1, "the simulated meter moves")
        // Every point is a value the console served (equal to 1e-12: Foundation's JSON parser).
        // (A loaded machine may keep the test from reading one: nine in ten at least.)
        let unseen = t1.filter { v in !seen.contains { abs($0 - v) <= 1e-12 * abs(v) } }
        #expect(unseen.count * 10 <= t1.count, "\(unseen) not among \(Set(seen).sorted())")
        // After half a minute, heat power is live: the rise of the energy integrators.
        let power = (live["power"] as? [[Any]] ?? []).compactMap { $0.last as? Double }
        #expect(!power.isEmpty && power.allSatisfy { $0 >= 0 && $0 < 10 }, "\(power)")
        #expect(live["label"] as? String == "heat power 1")
    }

    /// The gray levels of a binary PGM (P5, 8 bits).
    static func pgmPixels(_ data: Data) -> [UInt8] {
        let bytes = [UInt8](data)
        var fields: [String] = [], i = 0, field = ""
        while fields.count < 4, i < bytes.count {
            let c = Character(UnicodeScalar(bytes[i]))
            if c == "#" {
                while i < bytes.count, bytes[i] != 10 { i += 1 }
            } else if c.isWhitespace {
                if !field.isEmpty { fields.append(field) }
                field = ""
            } else {
                field.append(c)
            }
            i += 1
        }
        guard fields.count == 4, fields[0] == "P5" else { return [] }
        return Array(bytes[i...])
    }

    @Test func thePageShowsTheHeadlineAndChartsOfTheArchive() throws {
        let rig = try Rig()
        defer { rig.stop() }
        let dom = try chromiumDOM("http://127.0.0.1:\(rig.port)/")
        // The headline, in the operator's order.
        let keys = Self.matches(#"data-headline="([^"]+)""#, in: dom)
        let order = ["power.", "energy.", "flow.", "temperature.", "pressure.", "quality", "age"]
        let ranks = keys.map { key in
            order.firstIndex { key.hasPrefix($0) || (key.hasPrefix("dt.") && $0 == "temperature.") } ?? -1
        }
        #expect(keys.first == "power.1" && keys.last == "age", "\(keys)")
        #expect(ranks == ranks.sorted() && !ranks.contains(-1), "\(keys)")
        #expect(keys.contains("temperature.2") && keys.contains("dt.1") && keys.contains("pressure.1"), "\(keys)")
        #expect(dom.contains(#"<details class="all">"#), "the full list folded")
        #expect(dom.contains("/api/report?meter=heat1&amp;from="), "a statement link")

        // The charts' points are /api/history's records: heat bars the rise of the energy
        // integrators between consecutive hours, t1 and t2 the hours' means.
        let hourly =
            try JSONSerialization.jsonObject(
                with: Data(try httpGet("http://127.0.0.1:\(rig.port)/api/history?meter=heat1&kind=hourly&format=json").body.utf8))
            as? [[String: Any]] ?? []
        let last = Array(hourly.suffix(169))
        let formatter = ISO8601DateFormatter()
        func seconds(_ r: [String: Any]) -> Double { formatter.date(from: (r["period"] as! String) + "Z")!.timeIntervalSince1970 }
        let newest = seconds(last.last!)
        var bars: [String: Double] = [:]
        for (a, b) in zip(last, last.dropFirst()) where seconds(b) - seconds(a) == 3600 && seconds(b) > newest - 7 * 86_400 {
            bars[b["period"] as! String] = Self.heat(b, since: a)
        }
        let chart = try Self.section(dom, #"data-chart="hourly""#)
        let shownBars = Self.points(chart, series: "heat")
        #expect(shownBars.count == bars.count && bars.count > 100, "\(shownBars.count) bars, \(bars.count) expected")
        for (period, value) in shownBars { #expect(Self.close(value, bars[period]), "bar \(period)") }
        for n in 1...2 {
            let shown = Self.points(chart, series: "temperature.\(n)")
            let expected = last.filter { seconds($0) > newest - 7 * 86_400 }
            #expect(shown.count == expected.count)
            // (Foundation's JSON parser may miss the last bit of a double: equal to 1e-12.)
            for r in expected {
                let period = r["period"] as! String
                #expect(Self.close(shown[period], Self.value(r, "temperature.\(n)"), 1e-12), "t\(n) \(period)")
            }
        }
        // Until the page has half a minute of readings, heat power is the newest archived hour's.
        let (a, b) = (last[last.count - 2], last[last.count - 1])
        let power = Self.value(b, "energy.1")! - Self.value(a, "energy.1")!
        let tile = Self.matches(
            #"data-headline="power\.1"[^>]*><div class="label">[^<]*</div><div class="[^"]*">([^<]+)<"#, in: dom)
        #expect(tile == [String(format: "%.3f", power)], "\(tile) vs \(power)")
        let monthly =
            try JSONSerialization.jsonObject(
                with: Data(try httpGet("http://127.0.0.1:\(rig.port)/api/history?meter=heat1&kind=monthly&format=json").body.utf8)
            )
            as? [[String: Any]] ?? []
        let monthBars = Self.points(try Self.section(dom, #"data-chart="monthly""#), series: "heat")
        #expect(monthBars.count == min(12, monthly.count - 1), "\(monthBars)")
        for (a, b) in zip(monthly, monthly.dropFirst()) {
            guard let shown = monthBars[b["period"] as! String] else { continue }
            #expect(Self.close(shown, Self.heat(b, since: a)), "month \(b["period"] ?? "")")
        }
    }

    /// Every system's energy rise from record `a` to `b`, MWh.
    static func heat(_ b: [String: Any], since a: [String: Any]) -> Double {
        (1...6).reduce(0.0) { sum, n in
            guard let x = value(b, "energy.\(n)"), let y = value(a, "energy.\(n)") else { return sum }
            return sum + (x - y)
        }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }

    /// The `<svg …>` element holding `marker`.
    static func section(_ dom: String, _ marker: String) throws -> String {
        guard let start = dom.range(of: marker), let end = dom[start.upperBound...].range(of: "</svg>") else {
            throw TestFailure("no \(marker) in the page: \(dom.suffix(3000))")
        }
        return String(dom[start.lowerBound..<end.upperBound])
    }

    /// The points of one series of a chart: period → value.
    static func points(_ chart: String, series: String) -> [String: Double] {
        guard let start = chart.range(of: #"data-name="\#(series)""#) else { return [:] }
        let rest = chart[start.upperBound...]
        let body = String(rest[..<(rest.range(of: "</g>")?.lowerBound ?? rest.endIndex)])
        let periods = matches(#"data-period="([^"]+)""#, in: body), values = matches(#"data-value="([^"]+)""#, in: body)
        return Dictionary(zip(periods, values.compactMap(Double.init)), uniquingKeysWith: { first, _ in first })
    }
}
