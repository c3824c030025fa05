import Glibc
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct SimulatorOptionsTests {
    @Test func everyOptionParses() throws {
        let o = try SimulatorOptions(query: [
            "addresses": "2,1,7,2", "flash": "1024", "speed": "3600", "rate": "1000", "frozen": "1", "seed": "42",
            "history": "0", "start": "2016-03-02T14:15:33", "line_speed": "9600", "fault": "silent@2,delay=300ms",
            "damaged": "hourly:3,monthly:1",
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
        #expect(o.damaged == [.init(kind: .hourly, age: 3), .init(kind: .monthly, age: 1)])
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
}
