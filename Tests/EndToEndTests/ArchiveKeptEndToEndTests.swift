import Foundation
import Testing

/// Nothing the meter wrote is dropped (issue 19): the real binary serving simulated meters whose
/// archives hold damaged stamps, monthly records on a reporting day 31, daily records whose day
/// starts at 06:00, and a clock set back, read back with `history`, `archive`, `report`, sqlite3,
/// psql, curl (/metrics) and a libmodbus client.
@Suite(.serialized) struct ArchiveKeptEndToEndTests {
    typealias E = ArchiveStoreEndToEndTests

    /// A mapping serving `endpoint`'s meter 1 with `registers`, an archive store, a console.
    static func files(_ endpoint: String, registers: String, kinds: String, upstream: String? = nil) throws -> (
        mapping: String, store: String
    ) {
        let dir = try temporaryFile("").components(separatedBy: "/").dropLast().joined(separator: "/")
        let store = "\(dir)/archive.sqlite"
        let mapping = "\(dir)/map.yaml"
        try """
        server:
          listen: 127.0.0.1:0
        http:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: 500ms, retries: 1 }
        meters:
          - { name: heat1, line: l, address: 1, unit_id: 1, poll_interval: 100ms, stale_after: 5s, registers: set }
        register_sets:
          set:
        \(registers)
        archive_store:
          path: \(store)
          reads_per_poll: 600
          kinds: \(kinds)
        \(upstream.map { "  upstream: \"\($0)\"" } ?? "")

        """.write(toFile: mapping, atomically: true, encoding: .utf8)
        return (mapping, store)
    }

