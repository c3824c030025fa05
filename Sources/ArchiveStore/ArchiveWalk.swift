import TEMProtocol

/// Where the keeper stands on one ring of one meter. Saved in the same transaction as the
/// records it led to, so a restart (even after `kill -9`) resumes exactly there.
///
/// Follow reads the slots after `handled` oldest first; backfill walks back from
/// `backfillNext` towards the oldest record. Together they cover an arc of the ring that
/// grows at both ends until it is the whole ring.
public struct ArchiveCursor: Sendable, Hashable {
    /// Records in the ring.
    public var ring: Int
    /// Ring index of the newest slot follow has handled (read, or skipped as empty/damaged).
    public var handled: Int
    /// The 4 period-stamp bytes found at `handled`; a different stamp there later means the
    /// ring has come round (overwritten) since. Nil when unknown.
    public var handledStamp: UInt32?
    /// The ring came round while not reading: every slot is newer than the store.
    public var rewalk: Bool
    /// Periods (Unix seconds) of the newest and oldest records stored by this walk.
    public var newestPeriod: Int?
    public var oldestPeriod: Int?
    /// Ring index backfill reads next, slots it has left, and how many it started with.
    public var backfillNext: Int
    public var backfillLeft: Int
    public var backfillTotal: Int

    public init(
        ring: Int, handled: Int, handledStamp: UInt32?, rewalk: Bool, newestPeriod: Int?, oldestPeriod: Int?,
        backfillNext: Int, backfillLeft: Int, backfillTotal: Int
    ) {
        (self.ring, self.handled, self.handledStamp, self.rewalk) = (ring, handled, handledStamp, rewalk)
        (self.newestPeriod, self.oldestPeriod) = (newestPeriod, oldestPeriod)
        (self.backfillNext, self.backfillLeft, self.backfillTotal) = (backfillNext, backfillLeft, backfillTotal)
    }

    /// A ring seen for the first time: follow starts with the newest record; backfill (if on)
    /// then walks the other `ring − 1` slots back from it.
    public static func firstContact(ring: Int, newest: Int, backfill: Bool) -> ArchiveCursor {
        let before = (newest - 1 + ring) % ring
        return ArchiveCursor(
            ring: ring, handled: before, handledStamp: nil, rewalk: false, newestPeriod: nil, oldestPeriod: nil,
            backfillNext: before, backfillLeft: backfill ? ring - 1 : 0, backfillTotal: backfill ? ring : 1)
    }

    /// Slots written after `handled`, up to `newest`.
    func pending(newest: Int) -> Int { rewalk ? ring : (newest - handled + ring) % ring }

    /// Backfill records done, for progress lines (`412/1728`).
    public var backfillDone: Int { backfillTotal - backfillLeft }
}

/// Missing periods of one ring: the ring came round before they were read.
public struct ArchiveGap: Sendable, Hashable, CustomStringConvertible {
    public var kind: ArchiveKind
    /// First and last missing period (Unix seconds, meter local time read as UTC).
    public var first: Int
    public var last: Int
    /// Periods missing.
    public var count: Int

    public init(kind: ArchiveKind, first: Int, last: Int, count: Int) {
        (self.kind, self.first, self.last, self.count) = (kind, first, last, count)
    }

    public var description: String {
        "\(count) \(kind.rawValue) record(s) missing, \(MeterClock(unixSeconds: first)) to \(MeterClock(unixSeconds: last))"
    }
}

/// Period arithmetic of a ring: an hour, a day, or a calendar month apart. Periods are counted
/// by their hour, day or month, whatever the minutes, hour or day of the stamp: a daily record
/// stamped 06:00 counts for its day, a monthly one stamped on the 31st for its month.
public enum ArchivePeriods {
    /// The period after `period`.
    public static func next(_ period: Int, _ kind: ArchiveKind) -> Int { step(period, kind, by: 1) }
    /// The period before `period`.
    public static func previous(_ period: Int, _ kind: ArchiveKind) -> Int { step(period, kind, by: -1) }

    /// The period `n` periods from `period`: the same minute of another hour, the same time of
    /// another day, the same day and time of another month (the month's last day when it is
    /// shorter: a reporting day 31 gives Feb 28 or 29, Apr 30).
    static func step(_ period: Int, _ kind: ArchiveKind, by n: Int) -> Int {
        switch kind {
        case .hourly: return period + n * 3600
        case .daily: return period + n * 86_400
        case .monthly:
            var c = MeterClock(unixSeconds: period)
            let months = ordinal(period, .monthly) + n
            (c.year, c.month) = (months / 12, months % 12 + 1)
            c.day = min(c.day, MeterClock.daysIn(month: c.month, year: c.year))
            return c.unixSeconds ?? period
        }
    }

