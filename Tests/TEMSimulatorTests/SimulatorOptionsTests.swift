import Glibc
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct SimulatorOptionsTests {
    @Test func everyOptionParses() throws {
        let o = try SimulatorOptions(query: [
            "addresses": "2,1,7,2", "flash": "1024", "speed": "3600", "rate": "1000", "frozen": "1", "seed": "42",
            "history": "0", "start": "2016-03-02T14:15:33", "line_speed": "9600", "fault": "silent@2,delay=300ms",
            "damaged": "hourly:3,monthly:1:period", "reporting_day": "31", "day_hour": "6", "clock_back": "8",
        ])
        #expect(o.addresses == [1, 2, 7])
        #expect(o.flash == .mib1)
        #expect(o.speed == 3600)
        #expect(o.integratorRate == 1000)
        #expect(o.frozen)
        #expect(o.seed == 42)
        #expect(o.historyHours == 0)
        #expect(o.start == MeterClock(year: 2016, month: 3, day: 2, hour: 14, minute: 15, second: 33).unixSeconds)
        #expect(o.lineSpeed == 9600)
        #expect(o.faults == [FaultCommand(fault: .silent, address: 2), FaultCommand(fault: .delay(.milliseconds(300)))])
        #expect(o.damaged == [.init(kind: .hourly, age: 3), .init(kind: .monthly, age: 1, period: true)])
        #expect(o.reportingDay == 31 && o.dayHour == 6 && o.clockBackAfter == 8)
        #expect(try SimulatorOptions(query: o.query) == o)
        #expect(SimulatorOptions().query.isEmpty)
        #expect(try SimulatorOptions(query: ["start": "1457014533"]).start == 1_457_014_533)
        let line = MeterLine(options: o)
        #expect(line.faults.current.description == "delay=300ms, silent@2")
        #expect(line.clock.description == "2016-03-02T14:15:33")
    }

    @Test(arguments: [
        ["addresses": ""], ["addresses": "1,x"], ["addresses": "256"], ["flash": "2048"],
        ["speed": "-1"], ["speed": "fast"], ["rate": "nan"], ["frozen": "yes"], ["seed": "-3"],
        ["history": "-1"], ["start": "2016-02-30T00:00:00"], ["start": "yesterday"],
        ["line_speed": "0"], ["fault": "bogus"], ["colour": "blue"],
        ["damaged": "hourly"], ["damaged": "weekly:1"], ["damaged": "daily:0"], ["damaged": "daily:x"],
        ["damaged": "daily:1:written"], ["reporting_day": "0"], ["reporting_day": "32"], ["day_hour": "24"],
        ["clock_back": "0"],
    ])
    func badOptionsAreRefused(_ query: [String: String]) {
        #expect(throws: SimulatorOptionError.self) { try SimulatorOptions(query: query) }
    }

    @Test func startDefaultsToTheHostClockUnlessFrozen() {
        var o = SimulatorOptions()
        #expect(abs(o.startTime - Int(time(nil))) <= 2)
        o.frozen = true
        #expect(o.startTime == SimulatorOptions.frozenStart)
        #expect(MeterClock(unixSeconds: o.startTime).description == "2024-03-01T10:30:00")
    }

    /// A reporting day 31 writes monthly records on each month's last day when it is shorter; a
    /// day hour of 6 writes daily records at 06:00 for the day from 06:00; a clock set back after
    /// the 8th hourly record writes a 9th with the 8th's period (and one record more).
    @Test func archiveCalendarOptions() throws {
        var options = try SimulatorOptions(query: [
            "frozen": "1", "start": "2024-07-01T10:30:00", "history": "4100", "reporting_day": "31", "day_hour": "6",
        ])
        var meter = SimulatedMeter(address: 1, options: options)
        func periods(_ kind: ArchiveKind, last: Int) throws -> [MeterClock] {
            let area = pointers(meter).layout.area(kind), newest = pointers(meter).newestIndex(kind)!
            return try (0..<last).reversed().map { back in
                try #require(try record(meter, kind, (newest - back + area.records) % area.records).period)
            }
        }
        #expect(try periods(.monthly, last: 5).map(\.day) == [31, 29, 31, 30, 31])  // Jan … May
        #expect(try periods(.daily, last: 3).allSatisfy { $0.hour == 6 })

        options = try SimulatorOptions(query: ["frozen": "1", "history": "11", "clock_back": "8"])
        meter = SimulatedMeter(address: 1, options: options)
        let hours = try periods(.hourly, last: 12).map(\.hour)
        #expect(hours == [23, 0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9])
        #expect(meter.recordsWritten(.hourly) == 12)
        #expect(meter.clock.description == "2024-03-01T10:30:00")
    }
}