    static func sqlite(_ store: String, _ sql: String) throws -> String {
        try runQuietly("/usr/bin/sqlite3", [store, sql]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The CSV column index of `name` in `history` output.
    static func column(_ name: String) -> Int {
        (["meter", "serial_number", "time", "period"] + E.valueNames).firstIndex(of: name)!
    }

    static func cells(_ line: String) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    // MARK: damaged stamps, volume.7/8, NaN in an integer register

    @Test func aRecordWithABadStampIsKeptFlaggedCountedAndTheRegistersKeepTheLastGood() throws {
        // Hourly: the newest record's period stamp and the 4th newest's written stamp are spoilt;
        // monthly: all four records' written stamps, so there is no good monthly record at all.
        let endpoint =
            "sim://?seed=91&addresses=1&frozen=1&history=30&damaged=hourly:1:period,hourly:4,monthly:1,monthly:2,monthly:3,monthly:4"
        let registers = """
                - { address: 0, value: archive.hourly.period, type: uint32 }
                - { address: 2, value: archive.hourly.energy.1, type: float64 }
                - { address: 6, value: archive.hourly.volume.7, type: float64 }
                - { address: 10, value: archive.hourly.volume.8, type: float64 }
                - { address: 14, value: archive.monthly.time, type: uint32 }
                - { address: 16, value: temperature.1, type: float32 }
            """
        let (mapping, store) = try Self.files(endpoint, registers: registers, kinds: "[hourly, daily, monthly]")
        let server = try Background(["serve", "--mapping", mapping])
        defer { server.stop() }
        let port = Int(try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        let http = Int(try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#))!
        for kind in ["hourly", "monthly"] { try server.wait(for: "meter heat1: \(kind) backfill done", timeout: 60) }

        // The store: every record, the damaged ones flagged, with their raw bytes.
        let hourly = try E.history(mapping, "hourly")
        #expect(hourly.count == 30)
        let flagged = hourly.filter { $0.hasSuffix(",damaged") }
        #expect(flagged.count == 2, "\(hourly)")
        let newest = Self.cells(hourly.last!)
        #expect(newest.last == "damaged" && newest[3].isEmpty, "the newest has no period: \(newest)")
        #expect(Self.cells(hourly[hourly.count - 4])[2].isEmpty, "the 4th newest has no written time")
        #expect(Double(newest[Self.column("energy.1")]) != nil, "its fields decode: \(newest)")
        #expect(try Self.sqlite(store, "SELECT count(*) FROM records WHERE flags & 1") == "6")
        #expect(try Self.sqlite(store, "SELECT count(*) FROM records WHERE flags & 1 AND length(raw) = 384") == "6")
        #expect(try Self.sqlite(store, "SELECT count(*) FROM records WHERE kind = 'hourly' AND written IS NULL") == "1")
        // The newest is filed under the hour after the one before it: no gap, nothing missing.
        let filed = try Self.sqlite(store, "SELECT period FROM records WHERE kind = 'hourly' ORDER BY period DESC LIMIT 2")
        let periods = filed.split(separator: "\n").compactMap { Int($0) }
        #expect(periods.count == 2 && periods[0] - periods[1] == 3600, "\(filed)")
        let gaps = try tembridge(["history", "--mapping", mapping, "--kind", "hourly", "--gaps"])
        #expect(gaps.stdout.split(separator: "\n").count == 1, "\(gaps.stdout)")
        let monthly = try E.history(mapping, "monthly")
        #expect(monthly.count == 4 && monthly.allSatisfy { $0.hasSuffix(",damaged") }, "\(monthly)")
        // `history` prints what `archive` reads from the meter, flags included.
        #expect(hourly.map(E.withoutIdentity) == (try E.archive(endpoint, "hourly")))

        // volume.7/8 from volume_dop_l/h (0x152, 0x15A), in `archive`, the store and history.
        let volume7 = Self.column("volume.7"), volume8 = Self.column("volume.8")
        #expect(E.valueNames.contains("volume.7") && E.valueNames.contains("volume.8"))
        #expect(hourly.allSatisfy { (Double(Self.cells($0)[volume7]) ?? 0) > 0 }, "volume.7 decoded")
        #expect(try Self.sqlite(store, "SELECT count(*) FROM records WHERE NOT (volume_7 > 0 AND volume_8 >= 0)") == "0")
        #expect(
            try Self.sqlite(store, "SELECT count(*) FROM records WHERE volume_7 > 0")
                == "\(30 + 4 + E.history(mapping, "daily").count)")

        // One warning per damaged record, and no more on later polls.
        let warned = { server.stderr.components(separatedBy: "is damaged (").count - 1 }
        let keeperLines = { server.stderr.components(separatedBy: "kept with every field that decodes").count - 1 }
        #expect(keeperLines() == 6, "\(server.stderr)")
        Thread.sleep(forTimeInterval: 2)
        #expect(keeperLines() == 6)
        #expect(warned() == 6 + 2, "the keeper's six and the poller's one for each damaged newest record")

        // Counted on /metrics.
        let metrics = try httpGet("http://127.0.0.1:\(http)/metrics").body
        let series = metrics.split(separator: "\n").filter {
            $0.hasPrefix("tembridge_archive_records_flagged_total{") && $0.contains(#"meter="heat1""#)
        }
        #expect(series.contains { $0.contains(#"flag="damaged""#) && $0.hasSuffix(" 6") }, "\(series)")
        #expect(series.contains { $0.contains(#"flag="duplicate_period""#) && $0.hasSuffix(" 0") }, "\(series)")

        // Modbus: the hourly registers serve the last good record (the second newest), volume.7/8
        // included; the monthly time, an integer with no good record behind it, answers 0B.
        let client = try ModbusClient(port: port)
        let good = Self.cells(hourly[hourly.count - 2])
        var served: [UInt16] = []
        #expect(
            try E.eventually(timeout: 20) {
                served = (try? client.read(unit: 1, address: 0, count: 14).get()) ?? []
                return served.count == 14
            }, "\(server.stderr)")
        let period = Decode.uint32(Array(served[0..<2]))
        #expect(
            MeterClockText.of(Int(period)) == good[3], "archive.hourly.period \(period) is the last good record's \(good[3])")
        #expect(Decode.float64(Array(served[2..<6])) == Double(good[Self.column("energy.1")]))
        #expect(Decode.float64(Array(served[6..<10])) == Double(good[volume7]))
        #expect(Decode.float64(Array(served[10..<14])) == Double(good[volume8]))
        #expect(client.read(unit: 1, address: 14, count: 2).failureException == 0x0B, "NaN in an integer register")
        #expect(client.read(unit: 1, address: 12, count: 4).failureException == 0x0B)
        #expect((try? client.read(unit: 1, address: 16, count: 2).get()) != nil, "the live values answer")
        #expect(server.stop() == 0)
    }

    // MARK: reporting day 31, daily records at 06:00

    @Test func reportingDay31AndADayStartingAt06GiveNoGap() throws {
        // 4100 hours to 2024-07-01: monthly records on Jan 31, Feb 29, Mar 31, Apr 30, May 31,
        // Jun 30 (and three before the history on Dec 31, Nov 30, Oct 31); daily at 06:00.
        let endpoint =
            "sim://?seed=92&addresses=1&frozen=1&start=2024-07-01T10:30:00&history=4100&reporting_day=31&day_hour=6"
        let (mapping, _) = try Self.files(
            endpoint, registers: "      - { address: 0, value: temperature.1 }", kinds: "[daily, monthly]")
        let server = try Background(["serve", "--mapping", mapping])
        defer { server.stop() }
        for kind in ["daily", "monthly"] { try server.wait(for: "meter heat1: \(kind) backfill done", timeout: 120) }
        #expect(server.stop() == 0)
        #expect(!server.stderr.contains("gap:"), "\(server.stderr)")

        let monthly = try E.history(mapping, "monthly")
        let days = monthly.map { Self.cells($0)[3].dropFirst(8).prefix(2) }
        #expect(monthly.count == 9, "\(monthly)")
        #expect(Set(days) == ["29", "30", "31"], "\(days)")
        let daily = try E.history(mapping, "daily")
        #expect(daily.count == 171)  // 2024-01-13 … 2024-07-01
        #expect(daily.allSatisfy { Self.cells($0)[3].hasSuffix("T06:00:00") })
        for kind in ["monthly", "daily"] {
            let gaps = try tembridge(["history", "--mapping", mapping, "--kind", kind, "--gaps"])
            #expect(gaps.status == 0 && gaps.stdout.split(separator: "\n").count == 1, "\(kind): \(gaps.stdout)")
        }
        // The statement counts each 06:00 record for its day: no day is missing.
        let report = try tembridge(
            ["report", "--mapping", mapping, "--meter", "heat1", "--from", "2024-06-01", "--to", "2024-06-20"])
        #expect(report.status == 0, "\(report.stderr)")
        let rows = report.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 21, "20 days and the total: \(report.stdout)")
        #expect(!rows.contains { $0.hasSuffix("missing") }, "\(report.stdout)")
    }

    // MARK: a clock set back

    @Test func aClockSetBackKeepsBothRecordsHereAndUpstream() throws {
        let pg = try PostgresServer()
        defer { pg.remove() }
        // 12 hourly records: the clock goes back an hour after the 8th (written 07:00 for 06:00),
        // so the 9th covers 06:00 again.
        let endpoint = "sim://?seed=93&addresses=1&frozen=1&history=11&clock_back=8"
        let (mapping, store) = try Self.files(
            endpoint, registers: "      - { address: 0, value: temperature.1 }", kinds: "[hourly]", upstream: pg.url())
        let server = try Background(["serve", "--mapping", mapping])
        defer { server.stop() }
        try server.wait(for: "meter heat1: hourly backfill done", timeout: 60)

        let hourly = try E.history(mapping, "hourly")
        #expect(hourly.count == 12, "\(hourly)")
        let doubled = hourly.filter { Self.cells($0)[3] == "2024-03-01T06:00:00" }
        #expect(doubled.count == 2)
        #expect(doubled.last?.hasSuffix(",duplicate_period") == true, "the later written is flagged: \(doubled)")
        #expect(doubled.first?.hasSuffix(",") == true, "the first written is not: \(doubled)")
        let powered = doubled.map { Double(Self.cells($0)[Self.column("time.powered")])! }
        #expect(powered[0] < powered[1])
        #expect(try Self.sqlite(store, "SELECT count(*) FROM records WHERE flags = 2") == "1")
        let gaps = try tembridge(["history", "--mapping", mapping, "--kind", "hourly", "--gaps"])
        #expect(gaps.stdout.split(separator: "\n").count == 1, "no gap: \(gaps.stdout)")
        try server.wait(for: "a second hourly record for period 2024-03-01T06:00:00", timeout: 10)
        #expect(server.stderr.components(separatedBy: "a second hourly record").count - 1 == 1)

        // Upstream: all 12, the same one flagged.
        #expect(
            try E.eventually(timeout: 30) {
                try pg.psql("SELECT count(*) FROM tembridge_archive WHERE kind = 'hourly'") == "12"
                    && pg.psql("SELECT count(*) FROM tembridge_archive WHERE flags = 2") == "1"
            }, "\(server.stderr)")
        let upstream = try pg.psql(
            "SELECT string_agg(flags::text, ',' ORDER BY time_powered) FROM tembridge_archive WHERE period = '2024-03-01 06:00:00'"
        )
        #expect(upstream == "0,2")
        #expect(server.stop() == 0)
    }
}

