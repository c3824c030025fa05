import FoundationEssentials

/// JSON as the commands print it: Foundation's `JSONEncoder`, keys sorted, slashes as they are,
/// a `Double` as the shortest text that reads back to the same double. It throws only for a
/// NaN or an infinity, which the commands turn into null before they get here.
enum JSONText {
    static func encode(_ value: some Encodable, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
