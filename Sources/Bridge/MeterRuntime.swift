import Config
import ModbusServer
import Synchronization
import TEMProtocol

/// One meter of the running bridge: its configuration, what to read, and its latest snapshot
/// and health. The line's poller writes it; the renderer reads it.
public final class MeterRuntime: Sendable {
    public let config: MeterConfig
    public let layout: RegisterLayout
    /// The archive kinds whose newest record the map serves.
    public let archiveKinds: Set<ArchiveKind>
    /// Whether the map serves `status.age`, the one value that moves with time alone.
    let servesAge: Bool

    struct State: Sendable {
        var snapshot: Snapshot?
        var health: MeterHealth
        /// The meter's identify reply (ASCII), once it has answered one.
        var model: String?
        /// Monotonic time before which a failed identify is not retried.
        var identifyAfter: UInt64 = 0
        /// What was last rendered, so that an unchanged rendering is not published again.
        var rendered: (registers: [UInt16], validUntil: UInt64?, identity: DeviceIdentity?, unavailable: [Bool]?)?
        /// The time-driven parts of the last rendering: `status.age` in whole seconds and the
        /// freshness (see `tickDue`).
        var renderedTime: (age: UInt64, fresh: Bool)?
        /// The time of the snapshot `rendered` was made from (nil: none, or not yet rendered).
        var renderedSnapshot: UInt64?
        /// What `MeterEvents` was last told: the snapshot's time and the freshness.
        var announced: (snapshotTime: UInt64?, online: Bool?) = (nil, nil)
    }

    private let state: Mutex<State>

    public init(config: MeterConfig) {
        self.config = config
        layout = RegisterLayout(entries: config.registers)
        archiveKinds = Set(
            config.registers.compactMap { entry in
                guard case let .value(definition) = entry.source, case let .archive(kind, _) = definition.source else {
                    return nil
                }
                return kind
            })
        servesAge = config.registers.contains {
            if case let .value(definition) = $0.source, case .status(.age) = definition.source { return true }
            return false
        }
        state = Mutex(State(snapshot: nil, health: MeterHealth(staleAfter: config.staleAfter)))
    }

    /// Whether time alone has changed what the meter renders since it was last rendered: its
    /// freshness, or the whole second of `status.age` when the map serves it. The renderer's
    /// tick renders only such meters, so ten thousand meters cost a lock and a comparison each
    /// per tick, not a rendering (polls render their meter themselves).
    func tickDue(now: UInt64, since start: UInt64) -> Bool {
        state.withLock { state in
            guard let rendered = state.renderedTime else { return true }
            if rendered.fresh != state.health.isFresh(at: now) { return true }
            return servesAge && rendered.age != Self.ageSeconds(state.health, now: now, since: start)
        }
    }

    private static func ageSeconds(_ health: MeterHealth, now: UInt64, since start: UInt64) -> UInt64 {
        (now &- (health.lastGood ?? start)) / 1_000_000_000
    }

    /// The reads of a poll with `comma` at `comma`: configuration and changing values; with
    /// `archivePointers`, the archive pointers too (for the archive keeper) whatever the map says.
    public func plans(comma: CommaAddress, archivePointers: Bool = false) -> TieredReadPlan {
        ReadPlanner.tiered(for: config, comma: comma, archivePointers: archivePointers)
    }

    /// Carries data over from the same meter under a previous mapping, so a reload loses nothing.
    func inherit(from old: MeterRuntime) {
        let (snapshot, health, model) = old.state.withLock { ($0.snapshot, $0.health, $0.model) }
        state.withLock {
            $0.snapshot = snapshot
            $0.model = model
            $0.health = health.with(staleAfter: config.staleAfter)
        }
    }

    func succeeded(_ snapshot: Snapshot) -> MeterHealth.Action? {
        state.withLock {
            $0.snapshot = snapshot
            return $0.health.pollSucceeded(at: snapshot.time)
        }
    }

    /// Whether to ask the meter's identify reply now: not yet known, and no failed attempt in
    /// the last 10 minutes (a meter that does not answer it costs its line one timeout per try).
    func needsModel(at now: UInt64) -> Bool { state.withLock { $0.model == nil && now >= $0.identifyAfter } }

    /// An identify command failed at `now`: try again in 10 minutes.
    func identifyFailed(at now: UInt64) {
        state.withLock { $0.identifyAfter = now &+ 600_000_000_000 }
    }

