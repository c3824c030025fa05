import Config
import Glibc
import Logging
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// Polls the meters of one line on its own thread: meters in turn, exchanges never
/// overlapping, each meter at its own interval (`PollSchedule`), each poll publishing one
/// snapshot.
///
/// A poll reads the meter's configuration (`comma` location, `systems`, diameters, …) on first
/// contact, after it was offline or reset and every `config_interval`, and otherwise only the
/// values that change (`TieredReadPlan`); then the archive records whose pointer moved
/// (`ArchiveFollow`). An integrator that jumps ×10 or goes backwards between polls makes the
/// poll ask the meter where `comma` lives again before it is served (`IntegratorJump`). Each
/// snapshot carries what the poll found doubtful (`MeterQuality`). Stopping is prompt: the stop signal ends every sleep at once and no new
/// exchange starts once it fires, so `stop` waits at most for the exchange under way.
public final class Poller: Sendable {
    public let line: LineConfig
    public let meters: [MeterRuntime]
    private let openLink: @Sendable (Endpoint) throws(LinkError) -> any Link
    private let published: @Sendable (MeterRuntime) -> Void
    private let logger: Logger
    private let keeper: ArchiveKeeper?
    private let worker = Worker()
    private var stopping: StopSignal { worker.stopSignal }
    private let monitor: LineMonitor?
    /// Monotonic time by which the thread shows progress again: the end of its current sleep,
    /// or the end of the poll that just finished (a poll under way must end within
    /// `progressBound` of it).
    private let heartbeat = Atomic<UInt64>(MonotonicClock.now())
    /// The longest one poll may take, nanoseconds (from its start or from its last configuration
    /// read): a configuration read (every range, the comma check, identify), the archive records and the keeper's budget, each exchange failing.
    let progressBound: UInt64

    /// - Parameters:
    ///   - keeper: after each good poll, reads archive records into the store (within its budget).
    ///   - published: called after each poll (good or failed) so the caller can re-render.
    public init(
        line: LineConfig, meters: [MeterRuntime], logger: Logger = Logger(label: "tembridge.poller"),
        keeper: ArchiveKeeper? = nil,
        openLink: @escaping @Sendable (Endpoint) throws(LinkError) -> any Link,
        monitor: LineMonitor? = nil,
        published: @escaping @Sendable (MeterRuntime) -> Void
    ) {
        self.keeper = keeper
        self.monitor = monitor
        self.line = line
        self.meters = meters
        self.openLink = openLink
        self.published = published
        self.logger = logger
        let keeping = keeper?.config.readsPerPoll ?? 0
        // A configuration read with the comma check's 13 exchanges at most (4 T2K reads, 3 Flash
        // reads of record commas, then the second witness: 3 T2K and 3 Flash reads), identify, the
        // archive records (6 reads each; a damaged newest one may take `lookBack` more records)
        // and the keeper. A poll that re-verifies comma reads the configuration again; each
        // configuration read renews the heartbeat, so the bound holds for each part.
        let perKind = 6 * (1 + ArchiveFollow.lookBack)
        var exchanges = 1
        for meter in meters {
            let full = meter.plans(comma: .listed, archivePointers: keeper != nil).full.reads.count
            exchanges = max(exchanges, full + 14 + perKind * meter.archiveKinds.count + keeping)
        }
        let attempt = line.timeout.monotonicNanoseconds + 200_000_000  // + the drain after a failure
        progressBound = UInt64(exchanges) * UInt64(line.retries + 1) * attempt + 5_000_000_000
    }

    public func start() {
        worker.startEssential("poller of line \(line.name)") { self.run() }
    }

    /// Tells the thread to stop and returns at once: a sleep ends now, an exchange under way
    /// finishes (at most one exchange timeout), no other starts. `join()` waits for it.
    public func signalStop() { worker.signalStop() }

    /// Waits for the thread after `signalStop()`.
    public func join() { worker.join() }

    /// `signalStop()`, then `join()`.
    public func stop() { worker.stop() }

    /// Whether the thread showed progress recently enough at `now`: within the longest a poll
    /// of one of its meters may take (every exchange failing after all its retries) plus 5 s.
    /// A poller stuck beyond that is hung; the systemd watchdog stops being fed.
    public func isProgressing(at now: UInt64) -> Bool {
        let last = heartbeat.load(ordering: .relaxed)
        return now < last || now - last <= progressBound
    }

