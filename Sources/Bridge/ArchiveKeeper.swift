import ArchiveStore
import Config
import Logging
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// Keeps every archive record of the meters in the store: after each good poll the poller
/// hands it the meter's link, and it makes at most `reads_per_poll` Flash reads, as
/// `ArchivePollPlan` decides, then saves what it read, the gaps found and the cursors in one
/// transaction. Failures here never fail the poll: live values stay fresh. Nothing the meter
/// wrote is dropped: a record whose time stamp is not a date is kept flagged `damaged`, a second
/// record of one period (clock set back) flagged `duplicate_period`, each logged once.
public final class ArchiveKeeper: Sendable {
    public let store: ArchiveStore
    public let config: ArchiveStoreConfig
    private let logger: Logger

    /// What the keeper remembers of a meter while running (the store holds the rest).
    struct Session: Sendable {
        var serialNumber: UInt32?
        var lastPoll: UInt64 = 0
        /// The next tenth of each backfill worth a progress line.
        var nextTenth: [ArchiveKind: Int] = [:]
        /// The last problem logged, so a repeating one is logged once.
        var problem: String?
    }

    private let sessions = Mutex<[String: Session]>([:])
    /// Records flagged since start, by meter name and flag name (`damaged`, `duplicate_period`).
    private let flagged = Mutex<[String: [String: Int]]>([:])

    /// Records newly stored with each flag since start, by meter name then flag name; every
    /// meter kept so far has every flag (0 when none).
    public func flaggedCounts() -> [String: [String: Int]] { flagged.withLock { $0 } }

    public init(store: ArchiveStore, config: ArchiveStoreConfig, logger: Logger = Logger(label: "tembridge.archive")) {
        self.store = store
        self.config = config
        self.logger = logger
    }

    /// One poll's archive work for `meter` over `client`, from the poll's `image` (its serial
    /// number, `FLASH_TYPE` and archive pointers: the poller reads them when it has a keeper).
    func keep(_ meter: MeterConfig, image: T2KImage, client: MeterClient) {
        let key = meter.name
        let now = MonotonicClock.now()
        flagged.withLock { counts in
            for (_, name) in StoredRecord.Flags.named where counts[key]?[name] == nil { counts[key, default: [:]][name] = 0 }
        }
        var session = sessions.withLock { $0[key] } ?? Session()
        defer { sessions.withLock { $0[key] = session } }
        // After a start or a silence longer than three polls the rings may have come round.
        let silence = UInt64(max(meter.pollInterval.nanoseconds, 1_000_000_000)) * 3
        var verify = session.lastPoll == 0 || now &- session.lastPoll > silence
        session.lastPoll = now
        do {
            guard let pointers = ArchivePointers(image: image),
                let serialValue = image.field(.u32, at: T2KMap.serialNumber)
            else {
                problem(&session, "meter \(meter.name): unknown FLASH_TYPE or archive pointer: archive not kept")
                return
            }
            let serial = UInt32(serialValue)
            if session.serialNumber != serial {
                if let old = session.serialNumber {
                    logger.warning("meter \(meter.name): serial number \(old) → \(serial): a new meter, its own history")
                }
                session.serialNumber = serial
                session.nextTenth = [:]
                verify = true
            }
            try work(meter, serial: serial, pointers: pointers, verify: verify, client: client, session: &session)
            session.problem = nil
        } catch let error as StoreError {
            problem(&session, "meter \(meter.name): archive not stored: \(error)")
        } catch {
            problem(&session, "meter \(meter.name): archive read failed, retried next poll: \(error)")
        }
    }

    private func problem(_ session: inout Session, _ message: String) {
        guard session.problem != message else { return }
        session.problem = message
        logger.warning("\(message)")
    }

