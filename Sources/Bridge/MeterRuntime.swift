import Mapping
import ModbusServer
import Synchronization
import TEMProtocol

/// One meter of the running bridge: its configuration, what to read, and its latest snapshot
/// and health. The line's poller writes it; the renderer reads it.
public final class MeterRuntime: Sendable {
    public let config: MeterConfig
    public let layout: RegisterLayout
    /// The T2K reads one poll makes.
    public let plan: ReadPlan
    /// The archive kinds whose newest record the map serves.
    public let archiveKinds: Set<ArchiveKind>

    struct State: Sendable {
        var snapshot: Snapshot?
        var health: MeterHealth
        /// What was last rendered, so that an unchanged rendering is not published again.
        var rendered: (registers: [UInt16], validUntil: UInt64?)?
    }

    private let state: Mutex<State>

    public init(config: MeterConfig) {
        self.config = config
        layout = RegisterLayout(entries: config.registers)
        var ranges: [ClosedRange<UInt16>] = []
        var kinds = Set<ArchiveKind>()
        for entry in config.registers {
            switch entry.source {
            case let .value(definition):
                ranges += definition.t2kRanges
                if case let .archive(kind, _) = definition.source { kinds.insert(kind) }
            case let .raw(t2k, type):
                ranges.append(t2k...(t2k + UInt16(type.size) - 1))
            }
        }
        if !kinds.isEmpty { ranges += ArchivePointers.t2kRanges }
        plan = ReadPlanner.plan(ranges)
        archiveKinds = kinds
        state = Mutex(State(snapshot: nil, health: MeterHealth(staleAfter: config.staleAfter)))
    }

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

    /// The latest snapshot and health, read together.
    func observed() -> (snapshot: Snapshot?, health: MeterHealth) {
        state.withLock { ($0.snapshot, $0.health) }
    }

    func tick(at now: UInt64) -> MeterHealth.Action? {
        state.withLock { $0.health.tick(at: now) }
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