    private func run() {
        var schedule = PollSchedule(pollIntervals: meters.map(\.config.pollInterval), now: MonotonicClock.now())
        var states = meters.map(MeterPollState.init)
        var client: MeterClient?
        while let (i, at) = schedule.next() {
            heartbeat.store(max(at, MonotonicClock.now()), ordering: .relaxed)
            guard stopping.sleep(until: at) else { break }
            let meter = meters[i]
            schedule.started(i, at: MonotonicClock.now())
            var polled: T2KImage?
            do throws(PollError) {
                if client == nil {
                    do throws(LinkError) {
                        client = MeterClient(
                            link: try openLink(line.endpoint), settings: settings, stop: stopping, monitor: monitor)
                    } catch { throw .link(error) }
                }
                let snapshot = try poll(meter, client: client!, state: &states[i])
                schedule.ended(.succeeded, at: MonotonicClock.now())
                report(meter, meter.succeeded(snapshot), state: &states[i])
                polled = snapshot.image
            } catch {
                if error.isStopped { break }
                schedule.ended(error.isLinkDown ? .linkDown : .failed, at: MonotonicClock.now())
                report(meter, meter.failed(at: MonotonicClock.now(), reason: error.description), state: &states[i])
            }
            let now = MonotonicClock.now()
            for (j, other) in meters.enumerated() where other !== meter {
                report(other, other.tick(at: now), state: &states[j])
            }
            published(meter)
            // Served first; then the archive keeper reads within its budget of Flash reads, from
            // the pointers and serial number this poll read.
            if let polled, let client { keeper?.keep(meter.config, image: polled, client: client) }
            heartbeat.store(MonotonicClock.now(), ordering: .relaxed)
        }
        client?.link.close()
    }

    /// How often a meter whose `comma` location is a guess is asked again: a minute.
    static let unconfirmedCommaRecheck: UInt64 = 60_000_000_000

    private var settings: ExchangeSettings {
        ExchangeSettings(timeout: line.timeout, retries: line.retries)
    }

    /// One poll: configuration when due, the changing values, then the archive records whose
    /// pointer moved.
    private func poll(_ meter: MeterRuntime, client: MeterClient, state: inout MeterPollState) throws(PollError)
        -> Snapshot
    {
        let config = meter.config
        do throws(ExchangeError) {
            var image: T2KImage
            if let plans = state.plans, let kept = state.configuration, state.refresh.due(at: .now) == nil {
                image = try client.read(plans.steady, address: config.address)
                image.copy(plans.configurationRanges, from: kept)
                if let powered = image.value(of: MeterPollState.powered) { state.refresh.observed(powered: powered) }
                // time.powered went backwards: the meter was reset or replaced, and what was kept
                // may no longer be true. Read everything now rather than publish a mix.
                if state.refresh.due(at: .now) != nil { image = try readConfiguration(of: meter, client: client, state: &state) }
            } else {
                image = try readConfiguration(of: meter, client: client, state: &state)
            }
            // A guessed comma location is asked again every minute: the meter's first archive
            // record (or a map fixing it) settles it without waiting for `config_interval`.
            if let decision = state.comma, !decision.isConfirmed,
                MonotonicClock.now() &- state.commaDecidedAt >= Self.unconfirmedCommaRecheck
            {
                image = try readConfiguration(of: meter, client: client, state: &state)
            }
            // An integrator that jumped ×10 or went backwards: the meter may have been
            // reprogrammed. Ask it where comma lives and read everything again before serving;
            // a second read settles one torn by a reprogramming under way. A jump that stays is
            // served, flagged implausible (a meter reset or replaced).
            var jumped = false
            if let previous = state.previous,
                let jump = IntegratorJump.first(
                    image, comma: state.comma!.address, previous: previous.image, previousComma: previous.comma)
            {
                logger.warning("meter \(config.name): \(jump): re-verifying comma before serving this poll")
                image = try readConfiguration(of: meter, client: client, state: &state)
                if IntegratorJump.first(
                    image, comma: state.comma!.address, previous: previous.image, previousComma: previous.comma) != nil
                {
                    image = try readConfiguration(of: meter, client: client, state: &state)
                    jumped =
                        IntegratorJump.first(
                            image, comma: state.comma!.address, previous: previous.image, previousComma: previous.comma) != nil
                }
            }
            let decision = state.comma!
            let warnings = Plausibility.warnings(
                image, comma: decision.address, previous: state.previous?.comma == decision.address ? state.previous?.image : nil,
                commaChannels: decision.checkedChannels)
            for warning in warnings where state.warned.insert(warning.kind).inserted {
                logger.warning("meter \(config.name): \(warning.message)")
            }
            state.previous = (image, decision.address)
            if let pointers = ArchivePointers(image: image) {
                let reader = ArchiveReader(client: client, address: config.address)
                for (kind, index) in state.archive.toRead(pointers) {
                    let area = pointers.layout.area(kind)
                    let record = try? ArchiveRecord(bytes: try reader.recordBytes(in: area, index: index))
                    state.archive.recorded(kind, index: index, record)
                    guard let record, record.isDamaged else { continue }
                    logger.warning(
                        "meter \(config.name): newest \(kind.rawValue) record \(index) is damaged (\(record.damage.map(\.description).joined(separator: ", "))): archive.\(kind.rawValue).* keep the last good record"
                    )
                    // No good record yet (a start): the last good one is a few slots back.
                    var back = 1
                    while !state.archive.hasGood(kind), back <= ArchiveFollow.lookBack {
                        let slot = (index - back + area.records) % area.records
                        guard let older = try? ArchiveRecord(bytes: try reader.recordBytes(in: area, index: slot)) else { break }
                        state.archive.recordedOlder(kind, older)
                        back += 1
                    }
                }
            }
            var quality = MeterQuality.archiveDamaged(damagedKinds: state.archive.newestDamaged)
            if !decision.isConfirmed { quality.insert(.commaUnconfirmed) }
            if !warnings.isEmpty || jumped { quality.insert(.implausible) }
            // Once per meter, for Read Device Identification; a meter that does not answer it is
            // asked again 10 minutes later, and its data is served all the same.
            if meter.needsModel(at: MonotonicClock.now()) {
                if let model = try? client.identify(address: config.address) {
                    meter.identified(model)
                } else {
                    meter.identifyFailed(at: MonotonicClock.now())
                }
            }
            return Snapshot(
                image: image, archive: state.archive.records, archiveDamaged: state.archive.newestDamaged,
                comma: decision.address, sharedCommaBytes: SharedCommaBytes.readable(under: decision),
                time: MonotonicClock.now(), quality: quality)
        } catch {
            throw .exchange(error)
        }
    }

