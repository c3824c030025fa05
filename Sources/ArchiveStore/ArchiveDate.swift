import TEMProtocol

/// A `from` / `to` date of `archive`, `history`, `report` and the console's `/api/history`:
/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`, meter local time read as UTC.
public struct ArchiveDate: Sendable {
    /// Unix seconds of the date's first second, or of the time given.
    public let start: Int
    /// A bare date's last second; the time given otherwise.
    public let end: Int

    public init(parsing text: String) throws(Malformed) {
        let parts = text.split(whereSeparator: { "-T: ".contains($0) }).map { Int($0) }
        guard (3...6).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw Malformed(reason: "write YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        }
        let v = parts.map { $0! } + [0, 0, 0]
        let clock = MeterClock(year: v[0], month: v[1], day: v[2], hour: v[3], minute: v[4], second: v[5])
        guard let seconds = clock.unixSeconds else { throw Malformed(reason: "not a real date") }
        start = seconds
        end = parts.count == 3 ? seconds + 86_399 : seconds
    }

    /// Why a date does not read.
    public struct Malformed: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }
}
