import TEMProtocol
import Testing

@Suite struct MeterClockTests {
    /// PROTOCOL-NOTES, test vectors: clock bytes `33 15 14 02 03 16` = 2016-03-02 14:15:33.
    @Test func t2kClock() throws {
        let clock = try #require(MeterClock(t2k: [0x33, 0x15, 0x14, 0x02, 0x03, 0x16]))
        #expect(clock == MeterClock(year: 2016, month: 3, day: 2, hour: 14, minute: 15, second: 33))
        #expect(clock.description == "2016-03-02T14:15:33")
        #expect(clock.unixSeconds == 1_456_928_133)
        #expect(clock.t2kBytes == [0x33, 0x15, 0x14, 0x02, 0x03, 0x16])
    }

    /// PROTOCOL-NOTES, test vectors: archive stamp `08 20 03 15` = 2015-03-20 08:00, period
    /// stamp `07 20 03 15` = 07:00.
    @Test func archiveStamps() throws {
        let written = try #require(MeterClock(archiveStamp: [0x08, 0x20, 0x03, 0x15]))
        #expect(written == MeterClock(year: 2015, month: 3, day: 20, hour: 8, minute: 0, second: 0))
        let period = try #require(MeterClock(archiveStamp: [0x07, 0x20, 0x03, 0x15]))
        #expect(period.description == "2015-03-20T07:00:00")
        #expect(period.archiveStampBytes == [0x07, 0x20, 0x03, 0x15])
    }

    @Test func rejectsNonBCDAndWrongLength() {
        #expect(MeterClock(t2k: [0x3A, 0x15, 0x14, 0x02, 0x03, 0x16]) == nil)
        #expect(MeterClock(t2k: [0x33, 0x15, 0x14, 0x02, 0x03]) == nil)
        #expect(MeterClock(archiveStamp: [0x08, 0x20, 0x03]) == nil)
    }

    @Test func validity() {
        #expect(MeterClock(year: 2016, month: 2, day: 29, hour: 0, minute: 0, second: 0).isValid)
        #expect(!MeterClock(year: 2015, month: 2, day: 29, hour: 0, minute: 0, second: 0).isValid)
        #expect(!MeterClock(year: 2015, month: 13, day: 1, hour: 0, minute: 0, second: 0).isValid)
        #expect(!MeterClock(year: 2015, month: 1, day: 1, hour: 24, minute: 0, second: 0).isValid)
        #expect(MeterClock(year: 2015, month: 0, day: 1, hour: 0, minute: 0, second: 0).unixSeconds == nil)
    }

    @Test func unixSecondsRoundTrip() {
        for seconds in stride(from: 0, to: 4_000_000_000, by: 97_654_321) {
            #expect(MeterClock(unixSeconds: seconds).unixSeconds == seconds)
        }
        #expect(MeterClock(unixSeconds: 1_456_928_133).description == "2016-03-02T14:15:33")
    }
}
