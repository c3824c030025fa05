import TEMProtocol

/// One simulated TEM-106 at a network address: a 2 KiB T2K image whose values move with the
/// meter's (simulated) time, and a Flash archive written as the clock passes hours, midnights
/// and the monthly reporting day (the 1st).
///
/// A value type with no I/O and no wall clock: it moves only when told to (`advance`), so a test
/// can drive it exactly. `MeterLine` maps real time onto it. Same seed, start and steps give the
/// same bytes.
///
/// Configuration (written to T2K): 2 systems — system 1 type 4 (open two-pipe system, flow and
/// pressure channels 1–2, temperature channels 1, 2 and cold water 5), system 2 type 7 (hot water
/// with circulation, channels 3–4 and 5); `comma` = 3, 4, 3, 3, 3, 3 (so energy.1 has k = 100,
/// energy.2 k = 1000, volume.2 and mass.2 k = 100, other volume and mass k = 10); serial number distinct
/// per address and per restart; `net_num` = the address.
public struct SimulatedMeter: Sendable {
    /// The identify reply: `ТЕМС106` in cp1251.
    public static let identity: [UInt8] = [0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36]
    /// `comma` per channel/system, as the meter starts (`rescale(by:)` reprograms it).
    public static let comma: [UInt8] = [3, 4, 3, 3, 3, 3]
    /// Number of heat systems configured.
    public static let systems = 2
    /// The day of the month the monthly record is written (at 00:00; `reporting_day`).
    public let reportingDay: Int
    /// The hour the daily record is written at (`day_hour`).
    public let dayHour: Int
    /// The hourly record (counted from the first written) after which the clock goes back an
    /// hour (`clock_back`); nil once done or never.
    private var clockBackAfter: Int?

    /// The default diameters of the extra flowmeters 7 and 8 (`diam78` I[2], mm), written at
    /// 0x02FA when `comma` lives at 0x02E8: read there as comma codes they are invalid for system 2.
    public static let standardDiameter78: [UInt16] = [15, 20]

    /// The network address (`net_num`).
    public let address: UInt8
    /// `comma` per channel/system now.
    public private(set) var commaCodes = Self.comma
    /// `diam78` I[2] (mm), written at 0x02FA when `comma` lives at 0x02E8.
    public let diameter78: [UInt16]
    /// Where this meter keeps `comma` in T2K (PROTOCOL-NOTES decision 1); archive records carry
    /// it at record offset 0x118 either way.
    public let commaAddress: CommaAddress
    public let flashLayout: FlashLayout
    /// This meter's own seed (the line's seed mixed with the address).
    public let seed: UInt64
    /// Integrator speed-up: 1 is the real process, 1000 grows energy, volume and mass 1000× faster.
    public var integratorRate: Double
    /// The meter's local time, Unix seconds (local time read as UTC), fractional.
    public private(set) var time: Double
    /// How many times the meter restarted.
    public private(set) var restarts = 0
    /// The serial number of the line's meters before the address and restarts are added.
    private let serialBase: UInt32

    private let process: HeatingProcess
    private var totals: Totals
    private var archive: MeterArchive
    private var memory = [UInt8](repeating: 0, count: T2KMap.size)

    /// A meter as `options` describe (flash size, seed, integrator rate) at `address`, its clock at
    /// `options.startTime`, with `options.historyHours` of archive already written (simulated hour
    /// by hour up to the start) and, if there is any history, three monthly records before it;
    /// then `options.damaged` records get an impossible date.
    public init(address: UInt8, options: SimulatorOptions) {
        self.address = address
        flashLayout = options.flash
        commaAddress = options.comma
        diameter78 = options.diameter78
        seed = SeededRandom.hash(options.seed, UInt64(address))
        serialBase = 10_000_000 + UInt32(options.seed % 10_000) * 1000
        integratorRate = options.integratorRate
        reportingDay = options.reportingDay
        dayHour = options.dayHour
        clockBackAfter = options.clockBackAfter
        process = HeatingProcess(seed: seed)
        archive = MeterArchive(layout: options.flash)
        let start = Double(options.startTime)
        time = start - Double(options.historyHours) * 3600
        totals = Self.initialTotals(seed: seed)
        writeConfiguration()
        if options.historyHours > 0 { backfillMonthly(count: 3) }
        advance(to: start)
        clockBackAfter = nil  // a history option: real time never steps back
        for damage in options.damaged { archive.damage(damage.kind, age: damage.age, period: damage.period) }
        render()  // `advance` renders only when it moves (not without history)
    }

