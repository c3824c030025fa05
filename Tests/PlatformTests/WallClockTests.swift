import Foundation
import Platform
import Testing

@Suite struct WallClockTests {
    @Test func iso8601ToTheMillisecond() {
        #expect(Timestamp.iso8601(nanoseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.iso8601(nanoseconds: 1_795_725_065_120_999_999) == "2026-11-26T20:31:05.120Z")
        #expect(Timestamp.iso8601(nanoseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func localTimeOfDayMatchesTheSecondsFormat() {
        let now = WallClock.nanoseconds()
        let text = Timestamp.localTimeOfDay(nanoseconds: now)
        #expect(text.count == 12 && text.split(separator: ":").count == 3 && text.contains("."), "\(text)")
    }

    /// The wall clock agrees with Foundation's to within a second.
    @Test func wallClockIsTheSystemsRealTime() {
        #expect(abs(WallClock.secondsWithFraction() - Date().timeIntervalSince1970) < 1)
        #expect(abs(WallClock.seconds() - Int(Date().timeIntervalSince1970)) <= 1)
    }

    @Test func monotonicInstantsAddAndSubtractDurations() {
        let t0 = MonotonicClock.Instant(nanoseconds: 5_000_000_000)
        #expect((t0 + .milliseconds(250)).nanoseconds == 5_250_000_000)
        #expect((t0 - .seconds(1)).nanoseconds == 4_000_000_000)
        #expect((t0 + .seconds(2)) - t0 == .seconds(2))
        #expect((t0 - .seconds(10)).nanoseconds == 0)  // saturates, never wraps
        #expect(MonotonicClock.Instant(nanoseconds: .max) + .seconds(1) == MonotonicClock.Instant(nanoseconds: .max))
        #expect(Deadline(after: .seconds(5)).instant > .now)
    }
}
