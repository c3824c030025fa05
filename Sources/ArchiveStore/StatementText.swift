import TEMProtocol

/// A `Statement` as `report` prints it and the console's `/api/report` serves it, from this one
/// place so that both are byte-identical: CSV for programs, HTML for people (printed, one A4
/// sheet per system and month of a daily statement, per day of an hourly one, per year of a
/// monthly one: a system's 16 columns are what an A4 landscape line holds legibly).
public struct StatementText: Sendable {
    public enum Format: String, CaseIterable, Sendable { case csv, html, pdf }
    public enum Unit: String, CaseIterable, Sendable {
        case mwh, gcal
        /// As people write it.
        public var symbol: String { self == .mwh ? "MWh" : "Gcal" }
        /// MWh in this unit.
        var factor: Double { self == .mwh ? 1 : Statement.gcalPerMWh }
    }

    public let unit: Unit

    public init(unit: Unit) {
        self.unit = unit
    }

    /// A row's value of `column` in the statement's units (energy in `unit`, hours in hours).
    public func value(_ row: Statement.Row, _ column: Statement.Column) -> Double? {
        guard let v = row.values[column.name] else { return nil }
        return column.name.hasPrefix("energy.") ? v * unit.factor : v
    }

    /// The unit a column is shown in.
    public func unit(_ column: Statement.Column) -> String { column.name.hasPrefix("energy.") ? unit.symbol : column.unit }

    /// The first column's text for a period: `YYYY-MM-DD`, `YYYY-MM-DDTHH:00` or `YYYY-MM`.
    public static func label(_ kind: ArchiveKind, _ period: Int) -> String {
        let text = MeterClock(unixSeconds: period).description
        switch kind {
        case .daily: return String(text.prefix(10))
        case .hourly: return String(text.prefix(16))
        case .monthly: return String(text.prefix(7))
        }
    }

    // MARK: CSV

