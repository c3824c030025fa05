import Config
import TEMProtocol

/// The register table as a KEPServerEX tag import file (Modbus TCP/IP Ethernet or Modbus RTU
/// Serial driver): `tembridge registers --format kepware`.
///
/// The columns are those of KEPServerEX's CSV tag export, which its import reads back: Tag Name,
/// Address, Data Type, Respect Data Type, Client Access, Scan Rate, Scaling, Raw Low, Raw High,
/// Scaled Low, Scaled High, Scaled Data Type, Clamp Low, Clamp High, Eng Units, Description.
/// One row per register entry and unit id, grouped per unit id: the tag name's `unit_N.` prefix
/// makes a tag group per unit. Addresses are the driver's 1-based 6-digit holding registers
/// (`400001` = protocol address 0). Word and byte order are device settings in KEPServerEX, not
/// tag settings (see README, "Importing into KEPServerEX").
public enum KepwareTags {
    public static let columns = [
        "Tag Name", "Address", "Data Type", "Respect Data Type", "Client Access", "Scan Rate", "Scaling", "Raw Low",
        "Raw High", "Scaled Low", "Scaled High", "Scaled Data Type", "Clamp Low", "Clamp High", "Eng Units",
        "Description",
    ]

    /// KEPServerEX's data type for a register type.
    public static func dataType(_ type: RegisterType) -> String {
        switch type {
        case .uint16: "Word"
        case .int16: "Short"
        case .uint32: "DWord"
        case .int32: "Long"
        case .float32: "Float"
        case .float64: "Double"
        }
    }

    /// The CSV, CRLF line ends, quoted as RFC 4180 (fields with a comma, quote or line break).
    /// `unitID` limits it to one unit (one KEPServerEX device).
    public static func csv(_ mapping: Mapping, unitID: UInt8? = nil) -> String {
        ([columns] + rows(mapping, unitID: unitID)).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func rows(_ mapping: Mapping, unitID only: UInt8?) -> [[String]] {
        var placed: [(unitID: UInt8, meter: MeterConfig, entry: RegisterEntry)] = []
        for meter in mapping.meters {
            for unitID in meter.unitIDs where only == nil || only == unitID {
                for entry in meter.registers { placed.append((unitID, meter, entry)) }
            }
        }
        placed.sort { ($0.unitID, $0.entry.address) < ($1.unitID, $1.entry.address) }
        return placed.map { unitID, meter, entry in
            let scanRate = String(max(10, Int(meter.pollInterval.components.seconds * 1000)))
            var scaling = ["", "", "", "", "", ""]  // Scaling, Raw Low/High, Scaled Low/High, Scaled Data Type
            if let scale = entry.scale, scale != 1 {
                // register = value × scale, so value = register / scale.
                let rawHigh = 1000.0
                scaling = ["Linear", "0", number(rawHigh), "0", number(rawHigh / scale), "Double"]
            }
            return [
                "unit_\(unitID).\(tagName(entry))", String(400_001 + Int(entry.address)), dataType(entry.type), "1",
                access(entry),
                scanRate,
            ] + scaling + [
                "0", "0", entry.unitOfMeasure, entry.effectiveDescription,
            ]
        }
    }

    /// "R/W" for an archive window cursor register (the master writes it), "RO" for every other.
    static func access(_ entry: RegisterEntry) -> String {
        if case let .value(definition) = entry.source, case .archiveWindow(.cursor) = definition.source { return "R/W" }
        return "RO"
    }

    /// `temperature.1` → `temperature_1`; `raw 0x0200 f32` → `raw_0x0200_f32` (letters, digits, `_`).
    static func tagName(_ entry: RegisterEntry) -> String {
        String(entry.sourceName.map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "_" })
    }

    private static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
