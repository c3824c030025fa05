import ArchiveStore
import ArgumentParser
import TEMProtocol

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A consumption report of one meter from the store's daily records (csv, or html for A4).",
        discussion: """
            Per system: energy, volume and mass at the start and end of the period and their \
            difference, hours of normal operation and of each error, and the days with no record. \
            The start reading is the daily record of the day before --from (the reading at 00:00 \
            of --from), or the first one after it; the end reading the record of --to, or the last \
            one before it.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, html }

    @Option(help: "The mapping file (YAML) whose archive_store to read.")
    var mapping: String

    @Option(help: "The meter (its name in the mapping).")
    var meter: String

    @Option(help: "First day: YYYY-MM-DD.", transform: ArchiveDate.init(parsing:))
    var from: ArchiveDate

    @Option(help: "Last day: YYYY-MM-DD.", transform: ArchiveDate.init(parsing:))
    var to: ArchiveDate

    @Option(help: "csv or html (prints on A4).")
    var format: Format = .csv

    func run() throws {
        let first = from.start / 86_400 * 86_400
        let last = to.start / 86_400 * 86_400
        guard first <= last else {
            throw ValidationError("--from \(ReportOutput.day(first)) is after --to \(ReportOutput.day(last))")
        }
        let (loaded, store) = try ArchiveStoreOpening.openForReading(mapping: mapping)
        guard loaded.meters.contains(where: { $0.name == meter }) else {
            throw Failure("--meter '\(meter)': no such meter in \(mapping)")
        }
        // Whole days: a daily record whose period starts at 06:00 belongs to its day.
        let records = try store.records(meter: meter, kind: .daily, from: first - 86_400, to: last + 86_399)
        let report = ConsumptionReport(meter: meter, from: first, to: last, records: records)
        print(format == .csv ? ReportOutput.csv(report) : ReportOutput.html(report), terminator: "")
    }
}

/// The report as CSV (one row per system and quantity) or as one HTML page for A4.
enum ReportOutput {
    static func day(_ t: Int) -> String { String(MeterClock(unixSeconds: t).description.prefix(10)) }
    static func number(_ v: Double) -> String { ValueOutput.formatNumber(v) }

    /// `v` with `digits` decimals, for people (the CSV keeps every digit).
    static func fixed(_ v: Double, digits: Int = 3) -> String {
        guard v.isFinite else { return "\(v)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let units = Int64((abs(v) * scale).rounded())
        let whole = units / Int64(scale), fraction = String(units % Int64(scale))
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return (v < 0 && units != 0 ? "-" : "") + "\(whole)" + (digits > 0 ? "." + padded : "")
    }

    static func csv(_ r: ConsumptionReport) -> String {
        var lines = ["meter,system,quantity,unit,start,end,difference"]
        for s in r.systems {
            for q in s.quantities {
                lines.append(
                    [
                        ValueOutput.csvField(r.meter), "\(s.number)", q.name, q.unit, number(q.start), number(q.end),
                        number(q.difference),
                    ].joined(separator: ","))
            }
            for (name, hours) in s.hours {
                lines.append(
                    [
                        ValueOutput.csvField(r.meter), "\(s.number)", "hours.\(name).\(s.number)", "h", "", "",
                        number(hours),
                    ].joined(separator: ","))
            }
        }
        lines.append("")
        lines.append("missing_day")
        lines += r.missingDays.map(day)
        return lines.joined(separator: "\n") + "\n"
    }

    static func html(_ r: ConsumptionReport) -> String {
        func escape(_ s: String) -> String {
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
        let readings = [r.startPeriod, r.endPeriod].map { $0.map { day($0 + 86_400) + " 00:00" } ?? "no record" }
        var rows = ""
        for s in r.systems {
            for q in s.quantities {
                rows +=
                    "<tr><td>\(s.number)</td><td>\(q.name.prefix { $0 != "." })</td><td>\(escape(q.unit))</td>"
                    + "<td>\(fixed(q.start))</td><td>\(fixed(q.end))</td><td><b>\(fixed(q.difference))</b></td></tr>\n"
            }
        }
        var hours = ""
        for s in r.systems {
            hours +=
                "<tr><td>\(s.number)</td>"
                + s.hours.map { "<td>\(fixed($0.hours, digits: 2))</td>" }.joined() + "</tr>\n"
        }
        let missing = r.missingDays.isEmpty ? "none" : r.missingDays.map(day).joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Heat consumption \(escape(r.meter)) \(day(r.from)) to \(day(r.to))</title>
            <style>
            @page { size: A4; margin: 15mm; }
            body { font: 10pt sans-serif; color: #000; }
            h1 { font-size: 14pt; margin: 0 0 4mm; }
            table { border-collapse: collapse; width: 100%; margin-bottom: 6mm; page-break-inside: avoid; }
            th, td { border: 0.3mm solid #444; padding: 1mm 2mm; text-align: right; }
            th { background: #eee; } td:first-child, .quantities td:nth-child(2) { text-align: left; }
            </style></head><body>
            <h1>Heat consumption report</h1>
            <p>Meter <b>\(escape(r.meter))</b>, serial number \(r.serialNumbers.map(String.init).joined(separator: ", ")).
            Period \(day(r.from)) to \(day(r.to)); readings at \(readings[0]) and \(readings[1]).</p>
            <table class="quantities"><tr><th>System</th><th>Quantity</th><th>Unit</th><th>Start</th><th>End</th><th>Consumption</th></tr>
            \(rows)</table>
            <table><tr><th>System</th>\(ConsumptionReport.timeCounters.map { "<th>Hours \($0.replacingUnderscores)</th>" }.joined())</tr>
            \(hours)</table>
            <p>Missing days: \(missing)</p>
            </body></html>

            """
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
