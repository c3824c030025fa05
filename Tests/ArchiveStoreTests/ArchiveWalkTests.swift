import TEMProtocol
import Testing

@testable import ArchiveStore

/// The backfill/follow walk over a simulated ring of periods: no I/O, every step checked.
struct ArchiveWalkTests {
    /// A ring of `size` slots; `written` records so far, record n has period n hours (or
    /// `periods[n]` hours when given: a clock set back).
    struct Ring {
        let size: Int
        var written: Int
        var damaged: Set<Int> = []  // records whose period stamp is not a date
        var periods: [Int]? = nil
        /// Whether a damaged record's written stamp still gives its period.
        var estimates = false

        var newest: Int { (written - 1 + size) % size }
        /// What slot `index` holds: a period, or nil if never written.
        func period(at index: Int) -> Int? {
            guard written > 0 else { return nil }
            // The newest record sits at `newest`; slot i holds the record written `back` before it.
            let back = (newest - index + size) % size
            let n = written - 1 - back
            return n >= 0 ? n : nil
        }
        func outcome(_ step: ArchivePollPlan.Step) -> ArchivePollPlan.Outcome {
            switch step {
            case let .probe(_, index): return .stamp(period(at: index).map { UInt32($0) } ?? 0xFFFF_FFFF)
            case let .follow(_, index), let .backfill(_, index):
                guard let n = period(at: index) else { return .neverWritten }
                if damaged.contains(n) { return .damaged(stamp: 0xDEAD, estimate: estimates ? n * 3600 : nil) }
                let p = periods?[n] ?? n
                return .record(period: p * 3600, stamp: UInt32(n))
            }
        }
    }

    /// Runs polls until nothing is left to do; returns stored periods (hours) and gaps.
    func run(
        _ ring: inout Ring, cursor: inout ArchiveCursor?, budget: Int, backfill: Bool = true, verify: Bool = false,
        polls: Int = 10_000, writeEvery: Int = 0, stored: inout [Int], gaps: inout [ArchiveGap]
    ) -> Int {
        var reads = 0
        for poll in 0..<polls {
            if writeEvery > 0, poll > 0, poll % writeEvery == 0 { ring.written += 1 }
            let c = cursor ?? .firstContact(ring: ring.size, newest: ring.newest, backfill: backfill)
            var plan = ArchivePollPlan(
                cursors: [.hourly: c], newest: [.hourly: ring.newest], verify: verify && poll == 0, budget: budget)
            var steps = 0
            while let step = plan.next() {
                steps += 1
                let verdict = plan.apply(step, ring.outcome(step))
                switch (verdict.store, ring.outcome(step)) {
                case let (true, .record(period, _)): stored.append(period / 3600)
                // A damaged record counts under the period its place gives it.
                case (true, .damaged): stored.append((verdict.place ?? -3600) / 3600)
                default: break
                }
                if let gap = verdict.gap { gaps.append(gap) }
            }
            reads += plan.used
            #expect(plan.used <= budget)
            cursor = plan.cursors[.hourly]
            if steps == 0, writeEvery == 0 { return poll }
        }
        return polls
    }

    @Test func backfillReadsTheWholeRingOnceWithinTheBudget() {
        var ring = Ring(size: 100, written: 250)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        let polls = run(&ring, cursor: &cursor, budget: 12, stored: &stored, gaps: &gaps)
        #expect(stored.sorted() == Array(150..<250))
        #expect(Set(stored).count == stored.count)
        #expect(stored.first == 249)  // the newest first
        #expect(polls == 50)  // two records per poll
        #expect(gaps.isEmpty)
        #expect(cursor?.backfillLeft == 0)
        #expect(cursor?.backfillDone == 100)
    }

