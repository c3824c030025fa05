import Bridge
import Testing

@Suite struct PollScheduleTests {
    static let ms: UInt64 = 1_000_000

    @Test func metersTakeTurnsAtTheirOwnIntervals() throws {
        var schedule = PollSchedule(pollIntervals: [.milliseconds(100), .milliseconds(300)], now: 0)
        var order: [(Int, UInt64)] = []
        for _ in 0..<6 {
            let (meter, at) = try #require(schedule.next())
            order.append((meter, at / Self.ms))
            schedule.started(meter, at: at)
            schedule.ended(.succeeded, at: at)
        }
        #expect(order.map(\.0) == [0, 1, 0, 0, 0, 1])
        #expect(order.map(\.1) == [0, 0, 100, 200, 300, 300])
    }

    /// A late poll does not pull the next one earlier, and the schedule never asks for the past.
    @Test func aLatePollDoesNotCatchUpInABurst() throws {
        var schedule = PollSchedule(pollIntervals: [.milliseconds(100)], now: 0)
        schedule.started(0, at: 550 * Self.ms)  // 550 ms late
        #expect(try #require(schedule.next()).at == 550 * Self.ms)
        schedule.started(0, at: 560 * Self.ms)
        #expect(try #require(schedule.next()).at == 650 * Self.ms)
    }

    @Test func linkDownBacksOffDoublingUpToTheShortestInterval() throws {
        var schedule = PollSchedule(pollIntervals: [.seconds(1), .milliseconds(800)], now: 0)
        var backoffs: [UInt64] = []
        var now: UInt64 = 0
        for _ in 0..<5 {
            let (meter, at) = try #require(schedule.next())
            now = max(now, at)
            schedule.started(meter, at: now)
            schedule.ended(.linkDown, at: now)
            backoffs.append(schedule.backoff / Self.ms)
            // Every meter waits at least the backoff.
            #expect(schedule.due.allSatisfy { $0 >= now + schedule.backoff })
        }
        #expect(backoffs == [250, 500, 800, 800, 800])
        schedule.ended(.failed, at: now)
        #expect(schedule.backoff == 800 * Self.ms, "a meter failing on a working link does not reset the backoff")
        schedule.ended(.succeeded, at: now)
        #expect(schedule.backoff == 0)
    }

    @Test func noMetersNothingDue() {
        #expect(PollSchedule(pollIntervals: [], now: 0).next() == nil)
    }
}
