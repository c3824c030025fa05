import ArchiveStore
import ArgumentParser
import Glibc
import Platform
import TEMLink
import TEMProtocol

struct Archive: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export archive records (hourly, daily, monthly), oldest first.",
        discussion: """
            Each record is six 64-byte reads: a full hourly archive (1728 records on 1 MiB Flash) \
            takes minutes at 9600 baud. A progress bar is shown on a terminal. A record that keeps \
            failing after the retries is reported and skipped; a never-written slot is skipped with a \
            warning; a record whose time stamp is not a date is written with every field that \
            decodes, its stamp empty and its flags `damaged`, and warned about. Ctrl-C stops after the current record and leaves the \
            output valid.
            """)

    typealias Format = ArchiveRecordText.Format

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
        // Before any thread starts (a sim:// line starts some), so that every one inherits the mask.
        ProcessSignals.watchInterrupt()
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

        let output = ArchiveOutput(format: format)
        output.begin()
        let progress = Progress(total: positions.count)
        var skipped = 0
        for p in positions {
            if ProcessSignals.interruptRequested { break }
            let index = history.index(at: p)
            var record: ArchiveRecord?
            do {
                record = try ArchiveRecord(bytes: try reader.recordBytes(in: history.area, index: index))
                if let record, record.isDamaged {
                    let damage = record.damage.map(\.description).joined(separator: ", ")
                    progress.note("\(query.kind.rawValue) record \(index): damaged (\(damage)): written with its flag")
                }
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
        if ProcessSignals.interruptRequested {
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

/// Writes records as they arrive, flushed one by one, so an interrupted export is valid so far.
/// With `identified` (for `history`), each record starts with its `meter` and `serial_number`.
final class ArchiveOutput {
    let text: ArchiveRecordText
    private var count = 0

    init(format: Archive.Format, identified: Bool = false) {
        text = ArchiveRecordText(format: format, identified: identified)
    }

    func begin() { emit(text.header) }

    /// One record: a CSV row, a JSON array element or a table row (see `ArchiveRecordText`).
    /// `meter` and `serialNumber` lead the row when the output is `identified` (`history`).
    func write(_ record: ArchiveRecord, meter: String = "", serialNumber: UInt32 = 0, flags: [String]? = nil) throws {
        emit(try text.line(record, meter: meter, serialNumber: serialNumber, flags: flags, index: count))
        count += 1
    }

    func end() {
        if let footer = text.footer { emit(footer) }
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

extension ArchiveRecordText.Format: ExpressibleByArgument {}