    // MARK: Reading

    /// The factory serial number (`Number`): distinct per address, changes at each restart.
    public var serialNumber: UInt32 {
        serialBase &+ UInt32(truncatingIfNeeded: restarts) &* 256 &+ UInt32(address)
    }

    /// The meter clock (whole seconds).
    public var clock: MeterClock { MeterClock(unixSeconds: Int(time.rounded(.down))) }

    /// A copy of the whole 2 KiB T2K memory.
    public func t2k() -> [UInt8] { memory }

    /// `count` Flash bytes at `address` (0xFF where never written), or nil past the end of Flash.
    public func flash(at address: UInt32, count: Int) -> [UInt8]? { archive.read(at: address, count: count) }

    /// Archive records written since the meter was made (history included), per ring, not wrapped.
    public func recordsWritten(_ kind: ArchiveKind) -> Int { archive.written[kind]! }

    /// The reply data a real meter sends for `command`, or nil where it stays silent: a read of
    /// 0 or more than 64 bytes, or one that leaves T2K or Flash.
    public func reply(to command: Command) -> [UInt8]? {
        switch command {
        case .identify:
            return Self.identity
        case let .readT2K(address, length):
            let start = Int(address), end = start + Int(length)
            guard (1...Command.maxReadLength).contains(Int(length)), end <= T2KMap.size else { return nil }
            return Array(memory[start..<end])
        case let .readFlash(address, length):
            guard (1...Command.maxReadLength).contains(Int(length)) else { return nil }
            return archive.read(at: address, count: Int(length))
        }
    }

    // MARK: Moving

    /// Runs the meter up to `target` (ignored if not later than `time`): integrators and time
    /// counters advance, and a record is written at every hour boundary passed.
    public mutating func advance(to target: Double) {
        guard target > time else { return }
        while time < target {
            let boundary = (time / 3600).rounded(.down) * 3600 + 3600
            let stepEnd = min(target, boundary, time + Self.maxStep)
            integrate(from: time, to: stepEnd)
            time = stepEnd
            if time == boundary {
                writeRecords(at: boundary)
                if let n = clockBackAfter, archive.written[.hourly]! == n {
                    // Set back an hour: the next record has the period of the one just written.
                    time -= 3600
                    clockBackAfter = nil
                }
            }
        }
        render()
    }

    /// Runs the meter `seconds` on.
    public mutating func advance(by seconds: Double) { advance(to: time + seconds) }

    /// The meter restarts: a new serial number, integrators and time counters back to zero. The
    /// clock and the archive (Flash) survive.
    public mutating func restart() {
        restarts += 1
        totals = Totals()
        writeConfiguration()
        render()
    }

    /// The meter is reprogrammed `steps` decimals finer (negative: coarser): every `comma` code
    /// moves by `steps` (kept in 0...6) and L + F of every integrator is rescaled so that the
    /// totals (L + F) / k stay what they were. Records written from now on carry the new codes.
    public mutating func rescale(by steps: Int) {
        let oldV = volumeDivisors, oldQ = energyDivisors
        commaCodes = commaCodes.map { UInt8(min(6, max(0, Int($0) + steps))) }
        let v = zip(volumeDivisors, oldV).map { $0 / $1 }, q = zip(energyDivisors, oldQ).map { $0 / $1 }
        totals = totals.rescaled(volume: v, energy: q)
        writeConfiguration()
        render()
    }

    /// The longest integration step (readings are taken at each step's midpoint).
    static let maxStep = 900.0

    private mutating func integrate(from a: Double, to b: Double) {
        let dt = b - a
        let r = process.readings(at: (a + b) / 2)
        let errors = errorBits(hour: Int64(((a + b) / 2 / 3600).rounded(.down)))
        // Units of 1/k per (unit of flow or power × hour), times the hours of this step.
        let hours = integratorRate * dt / 3600
        for i in 0..<6 {
            totals.volume[i].add(r.flows[i] * volumeDivisors[i] * hours)
            totals.mass[i].add(r.massFlows[i] * volumeDivisors[i] * hours)
            totals.energy[i].add(r.power[i] * energyDivisors[i] * hours)
        }
        // PROTOCOL-NOTES decision 3 and ValueCatalog: energyall and volume_78 use channel 1's comma.
        totals.energyTotal.add(r.power.reduce(0, +) * energyDivisors[0] * hours)
        for i in 0..<2 { totals.extraVolume[i].add(r.extraFlows[i] * volumeDivisors[0] * hours) }
        totals.timePowered += dt
        for s in 0..<Self.systems { totals.addTime(dt, system: s, errors: errors[s]) }
        archive.add(r, seconds: dt, errors: errors)
    }