    /// Keeps the meter's identify reply, as ASCII (Cyrillic look-alikes as their Latin twins).
    func identified(_ reply: String) {
        let ascii = String(reply.unicodeScalars.map { Self.latinTwin($0) })
        state.withLock { $0.model = ascii }
    }

    /// `ТЕМС106` (cp1251 Cyrillic) → `TEMC106`; other non-ASCII characters → `?`.
    static func latinTwin(_ scalar: Unicode.Scalar) -> Character {
        if scalar.isASCII { return Character(scalar) }
        let twins: [Character: Character] = [
            "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
            "У": "Y", "Х": "X", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
        ]
        return twins[Character(scalar)] ?? "?"
    }

    func failed(at now: UInt64, reason: String) -> MeterHealth.Action? {
        state.withLock { $0.health.pollFailed(at: now, reason: reason) }
    }

    /// The latest snapshot and health, read together.
    func observed() -> (snapshot: Snapshot?, health: MeterHealth) {
        state.withLock { ($0.snapshot, $0.health) }
    }

    func tick(at now: UInt64) -> MeterHealth.Action? {
        state.withLock { $0.health.tick(at: now) }
    }

    /// What happened since the last call: the reading of a new good poll, and the freshness at
    /// `now` when it changed (the first call always gives it).
    func unannounced(now: UInt64) -> (reading: MeterReading?, online: Bool?) {
        state.withLock { state in
            var result: (reading: MeterReading?, online: Bool?) = (nil, nil)
            if let snapshot = state.snapshot, snapshot.time != state.announced.snapshotTime {
                state.announced.snapshotTime = snapshot.time
                result.reading = MeterReading(config: config, snapshot: snapshot)
            }
            let online = state.health.isFresh(at: now)
            if online != state.announced.online {
                state.announced.online = online
                result.online = online
            }
            return result
        }
    }

    /// The unit images of this meter at `now`: one snapshot, one health, rendered together.
    public func images(now: UInt64, since start: UInt64) -> [UnitImage] {
        render(now: now, since: start, onlyIfChanged: false) ?? []
    }

    /// The unit images at `now`, or nil when they equal the last ones rendered. The bridge
    /// re-renders every 100 ms for the status registers; most of those renderings change
    /// nothing, and publishing them would only rebuild the server's register tables.
    public func changedImages(now: UInt64, since start: UInt64) -> [UnitImage]? {
        render(now: now, since: start, onlyIfChanged: true)
    }

    private func render(now: UInt64, since start: UInt64, onlyIfChanged: Bool) -> [UnitImage]? {
        let (snapshot, health, model, previous) = state.withLock {
            ($0.snapshot, $0.health, $0.model, $0.renderedSnapshot == $0.snapshot?.time ? $0.rendered : nil)
        }
        // The same snapshot as last time: only the status registers can have changed (the
        // registers without a value are the same).
        let (registers, unavailable) =
            previous.map {
                let status = layout.renderStatus(over: $0.registers, snapshot: snapshot, health: health, now: now, since: start)
                return (status, $0.unavailable)
            } ?? layout.rendering(snapshot: snapshot, health: health, now: now, since: start)
        var identity: DeviceIdentity?
        if let snapshot, let model, let serial = snapshot.image.field(.u32, at: T2KMap.serialNumber) {
            identity = DeviceIdentity(modelName: model, serialNumber: UInt32(serial), networkAddress: config.address)
        }
        let unchanged = state.withLock { state in
            defer {
                state.rendered = (registers, health.validUntil, identity, unavailable)
                state.renderedTime = (Self.ageSeconds(health, now: now, since: start), health.isFresh(at: now))
                state.renderedSnapshot = snapshot?.time
            }
            return state.rendered.map {
                $0.registers == registers && $0.validUntil == health.validUntil && $0.identity == identity
                    && $0.unavailable == unavailable
            } ?? false
        }
        if onlyIfChanged, unchanged { return nil }
        // `nan`: the same rendering without meter data (NaN in floats, 0 in integers).
        let staleRegisters =
            config.onStale == .nan ? layout.withoutMeterData(registers, health: health, now: now, since: start) : nil
        return layout.images(
            unitIDs: config.unitIDs, registers: registers, validUntil: health.validUntil, onStale: config.onStale,
            staleRegisters: staleRegisters, identity: identity, unavailable: snapshot == nil ? nil : unavailable)
    }
}