    /// A header row (`date`, the columns' value names, `flags`), a row a period (an empty cell:
    /// no value; `flags` holds `missing` for a period without a record, else the records'
    /// quality flags joined by `|`), then the `total` row. Numbers at full precision.
    public func csv(_ s: Statement) -> String {
        var lines = [(["date"] + s.columns.map(\.name) + ["flags"]).joined(separator: ",")]
        func line(_ first: String, _ row: Statement.Row, flags: [String]) -> String {
            let cells = s.columns.map { value(row, $0).map(ArchiveRecordText.formatNumber) ?? "" }
            return ([first] + cells + [flags.joined(separator: "|")]).joined(separator: ",")
        }
        for row in s.rows {
            lines.append(line(Self.label(s.kind, row.period), row, flags: row.missing ? ["missing"] : row.flags))
        }
        lines.append(line("total", s.total, flags: s.total.flags + (s.missing.isEmpty ? [] : ["missing"])))
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: HTML

    /// One HTML document: a sheet per month (daily), day (hourly) or year (monthly) and system,
    /// each with its rows and totals (the last of a system also the whole period's when there are
    /// several) and the meter's power-off hours.
    public func html(_ s: Statement, records: [StoredRecord]) -> String {
        let sheets = Self.sheets(s)
        var body = ""
        for (index, sheet) in sheets.enumerated() {
            let part =
                sheets.count == 1
                ? s
                : Statement(
                    meter: s.meter, kind: s.kind, from: sheet.first!, to: sheet.last!, records: records, columns: s.columns)
            for system in Set(s.columns.map(\.system)).subtracting([0]).sorted() {
                let columns = s.columns.filter { $0.system == system || $0.system == 0 }
                body += self.sheet(
                    part, system: system, columns: columns, whole: index == sheets.count - 1 && sheets.count > 1 ? s : nil)
            }
        }
        let title = "Heat consumption statement \(s.meter) \(Self.label(s.kind, s.from)) to \(Self.label(s.kind, s.to))"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(Self.escape(title))</title>
            <style>
            @page { size: A4 landscape; margin: 10mm; }
            body { font: 8pt/1.3 "DejaVu Sans", sans-serif; color: #000; margin: 0; }
            .sheet { page-break-after: always; break-after: page; }
            .sheet:last-child { page-break-after: auto; break-after: auto; }
            h1 { font-size: 12pt; margin: 0 0 1.5mm; }
            p { margin: 0 0 1.5mm; }
            table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; }
            th, td { border: 0.2mm solid #555; padding: 0.25mm 1.2mm; text-align: right; white-space: nowrap; }
            th { background: #eee; font-weight: 600; text-align: center; }
            td:first-child { text-align: left; }
            tr.missing td { color: #a00; font-style: italic; }
            tr.total td { font-weight: 700; border-top: 0.5mm solid #000; }
            .flags { color: #a00; }
            </style></head><body>
            \(body)</body></html>

            """
    }

    /// The periods of each sheet.
    static func sheets(_ s: Statement) -> [[Int]] {
        var out: [[Int]] = []
        var key: String?
        for row in s.rows {
            let text = MeterClock(unixSeconds: row.period).description
            let k = String(text.prefix(s.kind == .daily ? 7 : s.kind == .hourly ? 10 : 4))
            if k != key {
                out.append([])
                key = k
            }
            out[out.count - 1].append(row.period)
        }
        return out
    }

    private func sheet(_ s: Statement, system: Int, columns: [Statement.Column], whole: Statement?) -> String {
        let serials = s.serialNumbers.isEmpty ? "unknown (no record)" : s.serialNumbers.map(String.init).joined(separator: ", ")
        let what = ["hourly": "hour", "daily": "day", "monthly": "month"][s.kind.rawValue]!
        var head1 = "<tr><th rowspan=\"2\">\(what)</th>"
        var groups: [(system: Int, count: Int)] = []
        for c in columns {
            if groups.last?.system == c.system { groups[groups.count - 1].count += 1 } else { groups.append((c.system, 1)) }
        }
        for g in groups { head1 += "<th colspan=\"\(g.count)\">" + (g.system == 0 ? "meter" : "system \(g.system)") + "</th>" }
        head1 += "</tr>\n"
        let head2 = "<tr>" + columns.map { "<th>\(Self.escape($0.label)), \(Self.escape(unit($0)))</th>" }.joined() + "</tr>\n"
        var rows = ""
        for row in s.rows {
            rows += tr(Self.label(s.kind, row.period), row, columns, cls: row.missing ? "missing" : nil)
        }
        rows += tr("total", s.total, columns, cls: "total")
        if let whole { rows += tr("whole period", whole.total, columns, cls: "total") }
        let missing = s.missing.isEmpty ? "none" : s.missing.map { Self.label(s.kind, $0) }.joined(separator: ", ")
        let flags = s.flags.isEmpty ? "none" : s.flags.joined(separator: ", ")
        let readings =
            if let a = s.firstReading, let b = s.lastReading, a < b {
                "Totals from the \(s.kind.rawValue) record of \(Self.label(s.kind, a)) to that of \(Self.label(s.kind, b)) "
                    + "(differences of the meter's integrators; means weighted by time)."
            } else {
                "No totals: fewer than two records in the period."
            }
        let channels = system <= 3 ? " (channels \(2 * system - 1) and \(2 * system))" : ""
        return """
            <section class="sheet">
            <h1>Statement of heat consumption (\(s.kind.rawValue)), system \(system)</h1>
            <p>Meter <b>\(Self.escape(s.meter))</b>, serial number <b>\(serials)</b>, system <b>\(system)</b>\(channels). \
            Period <b>\(Self.label(s.kind, s.from))</b> to <b>\(Self.label(s.kind, s.to))</b>. Heat in \(unit.symbol).</p>
            <table>
            \(head1)\(head2)\(rows)</table>
            <p>Missing: <span class="missing-list">\(missing)</span>. \
            Record quality flags: <span class="flags">\(flags)</span>. \(readings)</p>
            </section>

            """
    }

    private func tr(_ first: String, _ row: Statement.Row, _ columns: [Statement.Column], cls: String?) -> String {
        var out = "<tr" + (cls.map { " class=\"\($0)\"" } ?? "") + "><td>\(first)</td>"
        for c in columns {
            let digits =
                switch c.kind {
                case .quantity: 3
                case .hours: 2
                case .mean: c.unit == "MPa" ? 3 : 2
                }
            out += "<td>" + (value(row, c).map { Self.fixed($0, digits: digits) } ?? (row.missing ? "—" : "")) + "</td>"
        }
        return out + "</tr>\n"
    }

    /// `v` with `digits` decimals, for people (the CSV keeps every digit).
    public static func fixed(_ v: Double, digits: Int = 3) -> String {
        guard v.isFinite else { return "\(v)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let units = Int64((abs(v) * scale).rounded())
        let whole = units / Int64(scale), fraction = String(units % Int64(scale))
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return (v < 0 && units != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + padded : "")
    }

    /// Text for HTML.
    public static func escape(_ s: String) -> String {
        String(
            s.flatMap { c -> [Character] in
                switch c {
                case "&": Array("&amp;")
                case "<": Array("&lt;")
                case ">": Array("&gt;")
                case "\"": Array("&quot;")
                default: [c]
                }
            })
    }
}
