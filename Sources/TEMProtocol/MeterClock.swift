/// A BCD date and time as the meter stores it.
public struct MeterClock: Sendable, Hashable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// The six T2K clock bytes at 0x0482: seconds, minutes, hours, day, month, year (2 digits).
    /// Nil if a byte is not BCD. Test vector (seed §6.2.1): `33 15 14 02 03 16` = 2016-03-02 14:15:33.
    public init?<C: Collection>(t2k bytes: C) where C.Element == UInt8 {
        let v = bytes.compactMap(BCD.decode)
        guard bytes.count == 6, v.count == 6 else { return nil }
        self.init(year: 2000 + v[5], month: v[4], day: v[3], hour: v[2], minute: v[1], second: v[0])
    }

    /// A four-byte archive stamp: hour, day, month, year (2 digits).
    /// Test vector (seed §6.3.1): `08 20 03 15` = 2015-03-20 08:00.
    public init?<C: Collection>(archiveStamp bytes: C) where C.Element == UInt8 {
        let v = bytes.compactMap(BCD.decode)
        guard bytes.count == 4, v.count == 4 else { return nil }
        self.init(year: 2000 + v[3], month: v[2], day: v[1], hour: v[0], minute: 0, second: 0)
    }

    /// The T2K byte order: seconds, minutes, hours, day, month, year.
    public var t2kBytes: [UInt8] {
        [second, minute, hour, day, month, year % 100].map(BCD.encode)
    }

    /// The archive stamp byte order: hour, day, month, year.
    public var archiveStampBytes: [UInt8] { [hour, day, month, year % 100].map(BCD.encode) }

    /// second, minute, hour, day, month, year: the order `ValueSource.clockPart` indexes.
    public var parts: [Int] { [second, minute, hour, day, month, year] }

    /// True when the fields form a real calendar date and time.
    public var isValid: Bool {
        (1...12).contains(month) && (1...Self.daysIn(month: month, year: year)).contains(day)
            && (0...23).contains(hour) && (0...59).contains(minute) && (0...59).contains(second)
    }

    /// Seconds since 1970-01-01 00:00:00 reading the meter's local time as UTC; nil if invalid.
    public var unixSeconds: Int? {
        guard isValid else { return nil }
        return Self.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// The clock at `unixSeconds` (UTC).
    public init(unixSeconds: Int) {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let rest = unixSeconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(
            year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d,
            hour: rest / 3600, minute: rest % 3600 / 60, second: rest % 60)
    }

    /// `YYYY-MM-DDTHH:MM:SS`.
    public var description: String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
    }

    /// Days in `month` of `year` (Gregorian).
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
