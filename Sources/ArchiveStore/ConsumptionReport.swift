import TEMProtocol

/// The consumption report a heat supplier asks for, from a meter's daily records over
/// `from...to` (whole days): per system, the energy, volume and mass readings at the start and
/// the end and their difference, the hours of normal operation and of each error, and the
/// days with no record. A pure function of the records.
///
/// The start reading is the first daily record whose period is in `from − 1 day ... to` (the
/// record of the day before `from` is the reading at 00:00 of `from`); the end reading is the
/// last one in that window. A missing day is a day of `from...to` with no daily record (a
/// record counts for the day its period starts in, whatever its hour).
public struct ConsumptionReport: Sendable {
    /// One quantity of one system: readings and difference.
    public struct Quantity: Sendable, Hashable {
        public var name: String
        public var unit: String
        public var start: Double
        public var end: Double
        public var difference: Double { end - start }
    }

    /// One system (1...6).
    public struct System: Sendable, Hashable {
        public var number: Int
        /// energy.N, volume.N, mass.N.
        public var quantities: [Quantity]
        /// `normal`, `below_gmin`, `above_gmax`, `below_dtmin`, `fault` → hours in the period.
        public var hours: [(name: String, hours: Double)]

        public static func == (a: System, b: System) -> Bool {
            a.number == b.number && a.quantities == b.quantities && a.hours.map(\.name) == b.hours.map(\.name)
                && a.hours.map(\.hours) == b.hours.map(\.hours)
        }
        public func hash(into hasher: inout Hasher) { hasher.combine(number) }
    }

    public var meter: String
    public var serialNumbers: [UInt32]
    /// First and last day (Unix seconds of 00:00, meter local time read as UTC).
    public var from: Int
    public var to: Int
    /// The periods of the start and end readings; nil when there is no record at all.
    public var startPeriod: Int?
    public var endPeriod: Int?
    public var systems: [System]
    /// Days of `from...to` with no daily record (Unix seconds of their 00:00).
    public var missingDays: [Int]

    public static let timeCounters = ["normal", "below_gmin", "above_gmax", "below_dtmin", "fault"]

    /// - Parameter records: the meter's daily records (any order; others are ignored).
    public init(meter: String, from: Int, to: Int, records: [StoredRecord]) {
        self.meter = meter
        self.from = from
        self.to = to
        // A daily record counts for the day its period starts in, whatever the hour (a meter may
        // close its day at 06:00).
        func day(_ r: StoredRecord) -> Int { ArchivePeriods.ordinal(r.period, .daily) * 86_400 }
        let window = records.filter { $0.kind == .daily && day($0) >= from - 86_400 && day($0) <= to }
            .sorted { ($0.period, $0.powered) < ($1.period, $1.powered) }
        serialNumbers = Array(Set(window.map(\.serialNumber))).sorted()
        let present = Set(window.map(day))
        missingDays = stride(from: from, through: to, by: 86_400).filter { !present.contains($0) }
        let first = window.first, last = window.last
        startPeriod = first?.period
        endPeriod = last?.period
        func value(_ r: StoredRecord?, _ name: String) -> Double { r?.record.values[name] ?? 0 }
        systems = (1...6).map { n in
            System(
                number: n,
                quantities: [("energy", "MWh"), ("volume", "m³"), ("mass", "t")].map { name, unit in
                    Quantity(
                        name: "\(name).\(n)", unit: unit, start: value(first, "\(name).\(n)"),
                        end: value(last, "\(name).\(n)"))
                },
                hours: Self.timeCounters.map { counter in
                    let key = "time.\(counter).\(n)"
                    return (counter, (value(last, key) - value(first, key)) / 3600)
                })
        }
    }
}
