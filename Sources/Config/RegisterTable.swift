/// The register table a PLC/SCADA engineer imports as a tag list: one row per register entry
/// per unit id, sorted by unit id, then address. Columns are described in docs/MAPPING.md; a
/// map with several `server.listen` addresses gets a last column, `listen`, and rows sorted by
/// listener first.
public enum RegisterTable {
    /// Column headers, the same in both formats.
    public static let columns = [
        "unit_id", "meter", "address", "address_4x", "count", "type", "order",
        "scale", "value", "uom", "description", "on_stale",
    ]

    /// `columns`, and `listen` when the map has several listeners.
    static func columns(_ mapping: Mapping) -> [String] {
        mapping.server.moreListeners.isEmpty ? columns : columns + ["listen"]
    }

    /// A GitHub-flavoured Markdown table, numbers right-aligned; ends with a newline.
    public static func markdown(_ mapping: Mapping) -> String {
        let columns = columns(mapping)
        let numeric: Set = ["unit_id", "address", "address_4x", "count", "scale"]
        func line(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |\n" }
        let escaped = rows(mapping).map { row in
            row.map { $0.replacing("|", with: "\\|").replacing("\r\n", with: " ").replacing("\n", with: " ") }
        }
        return line(columns) + line(columns.map { numeric.contains($0) ? "---:" : "---" })
            + escaped.map(line).joined()
    }

    /// CSV per RFC 4180: a header line, CRLF line ends, fields quoted only when they hold a
    /// comma, a double quote or a line break (quotes doubled). UTF-8, no byte-order mark.
    public static func csv(_ mapping: Mapping) -> String {
        func field(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
                return text
            }
            return "\"" + text.replacing("\"", with: "\"\"") + "\""
        }
        return ([columns(mapping)] + rows(mapping)).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// The table's cells, in `columns` order.
    static func rows(_ mapping: Mapping) -> [[String]] {
        var placed: [(listener: Int, unitID: UInt8, meter: String, entry: RegisterEntry, onStale: String)] = []
        for meter in mapping.meters {
            for unitID in meter.unitIDs {
                for entry in meter.registers {
                    placed.append((meter.listener, unitID, meter.name, entry, meter.onStale.rawValue))
                }
            }
        }
        placed.sort { ($0.listener, $0.unitID, $0.entry.address) < ($1.listener, $1.unitID, $1.entry.address) }
        let listeners = mapping.server.listeners
        return placed.map { listener, unitID, meter, entry, onStale in
            let cells = [
                String(unitID), meter, String(entry.address), String(400_001 + Int(entry.address)), String(entry.count),
                entry.type.rawValue, entry.order.rawValue, entry.type.isInteger ? number(entry.scale ?? 1) : "",
                entry.sourceName, entry.unitOfMeasure, entry.effectiveDescription, entry.isStatus ? "" : onStale,
            ]
            return listeners.count > 1 ? cells + [listeners[listener].description] : cells
        }
    }

    /// `1000`, `0.1`: whole numbers without a decimal point.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
