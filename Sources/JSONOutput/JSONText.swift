// JSONOutput: the one way tembridge writes JSON — the commands' `--format json`, the console's
// documents and trace stream, MQTT state and discovery payloads, dump files and the archive's
// JSON text. One configured `JSONEncoder` and one string escaper, so every JSON tembridge writes
// has keys sorted, slashes as they are and each number as the shortest text that reads back to
// the same double. It imports only Foundation's essentials: no tembridge module.
import FoundationEssentials

/// JSON text as tembridge writes it.
public enum JSONText {
    /// `value` as JSON: keys sorted, slashes unescaped, compact unless `pretty`.
    /// - Throws: `EncodingError` for a NaN or an infinity (JSON has none; callers leave them out
    ///   or write null before they get here).
    public static func encode(_ value: some Encodable, pretty: Bool = false) throws -> String {
        String(decoding: try bytes(value, pretty: pretty), as: UTF8.self)
    }

    /// `encode(_:pretty:)` as UTF-8 bytes (an MQTT payload).
    public static func bytes(_ value: some Encodable, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return Array(try encoder.encode(value))
    }

    /// `value` as compact JSON, or `{}` should it hold a non-finite number: for documents whose
    /// numbers are finite by construction (the console's).
    public static func document(_ value: some Encodable) -> String {
        (try? encode(value)) ?? "{}"
    }

    /// `text` as a JSON string literal, escaped as `JSONEncoder` escapes it: `"` and `\`
    /// backslashed, newline, carriage return and tab as `\n`, `\r`, `\t`, other control
    /// characters as `\u00XX`; everything else as it is. For JSON assembled by hand (the trace
    /// stream's lines, a dump file's layout).
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let digits = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
