import TEMProtocol

extension ArchiveKind {
    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .hourly: 0
        case .daily: 1
        case .monthly: 2
        }
    }
}

/// A meter's Flash archive: three rings of 384-byte records (hourly, daily, monthly) in erased
/// (0xFF) Flash, the index each ring writes next, and the running means of the open periods.
struct MeterArchive: Sendable {
    /// Sums over the period a record will cover.
    struct PeriodMeans: Sendable {
        private var temperatureSums = [Double](repeating: 0, count: 7)
        private var pressureSums = [Double](repeating: 0, count: 6)
        private var seconds: Double = 0
        private(set) var errors = [UInt8](repeating: 0, count: 6)

        mutating func add(_ r: HeatingProcess.Readings, seconds dt: Double, errors bits: [UInt8]) {
            for i in 0..<7 { temperatureSums[i] += r.temperatures[i] * dt }
            for i in 0..<6 { pressureSums[i] += r.pressures[i] * dt }
            seconds += dt
            for i in 0..<6 { errors[i] |= bits[i] }
        }

        /// Mean temperatures and pressures, or `now`'s readings if no time has passed.
        func means(or now: HeatingProcess.Readings) -> (temperatures: [Double], pressures: [Double]) {
            guard seconds > 0 else { return (now.temperatures, Array(now.pressures.prefix(6))) }
            return (temperatureSums.map { $0 / seconds }, pressureSums.map { $0 / seconds })
        }
    }

    let layout: FlashLayout
    private(set) var flash: SparseMemory
    /// Index (0 ..< records) of the record each ring writes next.
    private(set) var nextIndex: [ArchiveKind: Int] = [.hourly: 0, .daily: 0, .monthly: 0]
    /// Records written since the meter started, per ring (not wrapped).
    private(set) var written: [ArchiveKind: Int] = [.hourly: 0, .daily: 0, .monthly: 0]
    /// The open period of each ring, in `ArchiveKind.allCases` order.
    private(set) var periods = [PeriodMeans](repeating: PeriodMeans(), count: ArchiveKind.allCases.count)

    init(layout: FlashLayout) {
        self.layout = layout
        flash = SparseMemory(size: layout.kib * 1024)
    }

    /// Writes `record` into the next slot of `kind`'s ring and moves the pointer on, wrapping.
    mutating func append(_ record: [UInt8], kind: ArchiveKind) {
        let area = layout.area(kind), index = nextIndex[kind]!
        flash.write(record, at: Int(area.address(ofRecord: index)))
        nextIndex[kind] = (index + 1) % area.records
        written[kind]! += 1
        periods[kind.index] = PeriodMeans()
    }

    /// Overwrites the month of the written stamp (or the `period` stamp) of `kind`'s `age`-th
    /// newest record (1 = the one written last) with 0x13, as a Flash fault might; nothing if the
    /// ring holds fewer records.
    mutating func damage(_ kind: ArchiveKind, age: Int, period: Bool = false) {
        let area = layout.area(kind)
        guard age >= 1, age <= min(written[kind]!, area.records) else { return }
        let index = (nextIndex[kind]! - age + area.records) % area.records
        let stamp = period ? ArchiveRecord.Offset.period : ArchiveRecord.Offset.written
        let month = Int(area.address(ofRecord: index)) + stamp + 2
        flash.write([0x13], at: month)
    }

    /// The open period of `kind`.
    func period(_ kind: ArchiveKind) -> PeriodMeans { periods[kind.index] }

    /// Adds one integration step to every open period.
    mutating func add(_ r: HeatingProcess.Readings, seconds: Double, errors: [UInt8]) {
        for i in periods.indices { periods[i].add(r, seconds: seconds, errors: errors) }
    }

    /// `adr_hour`/`adr_day`/`adr_month`: the next record's address + 0x200000.
    func pointer(_ kind: ArchiveKind) -> UInt32 {
        layout.area(kind).address(ofRecord: nextIndex[kind]!) + FlashLayout.pointerOffset
    }

    /// Flash bytes, or nil if the range leaves the Flash.
    func read(at address: UInt32, count: Int) -> [UInt8]? {
        guard Int(address) + count <= flash.size else { return nil }
        return flash.read(at: Int(address), count: count)
    }
}
