import Foundation
import TEMProtocol
import Testing

@testable import ArchiveStore

/// The statement of heat consumption from hand-made records: every row a difference of the
/// meter's integrators, gaps left empty and named, totals equal to the integrators' rise.
struct StatementTests {
    static let day0 = MeterClock(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!

    /// A record of `kind` for `period` with the given fields (big-endian, comma 0: as is).
    static func record(
        _ kind: ArchiveKind, period: Int, energy: [UInt32] = [], mass: [UInt32] = [], normal: [UInt32] = [],
        powered: UInt32 = 0, temperatures: [Float] = [], pressures: [Float] = [], serial: UInt32 = 7, written: Int? = nil
    ) throws -> StoredRecord {
        var r = [UInt8](repeating: 0, count: ArchiveRecord.size)
        func put(_ offset: Int, _ bytes: [UInt8]) { r.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        put(ArchiveRecord.Offset.written, MeterClock(unixSeconds: written ?? period + 3600).archiveStampBytes)
        put(ArchiveRecord.Offset.period, MeterClock(unixSeconds: period).archiveStampBytes)
        for (i, v) in energy.enumerated() { put(ArchiveRecord.Offset.energyWhole + 4 * i, u32(v)) }
        for (i, v) in mass.enumerated() { put(ArchiveRecord.Offset.massWhole + 4 * i, u32(v)) }
        for (i, v) in normal.enumerated() { put(ArchiveRecord.Offset.timeNormal + 4 * i, u32(v)) }
        put(ArchiveRecord.Offset.timePowered, u32(powered))
        for (i, v) in temperatures.enumerated() { put(ArchiveRecord.Offset.temperature + 4 * i, u32(v.bitPattern)) }
        for (i, v) in pressures.enumerated() { put(ArchiveRecord.Offset.pressure + 4 * i, u32(v.bitPattern)) }
        return try StoredRecord(serialNumber: serial, kind: kind, meter: "m", raw: r)
    }

    /// Daily records from the day before March 1st to March 10th, March 5th missing: energy.1
    /// rises 10 + d a day, mass.1 100 a day, 20 h normal and 23 h powered a day.
    static func march() throws -> [StoredRecord] {
        try (-1...9).filter { $0 != 4 }.map { d in
            let rise = UInt32(d < 0 ? 0 : (0...d).reduce(0) { $0 + 10 + $1 })
            return try record(
                .daily, period: day0 + d * 86_400, energy: [1000 + rise, 0, 5], mass: [UInt32(5000 + 100 * (d + 1)), 4000],
                normal: [UInt32(72_000 * (d + 1))], powered: UInt32(82_800 * (d + 1)),
                temperatures: [80 + Float(d), 50], pressures: [0.5, 0])
        }
    }

    @Test func eachDayIsItsRecordMinusTheDayBefore() throws {
        let records = try Self.march()
        let s = Statement(meter: "m", kind: .daily, from: Self.day0, to: Self.day0 + 9 * 86_400 + 5, records: records)
        #expect(s.rows.count == 10)
        #expect(s.serialNumbers == [7])
        let byPeriod = Dictionary(uniqueKeysWithValues: records.map { ($0.period, $0.record.values) })
        for row in s.rows where !row.missing {
            guard let now = byPeriod[row.period], let before = byPeriod[row.period - 86_400] else {
                #expect(row.values["energy.1"] == nil, "no day before: no quantity")
                continue
            }
            #expect(row.values["energy.1"] == now["energy.1"]! - before["energy.1"]!)
            #expect(row.values["mass.1"] == 100)
            #expect(row.values["time.normal.1"] == 20)
            #expect(row.values["time.power_off"] == 1)
            #expect(row.values["temperature.1"] == now["temperature.1"])
            #expect(row.values["dt.1"] == now["temperature.1"]! - 50)
        }
        // March 5th is missing, and March 6th has no day before it: both stay empty.
        #expect(s.missing == [Self.day0 + 4 * 86_400])
        #expect(s.rows[4].missing && s.rows[4].values.isEmpty)
        #expect(s.rows[5].values["energy.1"] == nil && s.rows[5].values["temperature.1"] == 85)
        #expect(s.rows[0].values["energy.1"] == 10)  // 1010 on March 1st against 1000 the day before
        // Totals: the integrators' rise from the day before March 1st to March 10th.
        let first = byPeriod[Self.day0 - 86_400]!, last = byPeriod[Self.day0 + 9 * 86_400]!
        #expect(s.total.values["energy.1"] == last["energy.1"]! - first["energy.1"]!)
        #expect(s.total.values["mass.1"] == 1000)
        #expect(s.total.values["time.normal.1"] == 200)
        #expect(s.total.values["time.power_off"] == 10)
        #expect(s.firstReading == Self.day0 - 86_400 && s.lastReading == Self.day0 + 9 * 86_400)
        // Time-weighted mean of the days with a record (equal days: the plain mean).
        let means = s.rows.compactMap { $0.values["temperature.1"] }
        #expect(abs(s.total.values["temperature.1"]! - means.reduce(0, +) / Double(means.count)) < 1e-9)
        // Fitted: system 1 and its pressure P1; pressure.2 is zero throughout.
        let names = s.columns.map(\.name)
        #expect(names.contains("pressure.1") && !names.contains("pressure.2"))
        #expect(names.contains("energy.3") && !names.contains("energy.2"), "a system is fitted by its energy")
        #expect(names.contains("mass.5") && !names.contains("mass.3"), "system N on channels 2N-1 and 2N")
    }

    @Test func withoutGapsTheTotalIsTheSumOfTheRows() throws {
        let records = try Self.march().filter { $0.period < Self.day0 + 4 * 86_400 }
        let s = Statement(meter: "m", kind: .daily, from: Self.day0, to: Self.day0 + 3 * 86_400, records: records)
        #expect(s.missing.isEmpty)
        for column in s.columns where column.kind != .mean {
            let sum = s.rows.compactMap { $0.values[column.name] }.reduce(0, +)
            #expect(abs(sum - (s.total.values[column.name] ?? .nan)) < 1e-9, "\(column.name)")
        }
    }

    @Test func csvHasDateColumnsAndATotalRow() throws {
        let s = Statement(meter: "m", kind: .daily, from: Self.day0, to: Self.day0 + 9 * 86_400, records: try Self.march())
        let lines = StatementText(unit: .mwh).csv(s).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 1 + 10 + 1 + 1)  // header, days, total, the final line break
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(header.first == "date" && header.last == "flags")
        #expect(header.contains("energy.1") && header.contains("mass.1") && header.contains("time.normal.1"))
        #expect(lines[1].hasPrefix("2024-03-01,10,"))
        #expect(lines[5].hasPrefix("2024-03-05,,") && lines[5].hasSuffix(",missing"))
        #expect(lines[11].hasPrefix("total,"))
        #expect(lines[11].hasSuffix(",missing"), "the total says a period is missing")
        // Gcal: the same differences times 3.6 / 4.1868.
        let gcal = StatementText(unit: .gcal).csv(s).split(separator: "\n")
        #expect(gcal[1].hasPrefix("2024-03-01,\(ArchiveRecordText.formatNumber(10 * Statement.gcalPerMWh)),"))
        #expect(abs(Statement.gcalPerMWh - 0.859845) < 5e-7)
    }

    @Test func twoRecordsOfOneDayAreFlagged() throws {
        var records = try Self.march().filter { $0.period < Self.day0 + 3 * 86_400 }
        // The clock set back: a second record of March 2nd, written later (`time.powered` further
        // on), counts.
        records.append(
            try Self.record(
                .daily, period: Self.day0 + 86_400, energy: [1030], powered: 82_800 * 4,
                written: Self.day0 + 3 * 86_400 + 7200))
        let s = Statement(meter: "m", kind: .daily, from: Self.day0, to: Self.day0 + 2 * 86_400, records: records)
        #expect(s.rows[1].flags == ["duplicate_period"])
        #expect(s.rows[1].values["energy.1"] == 20, "1030 against 1010")
        #expect(s.flags == ["duplicate_period"])
        let csv = StatementText(unit: .mwh).csv(s)
        #expect(csv.contains("duplicate_period"))
    }

    @Test func hourlyAndMonthlyPeriods() throws {
        let hours = try (0..<5).map {
            try Self.record(.hourly, period: Self.day0 + $0 * 3600, energy: [UInt32(100 + $0 * $0)])
        }
        let h = Statement(meter: "m", kind: .hourly, from: Self.day0 + 3600, to: Self.day0 + 4 * 3600, records: hours)
        #expect(h.rows.map { $0.values["energy.1"] } == [1, 3, 5, 7])
        #expect(StatementText.label(.hourly, h.rows[0].period) == "2024-03-01T01:00")
        #expect(h.total.values["energy.1"] == 16)

        let months = try [(2024, 1), (2024, 2), (2024, 3), (2024, 5)].enumerated().map { i, ym in
            try Self.record(
                .monthly, period: MeterClock(year: ym.0, month: ym.1, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!,
                energy: [UInt32(500 + 100 * i)], temperatures: [Float(70 + i)])
        }
        let from = MeterClock(year: 2024, month: 2, day: 10, hour: 0, minute: 0, second: 0).unixSeconds!
        let to = MeterClock(year: 2024, month: 5, day: 31, hour: 0, minute: 0, second: 0).unixSeconds!
        let m = Statement(meter: "m", kind: .monthly, from: from, to: to, records: months)
        #expect(m.rows.map { StatementText.label(.monthly, $0.period) } == ["2024-02", "2024-03", "2024-04", "2024-05"])
        #expect(m.rows.map { $0.values["energy.1"] } == [100, 100, nil, nil])
        #expect(m.missing.map { StatementText.label(.monthly, $0) } == ["2024-04"])
        #expect(m.total.values["energy.1"] == 300)
        // Means weighted by the months' lengths: February 29 days at 71, March 31 at 72, May 31 at 73.
        let weighted: Double = 71.0 * 29 + 72.0 * 31 + 73.0 * 31
        let mean = weighted / 91
        #expect(abs(m.total.values["temperature.1"]! - mean) < 1e-9)
    }

    @Test func aStatementOfTooManyRowsIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try ArchiveStore(path: path)
        let request = StatementRequest(
            meter: "m", kind: .hourly, from: Self.day0, to: Self.day0 + 20 * 365 * 86_400, format: .csv, unit: .mwh)
        #expect(throws: StatementFailure.self) { try request.document(store) }
        var daily = request
        daily.kind = .daily
        let csv = String(decoding: try daily.document(store), as: UTF8.self)
        #expect(csv.split(separator: "\n").count == 1 + (20 * 365 + 1) + 1, "the header, 7301 days, the total")
    }

    @Test func htmlHasASheetPerMonth() throws {
        let records = try (0..<40).map { d in
            try Self.record(.daily, period: Self.day0 + d * 86_400, energy: [UInt32(1000 + 10 * d)])
        }
        let s = Statement(meter: "m&", kind: .daily, from: Self.day0 + 86_400, to: Self.day0 + 39 * 86_400, records: records)
        let html = StatementText(unit: .gcal).html(s, records: records)
        #expect(html.components(separatedBy: "<section class=\"sheet\">").count == 3, "March and April")
        #expect(html.contains("m&amp;") && html.contains("Heat in Gcal"))
        #expect(html.contains("whole period"))
        #expect(html.contains("@page { size: A4 landscape"))
    }
}