    /// Asks the meter where `comma` lives, then reads every range (configuration and changing
    /// values) at that location; the image becomes the kept configuration.
    private func readConfiguration(of meter: MeterRuntime, client: MeterClient, state: inout MeterPollState)
        throws(ExchangeError) -> T2KImage
    {
        let config = meter.config
        heartbeat.store(MonotonicClock.now(), ordering: .relaxed)
        let decision = try CommaDetection.decide(client: client, address: config.address, override: config.commaAddress)
        if decision.summary != state.comma?.summary {
            logger.info("meter \(config.name): \(decision.summary)")
            if let warning = decision.warning { logger.warning("meter \(config.name): \(warning)") }
        }
        // With a keeper, every poll reads the archive pointers it follows.
        let plans = meter.plans(comma: decision.address, archivePointers: keeper != nil)
        let image = try client.read(plans.full, address: config.address)
        state.comma = decision
        state.commaDecidedAt = MonotonicClock.now()
        state.plans = plans
        state.configuration = image
        state.refresh.configurationRead(at: .now)
        if let powered = image.value(of: MeterPollState.powered) { state.refresh.observed(powered: powered) }
        return image
    }

    private func report(_ meter: MeterRuntime, _ action: MeterHealth.Action?, state: inout MeterPollState) {
        guard let action else { return }
        let name = "meter \(meter.config.name) (address \(meter.config.address) on \(line.endpoint))"
        switch action {
        case let .cameOnline(firstTime, failed):
            logger.info(firstTime ? "\(name): online" : "\(name): back online after \(failed) failed poll(s)")
        case let .startedFailing(reason):
            logger.warning("\(name): poll failed, serving last data until stale: \(reason)")
        case let .wentOffline(reason):
            // It may be another meter when it answers again: ask it everything anew then.
            state.refresh.wentOffline()
            logger.error("\(name): offline, registers answer 0B: \(reason)")
        }
    }
}

/// What the poller keeps of one meter between polls, on its own thread: where `comma` lives,
/// the plans for that location, the last configuration read, the previous image (for
/// plausibility and `comma` re-verification), the warnings already given and the archive
/// records followed.
struct MeterPollState {
    static let powered = ValueCatalog.definition(named: "time.powered")!

    var refresh: ConfigurationRefresh
    var comma: CommaDecision?
    /// Monotonic time `comma` was last decided.
    var commaDecidedAt: UInt64 = 0
    var plans: TieredReadPlan?
    /// The image of the last configuration read (all of `plans.full`).
    var configuration: T2KImage?
    /// The previous poll's image and the `comma` location it was scaled with.
    var previous: (image: T2KImage, comma: CommaAddress)?
    var warned: Set<PlausibilityWarning.Kind> = []
    var archive: ArchiveFollow

    init(_ meter: MeterRuntime) {
        refresh = ConfigurationRefresh(interval: meter.config.configInterval)
        archive = ArchiveFollow(kinds: meter.archiveKinds)
    }
}

/// Why a poll failed.
enum PollError: Error, CustomStringConvertible {
    case link(LinkError)
    case exchange(ExchangeError)

    var description: String {
        switch self {
        case let .link(e): "\(e)"
        case let .exchange(e): "\(e)"
        }
    }

    /// The link itself failed (as opposed to the meter answering badly or not at all).
    var isLinkDown: Bool {
        switch self {
        case .link: true
        case let .exchange(e): if case .link = e.reason { true } else { false }
        }
    }

    /// The poller's stop signal ended the poll: nothing failed.
    var isStopped: Bool {
        if case let .exchange(e) = self, case .stopped = e.reason { return true }
        return false
    }
}