    /// The volume/mass and energy divisors k of each channel/system, as the meter starts.
    private static let kV = comma.map { Integrator.Scaling.volume.divisor(comma: $0) }
    private static let kQ = comma.map { Integrator.Scaling.energy.divisor(comma: $0) }
    /// The divisors k of the codes now.
    private var volumeDivisors: [Double] { commaCodes.map { Integrator.Scaling.volume.divisor(comma: $0) } }
    private var energyDivisors: [Double] { commaCodes.map { Integrator.Scaling.energy.divisor(comma: $0) } }

    /// How fast each integrator grows under readings `r`, in units of 1/k per second (a `Totals`
    /// used as a vector of rates), as `integrate` adds them.
    private func unitsPerSecond(_ r: HeatingProcess.Readings) -> Totals {
        var rate = Totals()
        let perSecond = integratorRate / 3600
        for i in 0..<6 {
            rate.volume[i] = Counter(units: r.flows[i] * volumeDivisors[i] * perSecond)
            rate.mass[i] = Counter(units: r.massFlows[i] * volumeDivisors[i] * perSecond)
            rate.energy[i] = Counter(units: r.power[i] * energyDivisors[i] * perSecond)
        }
        rate.energyTotal = Counter(units: r.power.reduce(0, +) * energyDivisors[0] * perSecond)
        for i in 0..<2 { rate.extraVolume[i] = Counter(units: r.extraFlows[i] * volumeDivisors[0] * perSecond) }
        return rate
    }

    /// The error bits of each system during one hour: a rare ΔT < min (bit 4) or G1 < min (bit 0),
    /// a hash of seed and hour so they do not depend on how the meter was stepped.
    private func errorBits(hour: Int64) -> [UInt8] {
        var bits = [UInt8](repeating: 0, count: 6)
        for s in 0..<Self.systems {
            switch SeededRandom.mix(seed ^ SeededRandom.mix(UInt64(bitPattern: hour) &* 8 &+ UInt64(s))) % 100 {
            case 0..<3: bits[s] = 0x10
            case 3: bits[s] = 0x01
            default: break
            }
        }
        return bits
    }

    // MARK: Archive

    /// At an hour boundary: the hourly record; at `dayHour` the daily one; at midnight of the
    /// reporting day the monthly one. Each covers the period that just ended.
    private mutating func writeRecords(at boundary: Double) {
        let now = MeterClock(unixSeconds: Int(boundary))
        let readings = process.readings(at: boundary)
        write(.hourly, written: now, period: MeterClock(unixSeconds: Int(boundary) - 3600), readings)
        if now.hour == dayHour {
            write(.daily, written: now, period: MeterClock(unixSeconds: Int(boundary) - 86_400), readings)
        }
        guard now.hour == 0, now.day == Self.day(reportingDay, ofMonth: now.month, year: now.year) else { return }
        write(.monthly, written: now, period: previousReportingDate(before: now), readings)
    }

    /// The reporting day in a month: the day itself, or the month's last day when it is shorter.
    static func day(_ reportingDay: Int, ofMonth month: Int, year: Int) -> Int {
        min(reportingDay, MeterClock.daysIn(month: month, year: year))
    }

    private mutating func write(
        _ kind: ArchiveKind, written: MeterClock, period: MeterClock,
        _ readings: HeatingProcess.Readings, totals: Totals? = nil
    ) {
        let periodMeans = archive.period(kind)
        let means = periodMeans.means(or: readings)
        let record = ArchiveRecordEncoder.encode(
            .init(
                written: written, period: period, totals: totals ?? self.totals, comma: commaCodes,
                temperatures: means.temperatures, pressures: means.pressures, errors: periodMeans.errors))
        archive.append(record, kind: kind)
    }