    /// The number of the hour, day or month `period` falls in (hours or days since 1970, months
    /// since year 0).
    static func ordinal(_ period: Int, _ kind: ArchiveKind) -> Int {
        func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : (a - b + 1) / b }
        switch kind {
        case .hourly: return floorDiv(period, 3600)
        case .daily: return floorDiv(period, 86_400)
        case .monthly:
            let c = MeterClock(unixSeconds: period)
            return c.year * 12 + c.month - 1
        }
    }

    /// The gap strictly between two stored periods `after` < `before`, if a whole hour, day or
    /// month lies between them.
    static func gap(_ kind: ArchiveKind, after: Int, before: Int) -> ArchiveGap? {
        let count = ordinal(before, kind) - ordinal(after, kind) - 1
        guard count > 0 else { return nil }
        return ArchiveGap(kind: kind, first: next(after, kind), last: step(after, kind, by: count), count: count)
    }
}

/// One poll's worth of archive work for one meter, as a value: which Flash read to make next
/// within the budget, and what each result means (store, skip, a gap). No I/O.
///
/// Order: probes (after a restart or a silence, one 4-byte read per ring to see whether it
/// came round), then follow (records written since, oldest first), then backfill (one record
/// of each kind in turn, newest to oldest).
public struct ArchivePollPlan: Sendable {
    /// Flash reads per record (384 bytes in 64-byte reads) and per probe.
    public static let readsPerRecord = ArchiveRecord.size / Command.maxReadLength
    public static let readsPerProbe = 1

    public enum Step: Sendable, Hashable {
        /// Read the period stamp of `index` to see whether it is still what was handled there.
        case probe(ArchiveKind, index: Int)
        /// Read record `index`: the next one written (follow) or the next older one (backfill).
        case follow(ArchiveKind, index: Int)
        case backfill(ArchiveKind, index: Int)

        public var kind: ArchiveKind {
            switch self {
            case let .probe(k, _), let .follow(k, _), let .backfill(k, _): k
            }
        }
    }

    /// What a step found.
    public enum Outcome: Sendable, Hashable {
        /// A probe's 4 bytes.
        case stamp(UInt32)
        /// A record with this period; `stamp` is its 4 period-stamp bytes.
        case record(period: Int, stamp: UInt32)
        /// A record whose period stamp is not a date (damaged, kept); `estimate` is the period its
        /// written stamp gives (the period that had just ended), nil when that is no date either.
        case damaged(stamp: UInt32, estimate: Int?)
        case neverWritten
    }

    /// What to do with a step's result.
    public struct Verdict: Sendable, Hashable {
        /// Store the record just read.
        public var store = false
        /// For a record whose period stamp is not a date: the period its place in the ring gives
        /// it (one after the record before it, or one before the record after it); nil if unknown.
        public var place: Int?
        /// Periods found missing.
        public var gap: ArchiveGap?
        /// A probe found the ring came round while not reading.
        public var cameRound = false
    }

    public private(set) var cursors: [ArchiveKind: ArchiveCursor]
    private let newest: [ArchiveKind: Int]
    private let kinds: [ArchiveKind]
    private var toProbe: [ArchiveKind]
    private let budget: Int
    public private(set) var used = 0
    private var turn = 0

    /// - Parameters:
    ///   - cursors: the saved cursor of each kind to work on (`ArchiveCursor.firstContact` for
    ///     a ring seen for the first time).
    ///   - newest: the ring index of each kind's newest complete record, from the pointers.
    ///   - verify: probe each ring first (the first poll after a start or a silence).
    ///   - budget: Flash reads allowed this poll.
    public init(cursors: [ArchiveKind: ArchiveCursor], newest: [ArchiveKind: Int], verify: Bool, budget: Int) {
        kinds = ArchiveKind.allCases.filter { cursors[$0] != nil && newest[$0] != nil }
        var clamped = cursors
        for kind in kinds {
            var c = clamped[kind]!
            let n = newest[kind]!
            if c.rewalk { c.handled = n }
            // Slots after the newest record hold the oldest ones, which backfill reads last;
            // those the meter has overwritten since are gone.
            c.backfillLeft = min(c.backfillLeft, (c.backfillNext - n + c.ring) % c.ring)
            clamped[kind] = c
        }
        self.cursors = clamped
        self.newest = newest
        self.budget = budget
        toProbe = verify ? kinds.filter { clamped[$0]!.handledStamp != nil && !clamped[$0]!.rewalk } : []
    }

