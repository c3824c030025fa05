import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct ControlCommandsTests {
    let line = MeterLine(options: frozenOptions())

    @Test func faultCommandsSwitchFaults() {
        #expect(line.apply(command: "fault silent@2") == "ok faults: silent@2")
        #expect(line.respond(to: request(.identify, to: 2)).bytes.isEmpty)
        #expect(line.apply(command: "fault delay=2s") == "ok faults: delay=2s, silent@2")
        #expect(line.apply(command: "fault none") == "ok faults: none")
        #expect(line.respond(to: request(.identify, to: 2)).bytes.count == 14)
        #expect(line.apply(command: "fault bogus").hasPrefix("error: invalid fault 'bogus'"))
    }

    /// `comma finer|coarser [N]` reprograms the codes and rescales L + F: the totals stay.
    @Test func commaReprogramsWithTotalsUnchanged() throws {
        let energy = try #require(ValueCatalog.definition(named: "energy.2"))
        let volume = try #require(ValueCatalog.definition(named: "volume.3"))
        func values(_ address: UInt8) -> [Double] {
            var image = T2KImage()
            image.store(line.t2k(address: address)!, at: 0)
            return [energy, volume].map { image.value(of: $0)! }
        }
        let before = values(1), other = values(2)
        #expect(line.apply(command: "comma finer 1") == "ok comma.1=4,5,4,4,4,4 comma.2=3,4,3,3,3,3")
        #expect(line.t2k(address: 1)![Int(T2KMap.comma)...].prefix(6) == [4, 5, 4, 4, 4, 4])
        for (now, then) in zip(values(1), before) { #expect(abs(now / then - 1) < 1e-9, "\(now) vs \(then)") }
        #expect(values(2) == other)
        #expect(line.apply(command: "comma coarser") == "ok comma.1=3,4,3,3,3,3 comma.2=2,3,2,2,2,2")
        for (now, then) in zip(values(2), other) { #expect(abs(now / then - 1) < 1e-9, "\(now) vs \(then)") }
        #expect(line.apply(command: "comma finer 9") == "error: no meter at address 9")
        #expect(line.apply(command: "comma sideways") == "error: comma takes finer or coarser")
        // Records written from now on carry the new codes.
        _ = line.apply(command: "advance 1h")
        let meter = try #require(line.meter(at: 2))
        let newest = UInt32(meter.recordsWritten(.hourly) - 1) * UInt32(ArchiveRecord.size)
        #expect(meter.flash(at: newest + UInt32(ArchiveRecordLayout.commaOffset), count: 6) == [2, 3, 2, 2, 2, 2])
    }

    @Test func restartAdvanceAndStatus() throws {
        let serial = line.meter(at: 1)!.serialNumber
        let other = line.meter(at: 2)!.serialNumber
        #expect(line.apply(command: "restart 1").hasPrefix("ok restarted 1, serial number "))
        #expect(line.meter(at: 1)!.serialNumber != serial)
        #expect(line.meter(at: 2)!.serialNumber == other)
        #expect(line.apply(command: "restart 9") == "error: no meter at address 9")
        let restarted = line.meter(at: 1)!.serialNumber
        #expect(line.apply(command: "fault restart@1") == "ok faults: none")
        #expect(line.meter(at: 1)!.serialNumber != restarted)
        #expect(line.apply(command: "restart") == "ok restarted every meter")
        #expect(line.meter(at: 2)!.serialNumber != other)
        #expect(line.apply(command: "advance 2h") == "ok clock 2024-03-01T12:30:00")
        #expect(line.meter(at: 1)!.recordsWritten(.hourly) == 50)
        _ = line.apply(command: "fault echo")
        let status = line.apply(command: "  status  ")
        #expect(status.hasPrefix("ok addresses=1,2 clock=2024-03-01T12:30:00 speed=1 frozen=1 flash=512 faults=echo serial.1="))
        #expect(line.apply(command: "help").hasPrefix("ok commands: fault SPEC"))
        #expect(line.apply(command: "frobnicate") == "error: unknown command 'frobnicate' (try help)")
        #expect(
            line.apply(command: "advance soon")
                == "error: malformed duration 'soon' (write a number and a unit: 500ms, 1.5s, 2m or 1h)")
        #expect(line.apply(command: "advance 1.5h") == "ok clock 2024-03-01T14:00:00")
        #expect(line.apply(command: "") == "error: empty command (try help)")
    }
}