    /// Monthly records for the `count` reporting dates before the start of the history, with
    /// integrators lowered by the current rates so the archive reads as one rising series.
    private mutating func backfillMonthly(count: Int) {
        let now = clock
        var date = MeterClock(
            year: now.year, month: now.month, day: Self.day(reportingDay, ofMonth: now.month, year: now.year), hour: 0,
            minute: 0, second: 0)
        if date.unixSeconds! > now.unixSeconds! { date = previousReportingDate(before: date) }
        var dates = [date]
        while dates.count < count { dates.append(previousReportingDate(before: dates.last!)) }
        let rates = unitsPerSecond(process.readings(at: time))
        for date in dates.reversed() {
            let seconds = time - Double(date.unixSeconds!)
            write(
                .monthly, written: date, period: previousReportingDate(before: date),
                process.readings(at: Double(date.unixSeconds!)),
                totals: totals.earlier(by: seconds, unitsPerSecond: rates))
        }
    }

    /// 00:00 of the reporting day in the month before `date`'s.
    func previousReportingDate(before date: MeterClock) -> MeterClock {
        let (year, month) = date.month == 1 ? (date.year - 1, 12) : (date.year, date.month - 1)
        return MeterClock(
            year: year, month: month, day: Self.day(reportingDay, ofMonth: month, year: year), hour: 0, minute: 0, second: 0)
    }

    // MARK: T2K image

    /// Programmed temperatures (`t_p`, °C): element 5 is the cold water used without a sensor.
    public static let programmedTemperatures: [Double] = [95, 70, 65, 40, 5, 20, 15, 10]
    /// Programmed pressures (`p_p`, MPa).
    public static let programmedPressures: [Double] = [0.6, 0.4, 0.5, 0.35, 0.25, 0.2, 0.15, 0.1]
    /// Pulse weights (`Weight`) of flow channels 1...6.
    public static let pulseWeights: [Double] = [0.01, 0.01, 0.001, 0.001, 0, 0]
    /// Gmax of the extra flowmeters 7 and 8 (`g_max78`, m³/h).
    public static let gMax78: [Double] = [4, 6.3]
    /// Maximum frequencies (`f_max`, kHz) in the seed's element order: channels 7, 8, 3, 4, 5, 6.
    public static let fMax: [Double] = [0.5, 0.25] + HeatingProcess.fMaxKHz[2...5]
    /// `sys_g`, `sys_t`, `sys_p`: the channels each system uses (bit 0 = channel 1).
    public static let systemChannels: (flow: [UInt8], temperature: [UInt8], pressure: [UInt8]) = (
        [0x03, 0x0C, 0, 0, 0, 0], [0x13, 0x1C, 0, 0, 0, 0], [0x03, 0x0C, 0, 0, 0, 0]
    )
    /// `used_g`, `used_t`, `used_p`.
    public static let sensorsUsed: [UInt8] = [0x0F, 0x1F, 0x0F]
    /// `rshm`: the flowmeters' binding to the systems.
    public static let flowmeterBinding: [UInt8] = [1, 1, 2, 2, 0, 0]

    /// The configuration part of T2K (fixed, apart from the serial number after a restart).
    private mutating func writeConfiguration() {
        memory.store(bytes: [UInt8(Self.systems)], at: Int(T2KMap.systems))
        memory.store(bytes: [4, 7, 0, 0, 0, 0], at: Int(T2KMap.systemType))
        memory.store(bytes: Self.systemChannels.flow, at: Int(T2KMap.systemFlowChannels))
        memory.store(bytes: Self.systemChannels.temperature, at: Int(T2KMap.systemTemperatureChannels))
        memory.store(bytes: Self.systemChannels.pressure, at: Int(T2KMap.systemPressureChannels))
        memory.store(bytes: Self.sensorsUsed, at: Int(T2KMap.usedFlowSensors))
        memory.store(floats: Self.programmedTemperatures, at: Int(T2KMap.programmedTemperature))
        memory.store(floats: [3, 2, 0, 0, 0, 0], at: Int(T2KMap.dtMin))
        memory.store(floats: Self.programmedPressures, at: Int(T2KMap.programmedPressure))
        memory.store(floats: Self.pulseWeights, at: Int(T2KMap.pulseWeight))
        memory.store(floats: Self.gMax78, at: Int(T2KMap.gMax78))
        memory.store(floats: Self.fMax, at: Int(T2KMap.fMax))
        memory.store(floats: HeatingProcess.gMax, at: Int(T2KMap.gMax))
        memory.store(bytes: [100, 100, 100, 100, 0, 0], at: Int(T2KMap.gMaxPercent))
        memory.store(serialNumber, at: Int(T2KMap.serialNumber))
        memory.store(flashLayout.flashType, at: Int(T2KMap.flashType))
        memory.store(bytes: [address], at: Int(T2KMap.networkAddress))
        memory.store(halfwords: [50, 50, 25, 25, 0, 0], at: Int(T2KMap.diameter))
        memory.store(bytes: commaCodes, at: Int(commaAddress.address))
        if commaAddress == .hole { memory.store(halfwords: diameter78, at: Int(T2KMap.diameter78)) }
        memory.store(bytes: Self.flowmeterBinding, at: Int(T2KMap.flowmeterBinding))
        memory.store(bytes: [40, 40, 40, 40, 0, 0], at: Int(T2KMap.gMinPermille))
    }

