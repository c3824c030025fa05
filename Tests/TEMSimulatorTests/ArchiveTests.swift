import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct ArchiveTests {
    /// Frozen start 2024-03-01T10:30:00 with 48 hours of history: hours 2024-02-28T11:00 …
    /// 2024-03-01T10:00, the midnights of Feb 29 and Mar 1, and monthly records for Dec 1, Jan 1,
    /// Feb 1 (backfilled) and Mar 1.
    @Test func historyIsWrittenAtStart() throws {
        let meter = SimulatedMeter(address: 1, options: frozenOptions())
        #expect(meter.recordsWritten(.hourly) == 48)
        #expect(meter.recordsWritten(.daily) == 2)
        #expect(meter.recordsWritten(.monthly) == 4)
        let p = pointers(meter)
        #expect(p.next[.hourly] == UInt32(0x20_0000 + 48 * 384))
        #expect(p.next[.daily] == UInt32(0x20_0000 + 0x51000 + 2 * 384))
        #expect(p.next[.monthly] == UInt32(0x20_0000 + 0x73800 + 4 * 384))

        let newest = try record(meter, .hourly, p.newestIndex(.hourly)!)
        #expect(newest.written!.description == "2024-03-01T10:00:00")
        #expect(newest.period!.description == "2024-03-01T09:00:00")
        let oldest = try record(meter, .hourly, 0)
        #expect(oldest.written!.description == "2024-02-28T11:00:00")

        let daily = try record(meter, .daily, 1)
        #expect(daily.written!.description == "2024-03-01T00:00:00")
        #expect(daily.period!.description == "2024-02-29T00:00:00")
        let months = try (0..<4).map { try record(meter, .monthly, $0) }
        #expect(
            months.map(\.written!.description) == [
                "2023-12-01T00:00:00", "2024-01-01T00:00:00", "2024-02-01T00:00:00", "2024-03-01T00:00:00",
            ])
        #expect(months[3].period!.description == "2024-02-01T00:00:00")
        for kind in ArchiveKind.allCases {
            #expect(throws: ArchiveRecord.Empty.neverWritten) {
                try record(meter, kind, meter.recordsWritten(kind))
            }
        }
    }

    @Test func recordsHoldSnapshotsMeansAndCounters() throws {
        let meter = SimulatedMeter(address: 1, options: frozenOptions())
        let current = decode(meter.t2k())
        let records = try (0..<48).map { try record(meter, .hourly, $0) }
        for (older, newer) in zip(records, records.dropFirst()) {
            #expect(newer.written!.unixSeconds! - older.written!.unixSeconds! == 3600)
            #expect(newer.values["time.powered"]! - older.values["time.powered"]! == 3600)
            for name in ["energy.1", "energy.2", "energy.total", "volume.1", "mass.1"] {
                #expect(newer.values[name]! > older.values[name]!)
            }
            let system1 = ["time.normal.1", "time.below_gmin.1", "time.above_gmax.1", "time.below_dtmin.1", "time.fault.1"]
            #expect(system1.reduce(0) { $0 + newer.values[$1]! - older.values[$1]! } == 3600)
        }
        let newest = records.last!
        for name in ["energy.1", "energy.2", "volume.1", "mass.3"] {
            #expect(newest.values[name]! < current[name]!)
            #expect(newest.values[name]! > current[name]! * 0.99)
        }
        #expect((70...90).contains(newest.values["temperature.1"]!))
        #expect((40...60).contains(newest.values["temperature.2"]!))
        #expect((0.3...0.6).contains(newest.values["pressure.1"]!))
        #expect(newest.values["time.powered"]! < current["time.powered"]!)
        // Hours with an error show their bits and move the matching counter.
        let erroneous = zip(records, records.dropFirst()).filter { $1.errors[0] != 0 || $1.errors[1] != 0 }
        for (older, newer) in erroneous {
            for s in 0..<2 where newer.errors[s] & 0x10 != 0 {
                #expect(newer.values["time.below_dtmin.\(s + 1)"]! > older.values["time.below_dtmin.\(s + 1)"]!)
            }
        }
        // Monthly records read as one rising series, backfilled ones included.
        let months = try (0..<4).map { try record(meter, .monthly, $0) }
        for (older, newer) in zip(months, months.dropFirst()) {
            #expect(newer.values["energy.1"]! > older.values["energy.1"]!)
        }
    }

    @Test func aRecordIsWrittenWhenTheClockPassesTheHour() throws {
        var meter = SimulatedMeter(address: 1, options: frozenOptions())
        meter.advance(by: 1799)
        #expect(meter.recordsWritten(.hourly) == 48)
        meter.advance(by: 1)
        #expect(meter.recordsWritten(.hourly) == 49)
        #expect(pointers(meter).next[.hourly] == UInt32(0x20_0000 + 49 * 384))
        let r = try record(meter, .hourly, 48)
        #expect(r.written!.description == "2024-03-01T11:00:00")
        #expect(r.period!.description == "2024-03-01T10:00:00")
        #expect(r.values["energy.1"]! <= decode(meter.t2k())["energy.1"]!)
    }

    @Test(arguments: [FlashLayout.kib512, .mib1])
    func hourlyRingWraps(layout: FlashLayout) throws {
        var meter = SimulatedMeter(address: 1, options: frozenOptions(history: 0, flash: layout))
        #expect(meter.recordsWritten(.hourly) == 0)
        #expect(throws: ArchiveRecord.Empty.neverWritten) { try record(meter, .hourly, 0) }
        let records = layout.hourly.records
        meter.advance(by: Double(records + 6) * 3600)
        #expect(meter.recordsWritten(.hourly) == records + 6)
        let p = pointers(meter)
        #expect(p.next[.hourly] == UInt32(0x20_0000 + 6 * 384))
        #expect(p.newestIndex(.hourly) == 5)
        let newest = try record(meter, .hourly, 5), oldest = try record(meter, .hourly, 6)
        #expect(newest.written!.unixSeconds! - oldest.written!.unixSeconds! == (records - 1) * 3600)
        #expect(newest.written == MeterClock(unixSeconds: meter.clock.unixSeconds! / 3600 * 3600))
        // The rings do not overlap: the daily ring starts where the hourly ring ends.
        #expect(layout.hourly.address(ofRecord: records) == layout.daily.base)
        #expect(try record(meter, .daily, 0).written!.hour == 0)
    }

    @Test func dailyRingWrapsOn512KiB() throws {
        var meter = SimulatedMeter(address: 1, options: frozenOptions(history: 0))
        meter.advance(by: 370 * 86_400)
        #expect(meter.recordsWritten(.daily) == 370)
        let p = pointers(meter)
        #expect(p.next[.daily] == UInt32(0x20_0000 + 0x51000 + 2 * 384))
        let newest = try record(meter, .daily, 1), oldest = try record(meter, .daily, 2)
        #expect(newest.written!.unixSeconds! - oldest.written!.unixSeconds! == 367 * 86_400)
        #expect(meter.recordsWritten(.monthly) == 12)
    }
}