extension ArchiveKeptEndToEndTests {
    /// A central table made by an earlier tembridge (keyed by period, `written NOT NULL`, fewer
    /// value columns) is brought up to date in place: its row stays, the new columns are added,
    /// and a record of a period it already holds is stored beside it, not dropped.
    @Test func anOlderCentralTableIsUpgradedInPlace() throws {
        let pg = try PostgresServer()
        defer { pg.remove() }
        _ = try pg.psql(
            """
            CREATE TABLE tembridge_archive (serial_number bigint NOT NULL, kind text NOT NULL, period timestamp NOT NULL,
                written timestamp NOT NULL, meter text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
                energy_1 double precision, raw bytea NOT NULL, PRIMARY KEY (serial_number, kind, period));
            INSERT INTO tembridge_archive (serial_number, kind, period, written, meter, energy_1, raw)
                VALUES (10094001, 'hourly', '2024-03-01 09:00:00', '2024-03-01 10:00:00', 'old', 1, '\\x00');
            """)
        let endpoint = "sim://?seed=94&addresses=1&frozen=1&history=10"
        let (mapping, _) = try Self.files(
            endpoint, registers: "      - { address: 0, value: temperature.1 }", kinds: "[hourly]", upstream: pg.url())
        let server = try Background(["serve", "--mapping", mapping])
        defer { server.stop() }
        try server.wait(for: "meter heat1: hourly backfill done", timeout: 60)
        #expect(try E.history(mapping, "hourly").first?.hasPrefix("heat1,10094001,") == true)
        #expect(
            try E.eventually(timeout: 30) {
                try pg.psql("SELECT count(*) FROM tembridge_archive WHERE kind = 'hourly'") == "11"
            }, "\(server.stderr)")
        #expect(
            try pg.psql("SELECT count(*) FROM tembridge_archive WHERE period = '2024-03-01 09:00:00'") == "2",
            "the old row and the new record of its period")
        #expect(try pg.psql("SELECT count(*) FROM tembridge_archive WHERE volume_7 > 0 AND flags = 0") == "10")
        #expect(try pg.psql("SELECT count(*) FROM pg_constraint WHERE conname = 'tembridge_archive_pkey'") == "0")
        #expect(!server.stderr.contains(" error upstream "), "\(server.stderr)")
        #expect(server.stop() == 0)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of Unix seconds (UTC), as `history` prints a period.
enum MeterClockText {
    static func of(_ seconds: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