    /// The current values part of T2K, from the readings at `time` and the totals.
    private mutating func render() {
        let r = process.readings(at: time), t = totals
        memory.store(floats: r.temperatures, at: Int(T2KMap.temperature))
        memory.store(floats: r.pressures, at: Int(T2KMap.pressure))
        memory.store(floats: r.extraFlows, at: Int(T2KMap.flow78))
        memory.store(floats: r.flows, at: Int(T2KMap.volumeFlow))
        memory.store(floats: r.massFlows, at: Int(T2KMap.massFlow))
        memory.store(floats: r.frequencies, at: Int(T2KMap.frequency))
        memory.store(counters: t.volume, fraction: Int(T2KMap.volumeFraction), whole: Int(T2KMap.volumeWhole))
        memory.store(counters: t.mass, fraction: Int(T2KMap.massFraction), whole: Int(T2KMap.massWhole))
        memory.store(counters: t.energy, fraction: Int(T2KMap.energyFraction), whole: Int(T2KMap.energyWhole))
        memory.store(counters: [t.energyTotal], fraction: Int(T2KMap.energyTotalFraction), whole: Int(T2KMap.energyTotalWhole))
        memory.store(counters: t.extraVolume, fraction: Int(T2KMap.volume78Fraction), whole: Int(T2KMap.volume78Whole))
        memory.store(Totals.seconds(t.timePowered), at: Int(T2KMap.timePowered))
        memory.store(words: t.timeNormal.map(Totals.seconds), at: Int(T2KMap.timeNormal))
        memory.store(words: t.timeBelowGMin.map(Totals.seconds), at: Int(T2KMap.timeBelowGMin))
        memory.store(words: t.timeAboveGMax.map(Totals.seconds), at: Int(T2KMap.timeAboveGMax))
        memory.store(words: t.timeBelowDtMin.map(Totals.seconds), at: Int(T2KMap.timeBelowDtMin))
        memory.store(words: t.timeFault.map(Totals.seconds), at: Int(T2KMap.timeFault))
        memory.store(bytes: clock.t2kBytes, at: Int(T2KMap.clock))
        memory.store(archive.pointer(.hourly), at: Int(T2KMap.nextHourlyRecord))
        memory.store(archive.pointer(.daily), at: Int(T2KMap.nextDailyRecord))
        memory.store(archive.pointer(.monthly), at: Int(T2KMap.nextMonthlyRecord))
    }

    /// Integrators and time counters of a meter that has run for a few years.
    private static func initialTotals(seed: UInt64) -> Totals {
        var random = SeededRandom(seed: seed ^ 0x7E51_06)
        var t = Totals()
        let energy = [random.double(in: 2000...8000), random.double(in: 300...1500)]
        for s in 0..<2 { t.energy[s] = Counter(units: energy[s] * kQ[s]) }
        t.energyTotal = Counter(units: (energy[0] + energy[1]) * kQ[0])
        let volume = [random.double(in: 50_000...200_000), 0, random.double(in: 5_000...30_000), 0]
        volume.indices.forEach { i in
            let v = i % 2 == 0 ? volume[i] : volume[i - 1] * 0.97
            t.volume[i] = Counter(units: v * kV[i])
            t.mass[i] = Counter(units: v * 0.98 * kV[i])
        }
        t.extraVolume[0] = Counter(units: random.double(in: 1_000...5_000) * kV[0])
        t.timePowered = random.double(in: 30_000_000...90_000_000).rounded(.down)
        for s in 0..<2 {
            t.timeBelowGMin[s] = random.double(in: 0...20_000).rounded(.down)
            t.timeBelowDtMin[s] = random.double(in: 0...100_000).rounded(.down)
            t.timeNormal[s] = t.timePowered - t.timeBelowGMin[s] - t.timeBelowDtMin[s]
        }
        return t
    }
}
