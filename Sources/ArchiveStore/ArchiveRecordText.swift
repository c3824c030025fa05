import FoundationEssentials
import JSONOutput
import TEMProtocol

/// Archive records as text, one line each: what `archive` and `history` print and what the
/// console's `/api/history` serves, from this one place so that they are byte-identical.
///
/// CSV: a header row of value names, then a row a record, its last column `flags`. JSON: `[`,
/// then one array element a line (`{"flags", "period", "time", "values"}`, keys sorted, numbers
/// at full precision, a missing value null), then `]`. Table: a heading, then a row a record, for
/// people. With `identified` (`history`), every record starts with its `meter` and
/// `serial_number`. A time stamp that is not a date is empty (CSV, table) or null (JSON); the
/// record's flags (`damaged`, `duplicate_period`) are joined by `;` in CSV and listed in JSON.
public struct ArchiveRecordText: Sendable {
    public enum Format: String, CaseIterable, Sendable { case csv, json, table }

    public let format: Format
    public let identified: Bool
    /// Value names in column order (without `time` and `period`, which lead).
    public static let names = ValueCatalog.archiveRecordNames.map(\.name).filter { $0 != "time" && $0 != "period" }

    public init(format: Format, identified: Bool = false) {
        self.format = format
        self.identified = identified
    }

    /// The line before the first record.
    public var header: String {
        switch format {
        case .csv:
            return ((identified ? ["meter", "serial_number"] : []) + ["time", "period"] + Self.names + ["flags"])
                .joined(separator: ",")
        case .json: return "["
        case .table:
            return (identified ? "meter  serial    " : "")
                + "written              period               energy.1 … energy.6 (MWh)  errors by system  flags"
        }
    }

    /// The line after the last record, if the format has one.
    public var footer: String? { format == .json ? "]" : nil }

    /// The line of `record`, the `index`th written (from 0: a JSON element after the first
    /// starts with a comma), with its `flags` (`damaged` when none are given and a stamp of the
    /// record is not a date).
    public func line(
        _ record: ArchiveRecord, meter: String = "", serialNumber: UInt32 = 0, flags given: [String]? = nil, index: Int
    ) throws -> String {
        let values = Self.names.map { Self.finite(record.values[$0]) }
        let flags = given ?? (record.isDamaged ? ["damaged"] : [])
        let written = record.written?.description, period = record.period?.description
        switch format {
        case .csv:
            let identity = identified ? [Self.csvField(meter), String(serialNumber)] : []
            let cells = values.map { $0.map(Self.formatNumber) ?? "" }
            return (identity + [written ?? "", period ?? ""] + cells + [flags.joined(separator: ";")])
                .joined(separator: ",")
        case .json:
            struct Row: Encodable {
                let meter: String?
                let serialNumber: UInt32?
                let time: String?
                let period: String?
                let values: [String: Double?]
                let flags: [String]
                enum CodingKeys: String, CodingKey {
                    case meter, time, period, values, flags
                    case serialNumber = "serial_number"
                }
                // `time` and `period` are always there: null when the stamp is not a date.
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encodeIfPresent(meter, forKey: .meter)
                    try c.encodeIfPresent(serialNumber, forKey: .serialNumber)
                    try c.encode(time, forKey: .time)
                    try c.encode(period, forKey: .period)
                    try c.encode(values, forKey: .values)
                    try c.encode(flags, forKey: .flags)
                }
            }
            let row = Row(
                meter: identified ? meter : nil, serialNumber: identified ? serialNumber : nil,
                time: written, period: period,
                values: Dictionary(zip(Self.names, values), uniquingKeysWith: { first, _ in first }), flags: flags)
            return (index == 0 ? " " : ",") + (try JSONText.encode(row))
        case .table:
            let energies = (1...6).map { Self.formatNumber(record.values["energy.\($0)"] ?? 0) }.joined(separator: " ")
            let errors = record.errors.enumerated().compactMap { system, bits in
                bits == 0 ? nil : "system \(system + 1): " + ArchiveRecord.errorWords(bits).joined(separator: ", ")
            }
            let stamp = { (clock: String?) in clock ?? "????-??-??T??:??:??" }
            return (identified ? "\(meter)  \(serialNumber)  " : "")
                + "\(stamp(written))  \(stamp(period))  \(energies)  \(errors.isEmpty ? "no errors" : errors.joined(separator: "; "))"
                + (flags.isEmpty ? "" : "  " + flags.joined(separator: ", "))
        }
    }

    /// The whole text of `records`, as `history` prints it (every line ends in a line break).
    public func document(_ records: [StoredRecord]) throws -> String {
        var lines = [header]
        for (index, r) in records.enumerated() {
            lines.append(try line(r.record, meter: r.meter, serialNumber: r.serialNumber, flags: r.flagNames, index: index))
        }
        if let footer { lines.append(footer) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The value, or nil when there is none or it is not a number JSON can carry (NaN, infinity).
    public static func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }

    /// Integers without a fraction, others as Swift's shortest round-trip text.
    public static func formatNumber(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    public static func csvField(_ s: String) -> String {
        guard s.contains(where: { ",\"\n\r".contains($0) }) else { return s }
        return "\"" + String(s.flatMap { $0 == "\"" ? ["\"", "\""] : [$0] }) + "\""
    }
}
