import ArchiveStore
import Config
import Logging
import ModbusServer
import TEMProtocol

/// The archive windows of a mapping (issue 22), answered from the archive store: a master
/// writes a period (year, month, day, hour, kind) to a window's cursor registers, or steps to
/// the next or previous stored record, and reads the record's values and a status.
///
/// One window per meter whose register set maps `archive_window.*`, on each of its unit ids.
/// Which records: the meter's (by its mapping name) of the kind asked, whose period lies in the
/// hour asked (hourly) or the day asked (daily and monthly: a daily record's period is its day,
/// a monthly one's the reporting date). Pure apart from the store reads: the cursor lives in the
/// registers the Modbus server keeps per connection.
public final class ArchiveWindows: ArchiveWindowService {
    struct Window: Sendable {
        let meter: String
        /// Cursor field → register address.
        let cursor: [ArchiveWindowField: UInt16]
        let status: UInt16?
        /// The entries showing the record under the cursor, with the record value each shows.
        let records: [(entry: RegisterEntry, name: String)]

        func field(at address: UInt16) -> ArchiveWindowField? { cursor.first { $0.value == address }?.key }
    }

    private let windows: [UInt8: [Window]]
    private let store: ArchiveStore
    private let logger: Logger

    /// The windows of `mapping`, or nil when it has none (or there is no store to serve them from;
    /// `check` refuses such a map).
    public init?(mapping: Mapping, store: ArchiveStore?, logger: Logger) {
        guard let store else { return nil }
        var windows: [UInt8: [Window]] = [:]
        for meter in mapping.meters {
            guard let window = Self.window(of: meter) else { continue }
            for unit in meter.unitIDs { windows[unit, default: []].append(window) }
        }
        guard !windows.isEmpty else { return nil }
        self.windows = windows
        self.store = store
        self.logger = logger
    }

    private static func window(of meter: MeterConfig) -> Window? {
        var cursor: [ArchiveWindowField: UInt16] = [:]
        var status: UInt16?
        var records: [(RegisterEntry, String)] = []
        for entry in meter.registers {
            guard case let .value(definition) = entry.source, case let .archiveWindow(value) = definition.source else {
                continue
            }
            switch value {
            case let .cursor(field): cursor[field] = entry.address
            case .status: status = entry.address
            case let .record(name): records.append((entry, name))
            }
        }
        guard !cursor.isEmpty || status != nil || !records.isEmpty else { return nil }
        return Window(meter: meter.name, cursor: cursor, status: status, records: records)
    }

    public func target(unit: UInt8, first: UInt16, count: Int) -> ArchiveWindowTarget {
        guard let list = windows[unit] else { return .noWindow }
        guard count > 0 else { return .notWritable }
        let addresses = Int(first)..<(Int(first) + count)
        for (index, window) in list.enumerated()
        where addresses.allSatisfy({ a in window.cursor.values.contains { Int($0) == a } }) {
            return .window(index)
        }
        return .notWritable
    }

    public func write(_ values: [UInt16], at first: UInt16, unit: UInt8, window index: Int, shown: [UInt16: UInt16])
        -> ArchiveWindowWrite
    {
        guard let window = windows[unit]?[safe: index] else { return .invalidValue }
        var cursor = Cursor(window: window, shown: shown)
        var step: UInt16?
        for (offset, value) in values.enumerated() {
            guard let field = window.field(at: first + UInt16(offset)), field.valid.contains(value) else {
                return .invalidValue
            }
            if field == .step { step = value } else { cursor.fields[field] = value }
        }
        let (moved, status, record) = look(window, cursor, step: step)
        return .accepted(render(window, moved, status, record))
    }

    /// The period and kind a master selected (0 = not written yet).
    struct Cursor {
        var fields: [ArchiveWindowField: UInt16] = [:]

        init(window: Window, shown: [UInt16: UInt16]) {
            for (field, address) in window.cursor where field != .step { fields[field] = shown[address] ?? 0 }
        }

        var kind: ArchiveKind? { ArchiveKind(windowCode: fields[.kind] ?? 0) }

        /// The start of the period selected (Unix seconds, meter local time read as UTC); nil
        /// until year, month and day are written, or for a date that does not exist.
        var period: Int? {
            guard let year = fields[.year], let month = fields[.month], let day = fields[.day], year > 0, month > 0, day > 0
            else { return nil }
            return MeterClock(
                year: Int(year), month: Int(month), day: Int(day), hour: Int(fields[.hour] ?? 0), minute: 0, second: 0
            ).unixSeconds
        }