    private func work(
        _ meter: MeterConfig, serial: UInt32, pointers: ArchivePointers, verify: Bool, client: MeterClient,
        session: inout Session
    ) throws {
        let saved = try store.cursors(serialNumber: serial)
        var cursors: [ArchiveKind: ArchiveCursor] = [:]
        var newest: [ArchiveKind: Int] = [:]
        for kind in config.kinds {
            guard let index = pointers.newestIndex(kind) else { continue }
            let ring = pointers.layout.area(kind).records
            newest[kind] = index
            if let cursor = saved[kind], cursor.ring == ring {
                cursors[kind] = cursor
            } else {
                cursors[kind] = .firstContact(ring: ring, newest: index, backfill: config.backfill)
                if config.backfill {
                    logger.info("meter \(meter.name) (serial \(serial)): \(kind.rawValue) backfill of up to \(ring) records")
                }
            }
        }
        var plan = ArchivePollPlan(cursors: cursors, newest: newest, verify: verify, budget: config.readsPerPoll)
        var batch = ArchiveStore.Batch(serialNumber: serial, meter: meter.name)
        var readError: ExchangeError?
        var slots: [[UInt8]: Int] = [:]
        reading: while let step = plan.next() {
            let area = pointers.layout.area(step.kind)
            var record: StoredRecord?
            let outcome: ArchivePollPlan.Outcome
            do throws(ExchangeError) {
                switch step {
                case let .probe(_, index):
                    let at = area.address(ofRecord: index) + UInt32(ArchiveRecord.Offset.period)
                    outcome = .stamp(Self.stamp(try client.readFlash(address: meter.address, at: at, length: 4)))
                case let .follow(kind, index), let .backfill(kind, index):
                    let raw = try ArchiveReader(client: client, address: meter.address).recordBytes(in: area, index: index)
                    let stamp = Self.stamp(Array(raw[ArchiveRecord.Offset.period..<(ArchiveRecord.Offset.period + 4)]))
                    do {
                        let r = try StoredRecord(serialNumber: serial, kind: kind, meter: meter.name, raw: raw)
                        record = r
                        slots[raw] = index
                        if let period = r.record.period?.unixSeconds {
                            outcome = .record(period: period, stamp: stamp)
                        } else {
                            // Filed by the walk; without neighbours, by its written stamp.
                            outcome = .damaged(stamp: stamp, estimate: r.written.map { _ in r.period })
                        }
                    } catch {
                        outcome = .neverWritten
                    }
                }
            } catch {
                // What was read so far is saved; the rest waits for the next poll.
                readError = error
                break reading
            }
            let verdict = plan.apply(step, outcome)
            if verdict.store, var record {
                if record.record.period == nil, let place = verdict.place { record.period = place }
                batch.records.append(record)
            }
            if verdict.cameRound {
                logger.warning(
                    "meter \(meter.name): the \(step.kind.rawValue) ring came round while not reading: rereading all of it")
            }
            if let gap = verdict.gap {
                batch.gaps.append(gap)
                logger.warning("meter \(meter.name) (serial \(serial)): gap: \(gap)")
            }
        }
        batch.cursors = plan.cursors
        let stored = try store.save(batch)
        report(stored, meter: meter, serial: serial, slots: slots)
        progress(meter, before: cursors, after: plan.cursors, session: &session)
        if let readError { throw readError }
    }

    /// One warning per record newly kept with a flag, and the counts for `/metrics`.
    private func report(_ saved: ArchiveStore.Saved, meter: MeterConfig, serial: UInt32, slots: [[UInt8]: Int]) {
        let name = "meter \(meter.name) (serial \(serial))"
        for r in saved.new where r.flags.contains(.damaged) {
            let damage = r.record.damage.map(\.description).joined(separator: ", ")
            logger.warning(
                "\(name): \(r.kind.rawValue) record in ring slot \(slots[r.raw].map(String.init) ?? "?") is damaged (\(damage)): kept with every field that decodes, flagged damaged, filed under \(MeterClock(unixSeconds: r.period))"
            )
        }
        for r in saved.duplicates {
            logger.warning(
                "\(name): a second \(r.kind.rawValue) record for period \(MeterClock(unixSeconds: r.period)) (the meter's clock was set back?): both kept, the later written (time.powered \(ArchiveRecordText.formatNumber(r.powered)) s) flagged duplicate_period"
            )
        }
        let damaged = saved.new.filter { $0.flags.contains(.damaged) }.count
        let duplicates = saved.duplicates.count
        guard damaged + duplicates > 0 else { return }
        flagged.withLock { counts in
            counts[meter.name, default: [:]]["damaged", default: 0] += damaged
            counts[meter.name, default: [:]]["duplicate_period", default: 0] += duplicates
        }
    }

    /// `meter NAME: hourly backfill 412/1728` at each tenth, and a line when a backfill ends.
    private func progress(
        _ meter: MeterConfig, before: [ArchiveKind: ArchiveCursor], after: [ArchiveKind: ArchiveCursor],
        session: inout Session
    ) {
        for (kind, c) in after.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where c.backfillTotal > 1 {
            let wasLeft = before[kind]?.backfillLeft ?? 0
            if c.backfillLeft == 0 {
                if wasLeft > 0 {
                    logger.info(
                        "meter \(meter.name): \(kind.rawValue) backfill done (\(c.backfillDone)/\(c.backfillTotal) slots)")
                }
                continue
            }
            let tenth = c.backfillDone * 10 / c.backfillTotal
            if tenth >= session.nextTenth[kind, default: 1] {
                logger.info("meter \(meter.name): \(kind.rawValue) backfill \(c.backfillDone)/\(c.backfillTotal)")
                session.nextTenth[kind] = tenth + 1
            }
        }
    }

    private static func stamp(_ bytes: [UInt8]) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
