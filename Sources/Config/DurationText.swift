/// Durations as tembridge reads them everywhere — the mapping file, the command line and the
/// simulator's control commands: a number and a unit, `500ms`, `1.5s`, `2m`, `1h`. This is the
/// one place a duration is parsed.
extension Duration {
    private static let units: [(suffix: String, nanoseconds: Int128)] =
        [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]

    /// Parses `500ms`, `1.5s`, `2m`, `0.25h` (surrounding spaces are ignored): digits, an
    /// optional fraction, a unit. A bare number is an error: the unit is never guessed.
    public init(parsing text: String) throws(DurationSyntaxError) {
        let trimmed = text.trimmingSpaces
        let whole = trimmed.prefix { $0.isASCII && $0.isNumber }
        var rest = trimmed.dropFirst(whole.count)
        var fraction: Substring?
        if rest.first == "." {
            fraction = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(1 + fraction!.count)
        }
        let hint = "write a number and a unit: 500ms, 1.5s, 2m or 1h"
        // At most 9 digits each side: 999999999h still fits Duration, and a nanosecond is the finest.
        guard !whole.isEmpty, whole.count <= 9, fraction.map({ (1...9).contains($0.count) }) ?? true,
            let integer = Int128(whole), let decimals = Int128(fraction ?? "0")
        else {
            throw DurationSyntaxError(text: text, reason: hint)
        }
        guard !rest.isEmpty else {
            throw DurationSyntaxError(text: text, reason: "write a unit: \(trimmed)s")
        }
        guard let unit = Self.units.first(where: { $0.suffix == rest }) else {
            let isWord = rest.allSatisfy { $0.isASCII && $0.isLetter }
            throw DurationSyntaxError(text: text, reason: isWord ? "unknown unit '\(rest)'; use ms, s, m or h" : hint)
        }
        var scale: Int128 = 1
        for _ in 0..<(fraction?.count ?? 0) { scale *= 10 }
        let (nanoseconds, remainder) = ((integer * scale + decimals) * unit.nanoseconds).quotientAndRemainder(dividingBy: scale)
        guard remainder == 0 else {
            throw DurationSyntaxError(text: text, reason: "finer than a nanosecond")
        }
        self = .seconds(Int64(nanoseconds / 1_000_000_000)) + .nanoseconds(Int64(nanoseconds % 1_000_000_000))
    }

    /// The duration in the largest unit that writes it exactly: `500ms`, `5s`, `2m`, `1h`,
    /// `1500ms`. Durations with sub-millisecond parts use Swift's own description.
    public var mappingText: String {
        let (seconds, attoseconds) = components
        guard attoseconds % 1_000_000_000_000_000 == 0 else { return description }
        let milliseconds = Int128(seconds) * 1_000 + Int128(attoseconds / 1_000_000_000_000_000)
        guard milliseconds != 0 else { return "0s" }
        for unit in Self.units.reversed() where milliseconds % (unit.nanoseconds / 1_000_000) == 0 {
            return "\(milliseconds / (unit.nanoseconds / 1_000_000))\(unit.suffix)"
        }
        return "\(milliseconds)ms"
    }
}

/// A duration that does not read as `NUMBER UNIT`.
public struct DurationSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "malformed duration '\(text)' (\(reason))" }
}

extension StringProtocol {
    /// Without leading and trailing white space: spaces, tabs, line ends (no Foundation needed).
    public var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = \.isWhitespace
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
