import ArgumentParser
import Bridge
import Glibc
import Platform
import Synchronization
import TEMLink
import TEMProtocol

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export archive records (hourly, daily, monthly), oldest first.",
        discussion: """
            Each record is six 64-byte reads: a full hourly archive (1728 records on 1 MiB Flash) \
            takes minutes at 9600 baud. A progress bar is shown on a terminal. A record that keeps \
            failing after the retries is reported and skipped; a never-written slot or an impossible \
            date is skipped with a warning. Ctrl-C stops after the current record and leaves the \
            output valid.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, table }

    @OptionGroup var meter: MeterOptions

    @OptionGroup var query: ArchiveQuery

    @Option(help: "Only the newest N records (N >= 1).")
    var last: Int?

    @Option(help: "csv (header row of value names), json (an array, as in the contract) or table (for people).")
    var format: Format = .csv

    /// Records carry their own `comma` (record offset 0x118), so this decodes nothing: it checks.
    @OptionGroup(title: "Comma check (records carry their own comma; a disagreement with T2K is warned about)")
    var comma: CommaOption

    func validate() throws {
        if let last, last < 1 { throw ValidationError("--last must be at least 1") }
    }

    func run() throws {
        let client = try meter.client()
        defer { client.link.close() }
        let reader = ArchiveReader(client: client, address: meter.meterAddress)
        guard let history = try reader.history(query.kind) else {
            printError("meter \(meter.address): unknown FLASH_TYPE or archive pointer: no archive to read")
            throw ExitCode.failure
        }
        var first = 0, end = history.count
        if let from = query.from { first = try reader.firstPosition(in: history, atOrAfter: from.start) }
        if let to = query.to { end = try reader.firstPosition(in: history, atOrAfter: to.end + 1) }
        checkComma(client)
        if let last { first = max(first, end - last) }
        let positions = first < end ? Array(first..<end) : []

        Interrupt.install()
        let output = ArchiveOutput(format: format)
        output.begin()
        let progress = Progress(total: positions.count)
        var skipped = 0
        for p in positions {
            if Interrupt.requested { break }
            let index = history.index(at: p)
            var record: ArchiveRecord?
            do {
                record = try ArchiveRecord(bytes: try reader.recordBytes(in: history.area, index: index))
            } catch let error as ArchiveRecord.Empty {
                skipped += 1
                progress.note("\(query.kind.rawValue) record \(index): skipped, \(error)")
            } catch {
                skipped += 1
                progress.note("\(query.kind.rawValue) record \(index): skipped after retries: \(error)")
            }
            if let record { try output.write(record) }
            progress.advance()
        }
        progress.finish()
        output.end()
        if Interrupt.requested {
            printError("interrupted: \(progress.done) of \(positions.count) records written")
            throw ExitCode(130)
        }
        if skipped > 0 { printError("\(skipped) record(s) skipped") }
    }
}

extension Archive {
    /// Warns when the T2K `comma` location (given, or found by asking the meter) is a guess or
    /// disagrees with the newest record. A failed check is silent: the export does not need it.
    func checkComma(_ client: MeterClient) {
        guard let detected = try? CommaDetection.decide(client: client, address: meter.meterAddress) else { return }
        if let warning = detected.warning { printError("meter \(meter.address): warning: \(warning)") }
        if let given = comma.address, given != detected.address, case .agreesWithRecord = detected.reason {
            printError("meter \(meter.address): warning: --comma-address \(given) disagrees with the meter: \(detected.summary)")
        }
    }
}

/// A `--from` / `--to` date: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`, meter local time read as UTC.
struct ArchiveDate: Sendable {
    /// Unix seconds of the date's first second, or of the time given.
    let start: Int
    /// A bare date's last second; the time given otherwise.
    let end: Int

    init(parsing text: String) throws(Malformed) {
        let parts = text.split(whereSeparator: { "-T: ".contains($0) }).map { Int($0) }
        guard (3...6).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw Malformed(reason: "write YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        }
        let v = parts.map { $0! } + [0, 0, 0]
        let clock = MeterClock(year: v[0], month: v[1], day: v[2], hour: v[3], minute: v[4], second: v[5])
        guard let seconds = clock.unixSeconds else { throw Malformed(reason: "not a real date") }
        start = seconds
        end = parts.count == 3 ? seconds + 86_399 : seconds
    }

    /// Why a date does not read.
    struct Malformed: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }
}

/// Writes records as they arrive, flushed one by one, so an interrupted export is valid so far.
/// With `identified` (for `history`), each record starts with its `meter` and `serial_number`.
final class ArchiveOutput {
    let format: Archive.Format
    let identified: Bool
    private var count = 0
    static let names = ValueCatalog.archiveRecordNames.map(\.name).filter { $0 != "time" && $0 != "period" }

    init(format: Archive.Format, identified: Bool = false) {
        self.format = format
        self.identified = identified
    }

    func begin() {
        switch format {
        case .csv:
            emit(((identified ? ["meter", "serial_number"] : []) + ["time", "period"] + Self.names).joined(separator: ","))
        case .json: emit("[")
        case .table:
            emit(
                (identified ? "meter  serial    " : "")
                    + "written              period               energy.1 … energy.6 (MWh)  errors by system")
        }
    }

    /// One record: a CSV row, a JSON array element (`{"period", "time", "values"}`, keys sorted,
    /// numbers at full precision, a missing value null) or a table row. `meter` and
    /// `serialNumber` lead the row when the output is `identified` (`history`).
    func write(_ record: ArchiveRecord, meter: String = "", serialNumber: UInt32 = 0) throws {
        let values = Self.names.map { ValueOutput.finite(record.values[$0]) }
        switch format {
        case .csv:
            let identity = identified ? [ValueOutput.csvField(meter), String(serialNumber)] : []
            let cells = values.map { $0.map(ValueOutput.formatNumber) ?? "" }
            emit((identity + [record.written.description, record.period.description] + cells).joined(separator: ","))
        case .json:
            struct Row: Encodable {
                let meter: String?
                let serialNumber: UInt32?
                let time: String
                let period: String
                let values: [String: Double?]
                enum CodingKeys: String, CodingKey {
                    case meter, time, period, values
                    case serialNumber = "serial_number"
                }
            }
            let row = Row(
                meter: identified ? meter : nil, serialNumber: identified ? serialNumber : nil,
                time: record.written.description, period: record.period.description,
                values: Dictionary(zip(Self.names, values), uniquingKeysWith: { first, _ in first }))
            emit((count == 0 ? " " : ",") + (try JSONText.encode(row)))
        case .table:
            let energies = (1...6).map { ValueOutput.formatNumber(record.values["energy.\($0)"] ?? 0) }.joined(separator: " ")
            let errors = record.errors.enumerated().compactMap { system, bits in
                bits == 0 ? nil : "system \(system + 1): " + ArchiveRecord.errorWords(bits).joined(separator: ", ")
            }
            emit(
                (identified ? "\(meter)  \(serialNumber)  " : "")
                    + "\(record.written)  \(record.period)  \(energies)  \(errors.isEmpty ? "no errors" : errors.joined(separator: "; "))"
            )
        }
        count += 1
    }

    func end() {
        if format == .json { emit("]") }
    }

    private func emit(_ line: String) {
        print(line)
        fflush(nil)
    }
}

/// A one-line progress bar on stderr, shown only when stderr is a terminal.
final class Progress {
    let total: Int
    /// What is counted, plural: `records`, `blocks`.
    let unit: String
    private(set) var done = 0
    private let started = MonotonicClock.seconds()
    private let visible = isatty(2) == 1

    init(total: Int, unit: String = "records") {
        self.total = total
        self.unit = unit
    }

    func advance() {
        done += 1
        draw()
    }

    /// A message on its own line, keeping the bar below it.
    func note(_ message: String) {
        if visible { printRaw("\r\u{1B}[K") }
        printError(message)
        draw()
    }

    func finish() {
        if visible { printRaw("\n") }
    }

    private func draw() {
        guard visible, total > 0 else { return }
        let elapsed = max(MonotonicClock.seconds() - started, 0.001)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Int(Double(total - done) / rate) : 0
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rateText = rate >= 10 ? "\(Int(rate))" : "\(Double(Int(rate * 10)) / 10)"
        printRaw("\r[\(bar)] \(done)/\(total) \(unit), \(rateText)/s, \(left / 60)m\(left % 60)s left ")
    }

    private func printRaw(_ s: String) { _ = s.withCString { Glibc.write(2, $0, strlen($0)) } }
}

/// Ctrl-C during an export: finish the current record, close the output, exit 130.
enum Interrupt {
    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }

    static func install() {
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
    }
}

private let interruptRequested = Atomic<Bool>(false)
