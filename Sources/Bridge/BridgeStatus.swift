import Config
import Glibc
import ModbusServer
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// What the running bridge is doing, read on demand for the operations console: every meter's
/// health and served values, every line's exchange counts, the Modbus server's counters. A value:
/// taking it copies what it needs and holds no lock afterwards.
public struct BridgeStatus: Sendable {
    public struct Meter: Sendable {
        public struct Value: Sendable, Equatable {
            /// The value's name (`temperature.1`), or `raw.0x0200` for a raw entry.
            public let name: String
            public let unit: String
            public let value: Double
        }
        public let name: String
        public let line: String
        public let address: UInt8
        public let unitIDs: [UInt8]
        public let state: MeterHealth.State
        /// Fresh data: a good poll within `stale_after`.
        public let online: Bool
        /// Seconds since the last good poll; nil before the first.
        public let ageSeconds: Double?
        public let pollsOK: Int
        public let pollsFailed: Int
        public let lastError: String?
        /// What may be wrong with the served numbers now (`status.quality`).
        public let quality: MeterQuality
        /// The values mapped for this meter, once each, in map order; only those it has.
        public let values: [Value]
    }

    public struct Line: Sendable {
        public let name: String
        public let endpoint: String
        /// Exchanges by outcome, in `LineMonitor.Outcome.allCases` order.
        public let exchanges: [LineMonitor.Outcome: Int]
        public var exchangesOK: Int { exchanges[.ok] ?? 0 }
        public var exchangesFailed: Int { exchanges.filter { $0.key != .ok }.values.reduce(0, +) }
    }

    public struct Modbus: Sendable {
        public let connections: Int
        public let requests: [ModbusCounters.RequestCount]
        public let refusedNotAllowed: Int
        public let refusedMaxConnections: Int
        public var totalRequests: Int { requests.reduce(0) { $0 + $1.count } }
    }

    /// Wall-clock start of the bridge, seconds since 1970.
    public let started: Double
    public let mapping: Mapping
    public let meters: [Meter]
    public let lines: [Line]
    public let modbus: Modbus
    public let reloadsOK: Int
    public let reloadsFailed: Int
    /// Archive records kept with a flag since start, by meter name then flag name (`damaged`,
    /// `duplicate_period`); empty without an archive store.
    public var archiveFlagged: [String: [String: Int]] = [:]

    /// The meters whose data is not fresh, by name.
    public var staleMeters: [String] { meters.filter { !$0.online }.map(\.name) }
}

extension Bridge {
    /// The bridge's status now.
    public func status() -> BridgeStatus {
        let (mapping, meters) = currentMapping()
        let now = MonotonicClock.now()
        let monitors = self.lineMonitors()
        var status = BridgeStatus(
            started: startedWall, mapping: mapping,
            meters: meters.map { Self.status(of: $0, now: now) },
            lines: mapping.lines.map { line in
                let monitor = monitors[line.name]
                return BridgeStatus.Line(
                    name: line.name, endpoint: "\(line.endpoint)",
                    exchanges: Dictionary(
                        uniqueKeysWithValues: LineMonitor.Outcome.allCases.map { ($0, monitor?.count($0) ?? 0) }))
            },
            modbus: modbusStatus(),
            reloadsOK: reloadsOK.load(ordering: .relaxed), reloadsFailed: reloadsFailed.load(ordering: .relaxed))
        status.archiveFlagged = keeper?.flaggedCounts() ?? [:]
        return status
    }

    /// Counts a reload that was refused (a bad map); good ones are counted by `reload`.
    public func reloadFailed() {
        reloadsFailed.wrappingAdd(1, ordering: .relaxed)
    }

    /// The line monitor for `line`, made on first use and kept across reloads.
    func monitor(of line: String) -> LineMonitor {
        lineMonitorsMutex.withLock { monitors in
            if let existing = monitors[line] { return existing }
            let made = LineMonitor(line: line, observers: lineObservers)
            monitors[line] = made
            return made
        }
    }

    private func lineMonitors() -> [String: LineMonitor] {
        lineMonitorsMutex.withLock { $0 }
    }

    static func status(of meter: MeterRuntime, now: UInt64) -> BridgeStatus.Meter {
        let (snapshot, health) = meter.observed()
        var seen = Set<String>()
        var values: [BridgeStatus.Meter.Value] = []
        for entry in meter.config.registers {
            let name: String
            switch entry.source {
            case let .value(definition): name = definition.name
            case let .raw(t2k, _): name = "raw." + hex(Int(t2k))
            }
            guard seen.insert(name).inserted,
                let value = RegisterLayout.value(of: entry.source, snapshot: snapshot, health: health, now: now, since: now),
                value.isFinite
            else { continue }
            values.append(.init(name: name, unit: entry.unitOfMeasure, value: value))
        }
        return BridgeStatus.Meter(
            name: meter.config.name, line: meter.config.line, address: meter.config.address,
            unitIDs: meter.config.unitIDs, state: health.state, online: health.isFresh(at: now),
            // A poll may land after `now` was taken: its age is 0, not a wrapped difference.
            ageSeconds: health.lastGood.map { $0 < now ? Double(now - $0) / 1e9 : 0 },
            pollsOK: health.pollsOK, pollsFailed: health.pollsFailed, lastError: health.lastError,
            quality: MeterQuality.now(snapshot: snapshot, health: health, at: now), values: values)
    }
}