    @Test func anUnwrappedRingStopsAtTheFirstNeverWrittenSlot() {
        var ring = Ring(size: 100, written: 30)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 60, stored: &stored, gaps: &gaps)
        #expect(stored.sorted() == Array(0..<30))
        #expect(cursor?.backfillLeft == 0)
    }

    @Test func followReadsOnlyNewRecordsAfterBackfill() {
        var ring = Ring(size: 50, written: 80)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        stored = []
        ring.written += 3
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        #expect(stored == [80, 81, 82])
        #expect(gaps.isEmpty)
    }

    @Test func backfillWhileTheMeterWritesLosesOnlyOverwrittenOldestRecords() {
        var ring = Ring(size: 40, written: 100)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        // One record per poll; the meter writes one every 4 polls.
        _ = run(&ring, cursor: &cursor, budget: 6, polls: 200, writeEvery: 4, stored: &stored, gaps: &gaps)
        let newest = ring.written - 1
        #expect(Set(stored).count == stored.count)
        #expect(stored.contains(newest))
        // Everything from the oldest stored to the newest, without a hole.
        let low = stored.min()!
        #expect(Set(stored) == Set(low...newest))
        #expect(gaps.isEmpty)
    }

    @Test func aRingThatCameRoundWhileStoppedLeavesOneGap() {
        var ring = Ring(size: 30, written: 40)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        stored = []
        ring.written += 75  // stopped: 75 records written, the ring holds 30
        _ = run(&ring, cursor: &cursor, budget: 600, verify: true, stored: &stored, gaps: &gaps)
        #expect(stored == Array(85..<115))  // the whole ring, oldest first
        #expect(gaps == [ArchiveGap(kind: .hourly, first: 40 * 3600, last: 84 * 3600, count: 45)])
    }

    @Test func withoutTheProbeAStopOfExactlyOneRingWouldGoUnnoticed() {
        var ring = Ring(size: 30, written: 40)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        stored = []
        ring.written += 30  // the pointer is back where it was
        _ = run(&ring, cursor: &cursor, budget: 600, verify: true, stored: &stored, gaps: &gaps)
        #expect(stored == Array(40..<70))
        #expect(gaps.isEmpty)  // 30 written, 30 read: nothing lost
    }

    /// A record whose period stamp is not a date is kept, filed under the period its neighbours
    /// give it, and leaves no gap: by backfill (walking back) and by follow (walking on).
    @Test func damagedRecordsAreKeptInTheirPlace() {
        var ring = Ring(size: 50, written: 50, damaged: [20, 21])
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        #expect(stored.sorted() == Array(0..<50))
        #expect(gaps.isEmpty)
        stored = []
        ring = Ring(size: 50, written: 60, damaged: [55])
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        #expect(stored == Array(50..<60))
        #expect(gaps.isEmpty)
        // The newest damaged at first contact: filed by its written stamp, and what follows is no gap.
        ring = Ring(size: 50, written: 10, damaged: [9], estimates: true)
        cursor = nil
        stored = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        ring.written += 2
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        #expect(stored.sorted() == Array(0..<12))
        #expect(gaps.isEmpty)
    }

    /// The meter's clock went back one hour after its 8th of 12 hourly records: periods 0…7, 7,
    /// 8, 9, 10. The ring's order is the truth: backfill keeps all 12 (it used to stop at the
    /// second 7 and lose the 8 before it), and so does follow, with no gap either way.
    @Test func aClockSetBackKeepsEveryRecord() {
        let periods = Array(0...7) + Array(7...10)
        var ring = Ring(size: 40, written: 12, periods: periods)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        #expect(stored.count == 12)
        #expect(stored.sorted() == periods.sorted())
        #expect(gaps.isEmpty)
        // Followed as they are written, after a first record.
        ring = Ring(size: 40, written: 1, periods: periods)
        cursor = nil
        stored = []
        _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        for _ in 1..<12 {
            ring.written += 1
            _ = run(&ring, cursor: &cursor, budget: 600, stored: &stored, gaps: &gaps)
        }
        #expect(stored == periods)
        #expect(gaps.isEmpty)
    }

    @Test func withoutBackfillOnlyTheNewestAndThenNewRecordsAreRead() {
        var ring = Ring(size: 50, written: 70)
        var cursor: ArchiveCursor?
        var stored: [Int] = [], gaps: [ArchiveGap] = []
        _ = run(&ring, cursor: &cursor, budget: 600, backfill: false, stored: &stored, gaps: &gaps)
        #expect(stored == [69])
        ring.written += 2
        _ = run(&ring, cursor: &cursor, budget: 600, backfill: false, stored: &stored, gaps: &gaps)
        #expect(stored == [69, 70, 71])
    }

    @Test func aBudgetBelowOneRecordReadsNothing() {
        let ring = Ring(size: 10, written: 10)
        var plan = ArchivePollPlan(
            cursors: [.hourly: .firstContact(ring: 10, newest: ring.newest, backfill: true)],
            newest: [.hourly: ring.newest], verify: false, budget: 5)
        #expect(plan.next() == nil)
    }

    @Test func monthlyPeriodsStepByCalendarMonth() {
        let jan = MeterClock(year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!
        let mar = MeterClock(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!
        let gap = ArchivePeriods.gap(.monthly, after: jan, before: mar)
        #expect(gap?.count == 1)
        #expect(gap.map { MeterClock(unixSeconds: $0.first).description } == "2024-02-01T00:00:00")
        #expect(ArchivePeriods.gap(.daily, after: jan, before: jan + 86_400) == nil)
    }

    /// A reporting day 31 stamps monthly records on the 31st, or on a shorter month's last day:
    /// consecutive months are no gap; a month between two records is one.
    @Test func monthlyRecordsOnReportingDay31HaveNoFalseGaps() {
        func day(_ y: Int, _ m: Int, _ d: Int) -> Int {
            MeterClock(year: y, month: m, day: d, hour: 0, minute: 0, second: 0).unixSeconds!
        }
        let stamps = [
            day(2023, 11, 30), day(2023, 12, 31), day(2024, 1, 31), day(2024, 2, 29), day(2024, 3, 31), day(2024, 4, 30),
        ]
        for (a, b) in zip(stamps, stamps.dropFirst()) {
            #expect(ArchivePeriods.gap(.monthly, after: a, before: b) == nil, "\(MeterClock(unixSeconds: a))")
            #expect(ArchivePeriods.next(a, .monthly) <= b)
        }
        let gap = ArchivePeriods.gap(.monthly, after: day(2024, 1, 31), before: day(2024, 3, 31))
        #expect(gap?.count == 1)
        #expect(gap.map { MeterClock(unixSeconds: $0.first).description } == "2024-02-29T00:00:00")
        #expect(ArchivePeriods.gap(.monthly, after: day(2024, 1, 29), before: day(2024, 2, 29)) == nil)
    }

    /// A daily record whose period starts at another hour than 00 counts for its day.
    @Test func dailyPeriodsCountByDayWhateverTheirHour() {
        let d = MeterClock(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!
        #expect(ArchivePeriods.gap(.daily, after: d, before: d + 86_400 + 6 * 3600) == nil)
        #expect(ArchivePeriods.gap(.daily, after: d + 6 * 3600, before: d + 86_400 + 6 * 3600) == nil)
        let gap = ArchivePeriods.gap(.daily, after: d + 6 * 3600, before: d + 3 * 86_400 + 6 * 3600)
        #expect(gap?.count == 2)
        #expect(gap?.first == d + 86_400 + 6 * 3600)
        #expect(gap?.last == d + 2 * 86_400 + 6 * 3600)
    }
}