    /// The next read to make, or nil when this poll's work (or budget) is done.
    public mutating func next() -> Step? {
        if let kind = toProbe.first {
            guard fits(Self.readsPerProbe) else { return nil }
            toProbe.removeFirst()
            used += Self.readsPerProbe
            return .probe(kind, index: cursors[kind]!.handled)
        }
        guard fits(Self.readsPerRecord) else { return nil }
        for kind in kinds {
            let c = cursors[kind]!
            if c.pending(newest: newest[kind]!) > 0 {
                used += Self.readsPerRecord
                return .follow(kind, index: (c.handled + 1) % c.ring)
            }
        }
        for offset in 0..<kinds.count {
            let kind = kinds[(turn + offset) % kinds.count]
            let c = cursors[kind]!
            if c.backfillLeft > 0 {
                turn = (turn + offset + 1) % kinds.count
                used += Self.readsPerRecord
                return .backfill(kind, index: c.backfillNext)
            }
        }
        return nil
    }

    private func fits(_ reads: Int) -> Bool { used + reads <= budget }

    /// Takes the result of `step` into the cursors and says what to do with it.
    public mutating func apply(_ step: Step, _ outcome: Outcome) -> Verdict {
        var verdict = Verdict()
        var c = cursors[step.kind]!
        defer { cursors[step.kind] = c }
        switch (step, outcome) {
        case let (.probe, .stamp(stamp)):
            if stamp != c.handledStamp {
                // More than a whole ring was written since: every slot is newer than the store,
                // and nothing older is left for backfill.
                c.rewalk = true
                c.handled = newest[step.kind]!
                c.handledStamp = nil
                c.backfillLeft = 0
                verdict.cameRound = true
            }
        case let (.follow(kind, index), _):
            c.handled = index
            c.rewalk = false
            switch outcome {
            case let .damaged(stamp, estimate):
                // Kept, filed under the period after the newest (or its written stamp's).
                c.handledStamp = stamp
                verdict.place = c.newestPeriod.map { ArchivePeriods.next($0, kind) } ?? estimate
                if let place = verdict.place {
                    c.newestPeriod = max(c.newestPeriod ?? place, place)
                    c.oldestPeriod = min(c.oldestPeriod ?? place, place)
                }
                verdict.store = true
            case let .record(period, stamp):
                c.handledStamp = stamp
                if let newestPeriod = c.newestPeriod {
                    verdict.gap = ArchivePeriods.gap(kind, after: newestPeriod, before: period)
                }
                c.newestPeriod = max(c.newestPeriod ?? period, period)
                c.oldestPeriod = min(c.oldestPeriod ?? period, period)
                verdict.store = true
            case .neverWritten: c.handledStamp = 0xFFFF_FFFF
            case let .stamp(stamp): c.handledStamp = stamp
            }
        case let (.backfill(kind, _), _):
            switch outcome {
            case let .damaged(_, estimate):
                // Kept, filed under the period before the oldest (or its written stamp's).
                verdict.place = c.oldestPeriod.map { ArchivePeriods.previous($0, kind) } ?? estimate
                if let place = verdict.place {
                    c.oldestPeriod = place
                    c.newestPeriod = c.newestPeriod ?? place
                }
                verdict.store = true
            case let .record(period, _):
                // The ring's order is its write pointer, not the stamps: a record not older than
                // the oldest stored (the clock was set back, or the meter overwrote the slot since
                // the pointers were read) is kept all the same; the store's key absorbs a record
                // read twice, and the pointers end the walk at the next poll.
                if let oldest = c.oldestPeriod, period < oldest {
                    verdict.gap = ArchivePeriods.gap(kind, after: period, before: oldest)
                }
                c.oldestPeriod = min(c.oldestPeriod ?? period, period)
                c.newestPeriod = c.newestPeriod ?? period
                verdict.store = true
            case .neverWritten:
                // The ring has not come round yet: nothing older was ever written.
                c.backfillLeft = 0
                return verdict
            case .stamp: break
            }
            c.backfillNext = (c.backfillNext - 1 + c.ring) % c.ring
            c.backfillLeft -= 1
        case (.probe, _):
            break
        }
        return verdict
    }
}
