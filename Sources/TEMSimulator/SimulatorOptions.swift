import Glibc
import Platform
import TEMProtocol

/// How a simulated meter line behaves: the options of a `sim://?key=value&…` endpoint.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `addresses` | network addresses of the meters, `1,2` | `1,2` |
/// | `flash` | archive Flash in KiB: `512` (FLASH_TYPE 0x1F24) or `1024` (0x1F25) | `512` |
/// | `speed` | simulated seconds per real second (`3600`: an hour a second) | `1` |
/// | `rate` | integrator rate multiplier (`1000`: energy, volume, mass grow 1000× faster) | `1` |
/// | `frozen` | `1`: real time does not move the meters; only `MeterLine.advance(by:)` does | `0` |
/// | `seed` | seed of every random choice; lines with other seeds are other lines | `1` |
/// | `history` | hours of archive written before the start (hourly, daily, plus 3 monthly) | `48` |
/// | `start` | meter local time at start: `2024-03-01T10:30:00` or Unix seconds | host UTC now; frozen: 2024-03-01T10:30:00 |
/// | `line_speed` | emulate the wire at this baud: replies come (request+reply bytes)×10/baud s late | off |
/// | `fault` | faults active from the start, comma-separated `FaultCommand` texts: `silent@2,echo` | none |
/// | `comma` | where the meters keep `comma` in T2K: `0x2FA` (as listed) or `0x2E8` (then `diam78` 15, 20 mm sit at 0x02FA) | `0x2FA` |
/// | `diam78` | `diam78` of the extra flowmeters (mm), written at 0x02FA when `comma` lives at 0x02E8: `0,0` for unused channels 7 and 8 | `15,20` |
/// | `image` | serve a `tembridge dump` file, frozen: only its meter answers, and only where the dump holds bytes | none |
/// | `damaged` | archive records written with an impossible date (a Flash fault), `KIND:N` comma-separated, N = 1 for the newest: `hourly:3,daily:1`; `KIND:N:period` spoils the period stamp instead of the written one | none |
/// | `reporting_day` | day of the month (1...31) the monthly record is written at 00:00; a shorter month's last day stands for it | `1` |
/// | `day_hour` | hour (0...23) the daily record is written at, its period starting at that hour the day before | `0` |
/// | `clock_back` | `N`: while writing the history, the meter's clock goes back one hour after its Nth hourly record, so that two records have one period (the history then holds one hourly record more) | none |
public struct SimulatorOptions: Sendable, Hashable {
    public var addresses: [UInt8] = [1, 2]
    public var flash: FlashLayout = .kib512
    public var speed: Double = 1
    public var integratorRate: Double = 1
    public var frozen = false
    public var seed: UInt64 = 1
    public var historyHours = 48
    /// Meter local time at start, Unix seconds (local time read as UTC); nil: see `startTime`.
    public var start: Int?
    /// Baud rate whose wire time replies are delayed by; nil: no wire time.
    public var lineSpeed: Int?
    /// Faults active when the line is made.
    public var faults: [FaultCommand] = []
    /// Archive records (kind, 1 = newest at the start) whose written stamp is an impossible date.
    public var damaged: [Damage] = []
    /// The day of the month the monthly record is written (a shorter month's last day stands for it).
    public var reportingDay = 1
    /// The hour the daily record is written at.
    public var dayHour = 0
    /// The hourly record of the history after which the clock goes back one hour; nil: never.
    public var clockBackAfter: Int?
    /// Where the meters keep `comma` in T2K.
    public var comma: CommaAddress = .listed
    /// `diam78` (mm) of the extra flowmeters 7 and 8.
    public var diameter78: [UInt16] = SimulatedMeter.standardDiameter78
    /// A dump to serve instead of simulated meters (its path as given, and its content).
    public var image: MeterImage?

    /// One record written with an impossible date: the `age`-th newest of `kind` at the start,
    /// its written stamp (or, with `period`, its period stamp).
    public struct Damage: Sendable, Hashable, CustomStringConvertible {
        public var kind: ArchiveKind
        public var age: Int
        public var period = false
        public var description: String { "\(kind.rawValue):\(age)" + (period ? ":period" : "") }
    }

    /// The start of a frozen line without `start`: fixed, so its values are exactly repeatable.
    /// 48 hours of history before it cross a midnight and the 1st of a month.
    public static let frozenStart = MeterClock(year: 2024, month: 3, day: 1, hour: 10, minute: 30, second: 0).unixSeconds!

    public init() {}

