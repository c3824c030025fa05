import TEMProtocol

/// The statement of heat consumption a heat supplier and a building's operator exchange: one row
/// per day (hour, month) of `from...to` with, per fitted system, heat, masses, volumes,
/// temperatures and their difference, pressures and the hours of normal operation and of each
/// abnormal condition, then a totals row. A pure function of the meter's stored records.
///
/// A row's quantities (energy, mass, volume, time counters) are the difference of the meter's
/// own integrators between the row's record and the record of the period before: a day's
/// energy is its daily record (period in that day) minus the day before's. Temperatures and
/// pressures are the row's record's means. A period without a record, or whose previous period
/// has none, has no quantities (a gap is a gap, never interpolated); it is named in
/// `missing`. The totals row's quantities are the difference between the first and the last
/// reading in the window (the record of the period before `from`, else the first one after it;
/// the last one up to `to`), equal to the sum of the rows when nothing is missing;
/// temperatures and pressures are the means of the rows weighted by their periods' lengths.
///
/// Systems and channels: system N is taken to measure on channels 2N−1 (supply) and 2N
/// (return), as TEM-106 two-pipe systems are wired by default (docs/ARCHIVE-STORE.md says so):
/// its M1, M2, V1, V2, t1, t2, P1, P2 are `mass.2N−1`, `mass.2N`, …; systems 4 to 6 have heat
/// and hours only. A system is fitted when a record of the window has a non-zero energy or time
/// counter for it; a pressure channel when a record has a non-zero pressure on it.
public struct Statement: Sendable {
    /// One column: a value name (`energy.1`, `time.normal.1`, `dt.1`) and how it is totalled.
    public struct Column: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// A difference of integrators (energy in MWh, mass t, volume m³).
            case quantity
            /// A difference of a seconds counter, shown in hours.
            case hours
            /// A period mean (temperature °C, pressure MPa, temperature difference K).
            case mean
        }
        public var name: String
        public var unit: String
        public var kind: Kind
        /// The system it belongs to (0: the meter as a whole).
        public var system: Int
        /// A short label for people: `Q`, `M1`, `t2`, `dt`, `normal`, …
        public var label: String
    }

    /// One row: a period and its values by column name (absent: no value).
    public struct Row: Sendable, Hashable {
        /// Start of the period, Unix seconds (meter local time read as UTC).
        public var period: Int
        /// Its length in seconds.
        public var length: Int
        public var values: [String: Double]
        /// No record for this period.
        public var missing: Bool
        /// The quality flags of the records the row was computed from.
        public var flags: [String]
    }

    public var meter: String
    public var kind: ArchiveKind
    public var serialNumbers: [UInt32]
    /// First period's start and last period's start.
    public var from: Int
    public var to: Int
    public var columns: [Column]
    public var rows: [Row]
    public var total: Row
    /// The periods of the readings the totals are the difference of; nil without records.
    public var firstReading: Int?
    public var lastReading: Int?
    /// Periods of `from...to` without a record.
    public var missing: [Int] { rows.filter(\.missing).map(\.period) }
    /// Every quality flag of the records used, once each, sorted.
    public var flags: [String] { Array(Set(rows.flatMap(\.flags) + total.flags)).sorted() }

    /// The hour counters per system, in column order, with their labels.
    public static let counters: [(name: String, label: String)] = [
        ("normal", "normal"), ("below_gmin", "G<min"), ("above_gmax", "G>max"), ("below_dtmin", "dt<min"),
        ("fault", "fault"),
    ]

    /// - Parameters:
    ///   - records: the meter's records of `kind` (any order; others are ignored), including the
    ///     one of the period before `from`.
    ///   - from, to: any second of the first and of the last period.
    ///   - columns: the columns to fill; by default those of the systems and channels fitted.
    public init(meter: String, kind: ArchiveKind, from: Int, to: Int, records: [StoredRecord], columns: [Column]? = nil) {
        self.meter = meter
        self.kind = kind
        let periods = Self.periods(kind, from: from, to: to)
        self.from = periods.first!
        self.to = periods.last!
        let before = Self.periodStart(kind, Self.periodStart(kind, from) - 1)
        let window = records.filter { $0.kind == kind }
        var bySlot: [Int: [StoredRecord]] = [:]
        for record in window {
            let slot = Self.periodStart(kind, record.period)
            if slot >= before && slot <= self.to { bySlot[slot, default: []].append(record) }
        }
        serialNumbers = Array(Set(bySlot.values.joined().map(\.serialNumber))).sorted()
        // Two records of one period (the meter's clock set back): the one written last counts
        // (by `time.powered`, the meter's own order whatever its clock said, then the written stamp), and the row says
        // so through its records' flags.
        let chosen = bySlot.mapValues { list in
            list.max { ($0.powered, $0.written ?? .min) < ($1.powered, $1.written ?? .min) }!
        }
        func flags(_ slot: Int) -> [String] {
            guard let list = bySlot[slot] else { return [] }
            return Array(Set(list.flatMap(\.flagNames) + (list.count > 1 ? ["duplicate_period"] : []))).sorted()
        }
        let used = Array(chosen.values)
        let columns = columns ?? Self.columns(fitted: used)
        self.columns = columns
        func row(_ period: Int, previous: Int) -> Row {
            let length = Self.periodStart(kind, period + Self.longest(kind)) - period
            guard let record = chosen[period] else {
                return Row(period: period, length: length, values: [:], missing: true, flags: [])
            }
            let values = Self.values(columns, record: record, previous: chosen[previous])
            return Row(
                period: period, length: length, values: values, missing: false,
                flags: Array(Set(flags(period) + (chosen[previous] == nil ? [] : flags(previous)))).sorted())
        }
        var previous = before
        var rows: [Row] = []
        for period in periods {
            rows.append(row(period, previous: previous))
            previous = period
        }
        self.rows = rows
        let ordered = chosen.keys.sorted()
        firstReading = ordered.first
        lastReading = ordered.last
        var total = Row(period: self.from, length: 0, values: [:], missing: ordered.isEmpty, flags: [])
        if let first = ordered.first, let last = ordered.last, first < last {
            let totals = Self.values(columns, record: chosen[last]!, previous: chosen[first]!)
            for column in columns where column.kind != .mean { total.values[column.name] = totals[column.name] }
            total.length = last - first
        }
        for column in columns where column.kind == .mean {
            var sum = 0.0, weight = 0.0
            for row in rows { if let v = row.values[column.name] { sum += v * Double(row.length); weight += Double(row.length) } }
            if weight > 0 { total.values[column.name] = sum / weight }
        }
        total.flags = Array(Set(ordered.flatMap(flags))).sorted()
        self.total = total
    }

    /// A row's values: quantities and hours from `record` minus `previous` (none without it),
    /// means from `record`.
    static func values(_ columns: [Column], record: StoredRecord, previous: StoredRecord?) -> [String: Double] {
        var out: [String: Double] = [:]
        let now = record.record.values
        let then = previous?.record.values
        func difference(_ name: String) -> Double? {
            guard let a = now[name], let b = then?[name], a.isFinite, b.isFinite else { return nil }
            return a - b
        }
        for column in columns {
            let value: Double?
            switch column.kind {
            case .quantity:
                value = difference(column.name)
            case .hours:
                if column.name == "time.power_off" {
                    value = previous.flatMap { p in
                        difference("time.powered").map { (Double(record.period - p.period) - $0) / 3600 }
                    }
                } else {
                    value = difference(column.name).map { $0 / 3600 }
                }
            case .mean:
                if column.name.hasPrefix("dt.") {
                    let n = Int(column.name.dropFirst(3))!
                    value = now["temperature.\(2 * n - 1)"].flatMap { t1 in now["temperature.\(2 * n)"].map { t1 - $0 } }
                } else {
                    value = now[column.name]
                }
            }
            if let value, value.isFinite { out[column.name] = value }
        }
        return out
    }

    /// The columns for the fitted systems and channels among `records`.
    static func columns(fitted records: [StoredRecord]) -> [Column] {
        func nonZero(_ name: String) -> Bool {
            records.contains { r in r.record.values[name].map { $0.isFinite && $0 != 0 } ?? false }
        }
        var out: [Column] = []
        for n in 1...6 {
            let counters = counters.map { "time.\($0.name).\(n)" }
            guard n == 1 || nonZero("energy.\(n)") || counters.contains(where: nonZero) else { continue }
            out.append(Column(name: "energy.\(n)", unit: "MWh", kind: .quantity, system: n, label: "Q"))
            if n <= 3 {
                let (a, b) = (2 * n - 1, 2 * n)
                for (c, i) in [(a, 1), (b, 2)] {
                    out.append(Column(name: "mass.\(c)", unit: "t", kind: .quantity, system: n, label: "M\(i)"))
                }
                for (c, i) in [(a, 1), (b, 2)] {
                    out.append(Column(name: "volume.\(c)", unit: "m³", kind: .quantity, system: n, label: "V\(i)"))
                }
                for (c, i) in [(a, 1), (b, 2)] {
                    out.append(Column(name: "temperature.\(c)", unit: "°C", kind: .mean, system: n, label: "t\(i)"))
                }
                out.append(Column(name: "dt.\(n)", unit: "°C", kind: .mean, system: n, label: "dt"))
                for (c, i) in [(a, 1), (b, 2)] where nonZero("pressure.\(c)") {
                    out.append(Column(name: "pressure.\(c)", unit: "MPa", kind: .mean, system: n, label: "P\(i)"))
                }
            }
            for counter in Self.counters {
                out.append(
                    Column(name: "time.\(counter.name).\(n)", unit: "h", kind: .hours, system: n, label: counter.label))
            }
        }
        // The extra flowmeters 7 and 8 (`volume_dop`, issue 19), where fitted: the meter's, not a system's.
        for c in [7, 8] where nonZero("volume.\(c)") {
            out.append(Column(name: "volume.\(c)", unit: "m³", kind: .quantity, system: 0, label: "V\(c)"))
        }
        out.append(Column(name: "time.power_off", unit: "h", kind: .hours, system: 0, label: "power off"))
        return out
    }

    /// The start of the period of `kind` holding `t`: its hour, day (00:00) or month (the 1st).
    public static func periodStart(_ kind: ArchiveKind, _ t: Int) -> Int {
        switch kind {
        case .hourly: return floor(t, 3600)
        case .daily: return floor(t, 86_400)
        case .monthly:
            let c = MeterClock(unixSeconds: t)
            return MeterClock(year: c.year, month: c.month, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!
        }
    }

    /// The starts of the periods from the one holding `from` to the one holding `to`.
    public static func periods(_ kind: ArchiveKind, from: Int, to: Int) -> [Int] {
        var out: [Int] = []
        var p = periodStart(kind, from)
        let last = periodStart(kind, to)
        while p <= last {
            out.append(p)
            p = periodStart(kind, p + longest(kind))
        }
        return out
    }

    /// A length that reaches into the next period from any period's start, not beyond it.
    static func longest(_ kind: ArchiveKind) -> Int {
        switch kind {
        case .hourly: 3600
        case .daily: 86_400
        case .monthly: 31 * 86_400
        }
    }

    private static func floor(_ t: Int, _ step: Int) -> Int { t >= 0 ? t / step * step : (t - step + 1) / step * step }

    /// MWh in Gcal: 1 MWh = 3.6 GJ and 1 Gcal = 4.1868 GJ (the International Table calorie,
    /// 4.1868 J, ISO 80000-5), so 1 MWh = 0.859 845 2… Gcal.
    public static let gcalPerMWh = 3.6 / 4.1868
}
