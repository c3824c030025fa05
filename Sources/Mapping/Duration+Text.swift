/// Durations as the mapping file (and the command line) writes them: a whole number and a
/// unit, `500ms`, `5s`, `2m`, `1h`.
extension Duration {
    private static let units: [(suffix: String, milliseconds: Int64)] =
        [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]

    /// Parses `500ms`, `5s`, `2m` or `1h` (surrounding spaces are ignored). A bare number is an
    /// error: the unit is never guessed.
    public init(parsing text: String) throws(DurationSyntaxError) {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let suffix = trimmed.dropFirst(digits.count)
        let hint = "write a whole number and a unit: 500ms, 5s, 2m or 1h"
        // At most 9 digits: 999999999h still fits Duration without overflow.
        guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else {
            throw DurationSyntaxError(text: text, reason: hint)
        }
        guard !suffix.isEmpty else {
            throw DurationSyntaxError(text: text, reason: "write a unit: \(digits)s")
        }
        guard let unit = Self.units.first(where: { $0.suffix == suffix }) else {
            let isWord = suffix.allSatisfy { $0.isASCII && $0.isLetter }
            throw DurationSyntaxError(text: text, reason: isWord ? "unknown unit '\(suffix)'; use ms, s, m or h" : hint)
        }
        self = .milliseconds(number * unit.milliseconds)
    }

    /// The duration in the largest unit that writes it exactly: `500ms`, `5s`, `2m`, `1h`,
    /// `1500ms`. Durations with sub-millisecond parts use Swift's own description.
    public var mappingText: String {
        let (seconds, attoseconds) = components
        guard attoseconds % 1_000_000_000_000_000 == 0 else { return description }
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        guard milliseconds != 0 else { return "0s" }
        for unit in Self.units.reversed() where milliseconds % unit.milliseconds == 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
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
    /// Without leading and trailing spaces and tabs (no Foundation needed).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