    /// The options of a `sim://` endpoint's query. Unknown keys and bad values throw.
    public init(query: [String: String]) throws(SimulatorOptionError) {
        func fail(_ key: String, _ why: String) -> SimulatorOptionError { SimulatorOptionError(key: key, reason: why) }
        for (key, value) in query {
            switch key {
            case "addresses":
                var list: [UInt8] = []
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let a = UInt8(part) else { throw fail(key, "'\(part)' is not an address 0...255") }
                    list.append(a)
                }
                guard !list.isEmpty else { throw fail(key, "no address") }
                addresses = Array(Set(list)).sorted()
            case "flash":
                switch value {
                case "512": flash = .kib512
                case "1024": flash = .mib1
                default: throw fail(key, "must be 512 or 1024")
                }
            case "speed":
                guard let v = Double(value), v.isFinite, v >= 0 else { throw fail(key, "must be a number ≥ 0") }
                speed = v
            case "rate":
                guard let v = Double(value), v.isFinite, v >= 0 else { throw fail(key, "must be a number ≥ 0") }
                integratorRate = v
            case "frozen":
                guard let v = ["0": false, "1": true, "false": false, "true": true][value] else {
                    throw fail(key, "must be 0 or 1")
                }
                frozen = v
            case "seed":
                guard let v = UInt64(value) else { throw fail(key, "must be a whole number ≥ 0") }
                seed = v
            case "history":
                guard let v = Int(value), (0...200_000).contains(v) else { throw fail(key, "must be 0...200000 hours") }
                historyHours = v
            case "start":
                guard let v = Int(value) ?? Self.parseTime(value) else {
                    throw fail(key, "must be YYYY-MM-DDTHH:MM:SS or Unix seconds")
                }
                start = v
            case "line_speed":
                guard let v = Int(value), v > 0 else { throw fail(key, "must be a baud rate > 0") }
                lineSpeed = v
            case "fault":
                for text in value.split(separator: ",") {
                    do { faults.append(try FaultCommand.parse(String(text))) } catch { throw fail(key, error.description) }
                }
            case "comma":
                guard let v = CommaAddress(parsing: value) else { throw fail(key, "must be 0x2FA or 0x2E8") }
                comma = v
            case "diam78":
                let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { UInt16($0) }
                guard parts.count == 2, let a = parts[0], let b = parts[1] else {
                    throw fail(key, "must be two diameters in mm: 15,20")
                }
                diameter78 = [a, b]
            case "image":
                do { image = try MeterImage(path: value) } catch { throw fail(key, error.description) }
            case "damaged":
                for text in value.split(separator: ",") {
                    let parts = text.split(separator: ":")
                    guard parts.count == 2 || (parts.count == 3 && parts[2] == "period"),
                        let kind = ArchiveKind(rawValue: String(parts[0])), let age = Int(parts[1]), age >= 1
                    else {
                        throw fail(
                            key, "'\(text)' must be KIND:N or KIND:N:period, KIND hourly, daily or monthly, N ≥ 1 (1 = newest)")
                    }
                    damaged.append(Damage(kind: kind, age: age, period: parts.count == 3))
                }
            case "reporting_day":
                guard let v = Int(value), (1...31).contains(v) else { throw fail(key, "must be a day 1...31") }
                reportingDay = v
            case "day_hour":
                guard let v = Int(value), (0...23).contains(v) else { throw fail(key, "must be an hour 0...23") }
                dayHour = v
            case "clock_back":
                guard let v = Int(value), v >= 1 else { throw fail(key, "must be a record count ≥ 1") }
                clockBackAfter = v
            default:
                throw fail(
                    key,
                    "unknown option (use addresses, flash, speed, rate, frozen, seed, history, start, line_speed, fault, comma, diam78, image, damaged, reporting_day, day_hour, clock_back)"
                )
            }
        }
    }

    /// The options as a `sim://` query (only those that differ from the defaults).
    public var query: [String: String] {
        var q: [String: String] = [:]
        let d = SimulatorOptions()
        if addresses != d.addresses { q["addresses"] = addresses.map(String.init).joined(separator: ",") }
        if flash != d.flash { q["flash"] = String(flash.kib) }
        if speed != d.speed { q["speed"] = Self.number(speed) }
        if integratorRate != d.integratorRate { q["rate"] = Self.number(integratorRate) }
        if frozen { q["frozen"] = "1" }
        if seed != d.seed { q["seed"] = String(seed) }
        if historyHours != d.historyHours { q["history"] = String(historyHours) }
        if let start { q["start"] = MeterClock(unixSeconds: start).description }
        if let lineSpeed { q["line_speed"] = String(lineSpeed) }
        if !faults.isEmpty { q["fault"] = faults.map(\.description).joined(separator: ",") }
        if !damaged.isEmpty { q["damaged"] = damaged.map(\.description).joined(separator: ",") }
        if comma != d.comma { q["comma"] = comma.description }
        if reportingDay != d.reportingDay { q["reporting_day"] = String(reportingDay) }
        if dayHour != d.dayHour { q["day_hour"] = String(dayHour) }
        if let clockBackAfter { q["clock_back"] = String(clockBackAfter) }
        if diameter78 != d.diameter78 { q["diam78"] = diameter78.map(String.init).joined(separator: ",") }
        if let image { q["image"] = image.path }
        return q
    }

    /// The meter local time the line starts at: `start`, else the host's UTC time (frozen lines:
    /// `frozenStart`).
    public var startTime: Int {
        if let start { return start }
        return frozen ? Self.frozenStart : WallClock.seconds()
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// `YYYY-MM-DDTHH:MM:SS` (or with a space) as Unix seconds; nil if malformed or impossible.
    static func parseTime(_ text: String) -> Int? {
        let fields = text.split(whereSeparator: { "-T :".contains($0) }).map { Int($0) }
        guard fields.count == 6, fields.allSatisfy({ $0 != nil }) else { return nil }
        let f = fields.map { $0! }
        let clock = MeterClock(year: f[0], month: f[1], day: f[2], hour: f[3], minute: f[4], second: f[5])
        guard (2000...2099).contains(clock.year) else { return nil }
        return clock.unixSeconds
    }
}

/// A `sim://` option that is unknown or has a bad value.
public struct SimulatorOptionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "sim:// option '\(key)': \(reason)" }
}