        /// Points at `period`'s year, month, day and hour.
        mutating func move(to period: Int) {
            let clock = MeterClock(unixSeconds: period)
            fields[.year] = UInt16(clock.year)
            fields[.month] = UInt16(clock.month)
            fields[.day] = UInt16(clock.day)
            fields[.hour] = UInt16(clock.hour)
        }
    }

    /// The seconds one selected period spans: an hour for hourly records, a day otherwise.
    static func span(_ kind: ArchiveKind) -> Int { kind == .hourly ? 3600 : 86_400 }

    /// Looks the cursor's record up, or steps (1 next, 2 previous) to the nearest stored record
    /// beyond the cursor's period (from none: the oldest or the newest).
    private func look(_ window: Window, _ cursor: Cursor, step: UInt16?) -> (Cursor, ArchiveWindowStatus, StoredRecord?) {
        guard let kind = cursor.kind else { return (cursor, .none, nil) }
        do throws(StoreError) {
            if let step {
                let period = cursor.period
                let found =
                    step == 1
                    ? try neighbour(window.meter, kind, after: period.map { $0 + Self.span(kind) })
                    : try neighbour(window.meter, kind, before: period)
                if let found {
                    var moved = cursor
                    moved.move(to: found.period)
                    return (moved, Self.status(of: found), found)
                }
                var current: StoredRecord?
                if let period { current = try record(window.meter, kind, period: period) }
                return (cursor, .end, current)
            }
            guard let period = cursor.period else { return (cursor, .none, nil) }
            guard let found = try record(window.meter, kind, period: period) else { return (cursor, .missing, nil) }
            return (cursor, Self.status(of: found), found)
        } catch {
            logger.warning("archive window of meter \(window.meter): the archive store cannot be read: \(error)")
            return (cursor, .storeError, nil)
        }
    }

    /// Found, or damaged when a time stamp of the record is invalid (kept with its raw bytes).
    static func status(of stored: StoredRecord) -> ArchiveWindowStatus {
        stored.flags.contains(.damaged) ? .damaged : .found
    }

    /// The stored record of `meter` and `kind` whose period lies in the span starting at `period`.
    private func record(_ meter: String, _ kind: ArchiveKind, period: Int) throws(StoreError) -> StoredRecord? {
        try store.records(meter: meter, kind: kind, from: period, to: period + Self.span(kind) - 1).first
    }

    /// How far a step looks before it asks the whole store: a few periods' worth of records.
    private static func reach(_ kind: ArchiveKind) -> Int { 40 * span(kind) }

    /// The first stored record with a period at or after `start` (any, when nil).
    private func neighbour(_ meter: String, _ kind: ArchiveKind, after start: Int?) throws(StoreError) -> StoredRecord? {
        if let start,
            let near = try Self.earliest(store.records(meter: meter, kind: kind, from: start, to: start + Self.reach(kind)))
        {
            return near
        }
        return try Self.earliest(store.records(meter: meter, kind: kind, from: start))
    }

    /// The last stored record with a period before `end` (any, when nil).
    private func neighbour(_ meter: String, _ kind: ArchiveKind, before end: Int?) throws(StoreError) -> StoredRecord? {
        if let end, let near = try Self.latest(store.records(meter: meter, kind: kind, from: end - Self.reach(kind), to: end - 1))
        {
            return near
        }
        return try Self.latest(store.records(meter: meter, kind: kind, to: end.map { $0 - 1 }))
    }

    /// The store orders a meter's records by serial number, then period: a replaced meter's
    /// records come in two runs, so the nearest period is looked for across both.
    private static func earliest(_ records: [StoredRecord]) -> StoredRecord? { records.min { $0.period < $1.period } }

    private static func latest(_ records: [StoredRecord]) -> StoredRecord? { records.max { $0.period < $1.period } }

    /// Every register of `window`: the cursor as it stands, the status, and the record's values
    /// encoded as the map says (NaN, or 0 in integer registers, when there is no record).
    private func render(_ window: Window, _ cursor: Cursor, _ status: ArchiveWindowStatus, _ record: StoredRecord?)
        -> [UInt16: UInt16]
    {
        var registers: [UInt16: UInt16] = [:]
        for (field, address) in window.cursor { registers[address] = field == .step ? 0 : cursor.fields[field] ?? 0 }
        if let address = window.status { registers[address] = status.rawValue }
        for (entry, name) in window.records {
            let words = RegisterEncoder.encode(
                record?.record.values[name], type: entry.type, order: entry.order, scale: entry.scale)
            for (i, word) in words.enumerated() { registers[entry.address + UInt16(i)] = word }
        }
        return registers
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
