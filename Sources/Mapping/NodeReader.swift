import Config
import Yams

/// A place in the mapping file, 1-based.
struct Position: Comparable, Hashable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Where `node` starts; composed nodes always carry a mark.
    init(_ node: Node) {
        self = node.mark.map { Position(line: $0.line, column: $0.column) } ?? .start
    }

    static let start = Position(line: 1, column: 1)

    static func < (a: Position, b: Position) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// The keys of one YAML mapping, after unknown keys have been reported.
struct Fields {
    /// The mapping itself: missing keys are reported at its position.
    let node: Node
    private let values: [String: Node]

    init(node: Node, values: [String: Node]) {
        self.node = node
        self.values = values
    }

    subscript(key: String) -> Node? { values[key] }
}

/// Reads typed values out of YAML nodes, collecting a problem (with the node's position) for
/// every node that is not what it should be, and carrying on. A reader returns nil when it has
/// reported a problem.
struct NodeReader {
    let file: String
    private(set) var problems: [MappingProblem] = []

    init(file: String) {
        self.file = file
    }

    mutating func report(_ message: String, at position: Position) {
        problems.append(MappingProblem(file: file, line: position.line, column: position.column, message: message))
    }

    mutating func report(_ message: String, at node: Node) {
        report(message, at: Position(node))
    }

    // MARK: Structure

    /// The mapping's keys, reporting a non-mapping node and every key not in `allowed`.
    mutating func fields(of node: Node, allowed: [String]) -> Fields? {
        guard case let .mapping(mapping) = node else {
            report("expected a mapping (key: value), got \(Self.describe(node))", at: node)
            return nil
        }
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case let .scalar(key) = keyNode else {
                report("expected a key name, got \(Self.describe(keyNode))", at: keyNode)
                continue
            }
            guard allowed.contains(key.string) else {
                report("unknown key '\(key.string)'" + Suggestion.hint(for: key.string, in: allowed), at: keyNode)
                continue
            }
            values[key.string] = value
        }
        return Fields(node: node, values: values)
    }

    /// The value of `key`, or a "missing" problem at the mapping's position.
    mutating func required(_ key: String, in fields: Fields) -> Node? {
        guard let value = fields[key] else {
            report("missing required key '\(key)'", at: fields.node)
            return nil
        }
        return value
    }

    mutating func list(_ node: Node) -> [Node]? {
        guard case let .sequence(sequence) = node else {
            report("expected a list, got \(Self.describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// A scalar's text; empty and null scalars are refused.
    mutating func string(_ node: Node) -> String? {
        guard case let .scalar(scalar) = node, !Self.isNull(scalar), !scalar.string.isEmpty else {
            report("expected a text value, got \(Self.describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// The case of `T` named by a scalar, after `normalize` (a file may write `INT16` or `abcd`);
    /// an unknown name is reported as `unknown WHAT 'NAME'`, with the nearest case as a hint.
    mutating func choice<T: CaseIterable & RawRepresentable<String>>(
        _ node: Node, what: String, normalize: (String) -> String = { $0 }
    ) -> T? {
        guard let name = string(node) else { return nil }
        if let value = T(rawValue: normalize(name)) { return value }
        report("unknown \(what) '\(name)'" + Suggestion.hint(for: name, in: T.allCases.map(\.rawValue)), at: node)
        return nil
    }

    /// A whole number written in decimal, `0x` hex, `0o` octal or `0b` binary, `_` allowed.
    mutating func integer(_ node: Node) -> Int? {
        guard case let .scalar(scalar) = node, !Self.isNull(scalar) else {
            report("expected a number, got \(Self.describe(node))", at: node)
            return nil
        }
        if let value = Self.parseInteger(scalar.string) { return value }
        if Self.parseNumber(scalar.string) != nil {
            report("expected a whole number, got \(Self.describe(node))", at: node)
        } else {
            report("expected a number, got \(Self.describe(node))", at: node)
        }
        return nil
    }

    /// A whole number in `range`; `what` names it in the out-of-range message.
    mutating func integer(_ node: Node, in range: ClosedRange<Int>, what: String) -> Int? {
        guard let value = integer(node) else { return nil }
        guard range.contains(value) else {
            report("\(what) \(value) is out of range \(range.lowerBound)...\(range.upperBound)", at: node)
            return nil
        }
        return value
    }

    /// A finite number, whole or not.
    mutating func number(_ node: Node) -> Double? {
        guard case let .scalar(scalar) = node, !Self.isNull(scalar),
            let value = Self.parseNumber(scalar.string)
        else {
            report("expected a number, got \(Self.describe(node))", at: node)
            return nil
        }
        return value
    }

    /// `true`/`false` (also `yes`/`no`, `on`/`off`, any case, as YAML 1.1 reads them).
    mutating func bool(_ node: Node) -> Bool? {
        if case let .scalar(scalar) = node {
            switch scalar.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        report("expected true or false, got \(Self.describe(node))", at: node)
        return nil
    }

    /// The longest duration the file may write; larger ones are almost certainly a typo.
    static let longestDuration: Duration = .seconds(24 * 3600)

    /// A duration more than 0 and at most 24h; `what` names it in the message.
    mutating func duration(_ node: Node, what: String) -> Duration? {
        guard case let .scalar(scalar) = node, !Self.isNull(scalar) else {
            report("expected a duration such as 5s, got \(Self.describe(node))", at: node)
            return nil
        }
        let text = scalar.string
        let value: Duration
        do {
            value = try Duration(parsing: text)
        } catch {
            report(error.description, at: node)
            return nil
        }
        guard value > .zero else {
            report("\(what) must be more than 0", at: node)
            return nil
        }
        guard value <= Self.longestDuration else {
            report("\(what) \(text) is longer than 24h", at: node)
            return nil
        }
        return value
    }

    // MARK: Helpers

    /// How a node reads in a message: `'abc'`, `nothing`, `a list`, `a mapping`.
    static func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar): isNull(scalar) ? "nothing" : "'\(scalar.string)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text.replacingUnderscores)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        var radix = 10
        for (prefix, base) in [("0x", 16), ("0X", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            radix = base
            body = body.dropFirst(2)
        }
        guard let first = body.first, first != "-", first != "+", let magnitude = Int(body, radix: radix) else {
            return nil
        }
        return negative ? -magnitude : magnitude
    }

    static func parseNumber(_ text: String) -> Double? {
        if let integer = parseInteger(text) { return Double(integer) }
        guard let value = Double(text.replacingUnderscores), value.isFinite else { return nil }
        return value
    }
}

extension String {
    fileprivate var replacingUnderscores: String { filter { $0 != "_" } }
}
