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

    struct State: Sendable {
        var snapshot: Snapshot?
        var health: MeterHealth
        /// What was last rendered, so that an unchanged rendering is not published again.
        var rendered: (registers: [UInt16], validUntil: UInt64?)?
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
        state = Mutex(State(snapshot: nil, health: MeterHealth(staleAfter: config.staleAfter)))
    }

    /// The reads of a poll with `comma` at `comma`: configuration and changing values.
    public func plans(comma: CommaAddress) -> TieredReadPlan { ReadPlanner.tiered(for: config, comma: comma) }

    /// Carries data over from the same meter under a previous mapping, so a reload loses nothing.
    func inherit(from old: MeterRuntime) {
        let (snapshot, health) = old.state.withLock { ($0.snapshot, $0.health) }
        state.withLock {
            $0.snapshot = snapshot
            $0.health = health.with(staleAfter: config.staleAfter)
        }
    }

    func succeeded(_ snapshot: Snapshot) -> MeterHealth.Action? {
        state.withLock {
            $0.snapshot = snapshot
            return $0.health.pollSucceeded(at: snapshot.time)
        }
    }

    func failed(at now: UInt64, reason: String) -> MeterHealth.Action? {
        state.withLock { $0.health.pollFailed(at: now, reason: reason) }
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
        let (snapshot, health) = state.withLock { ($0.snapshot, $0.health) }
        let registers = layout.render(snapshot: snapshot, health: health, now: now, since: start)
        let unchanged = state.withLock { state in
            defer { state.rendered = (registers, health.validUntil) }
            return state.rendered.map { $0.registers == registers && $0.validUntil == health.validUntil } ?? false
        }
        if onlyIfChanged, unchanged { return nil }
        return layout.images(unitIDs: config.unitIDs, registers: registers, validUntil: health.validUntil)
    }
}
