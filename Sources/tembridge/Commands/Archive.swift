import ArgumentParser
import Bridge
import Glibc
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

    enum Kind: String, ExpressibleByArgument, CaseIterable { case hourly, daily, monthly }
    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json, table }

    @OptionGroup var meter: MeterOptions

    @Option(help: "hourly, daily or monthly.")
    var kind: Kind

    @Option(help: "Only the newest N records.")
    var last: Int?

    @Option(help: "Only records whose period starts at or after this date: YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
    var from: String?

    @Option(help: "Only records whose period starts before the end of this date (or at/before this time).")
    var to: String?

    @Option(help: "csv (header row of value names), json (an array, as in the contract) or table (for people).")
    var format: Format = .csv

    func run() throws {
        try reportingFailures {
            if let last, last < 1 { throw Failure("--last must be at least 1") }
            let fromTime = try from.map { try ArchiveDate.parse($0, option: "--from", endOfDay: false) }
            let toTime = try to.map { try ArchiveDate.parse($0, option: "--to", endOfDay: true) }
            let client = try meter.client()
            defer { client.link.close() }
            let reader = ArchiveReader(client: client, address: meter.meterAddress)
            let archiveKind = ArchiveKind(rawValue: kind.rawValue)!

            let history: ArchiveHistory
            var first = 0, end = 0
            do {
                guard let h = try reader.history(archiveKind) else {
                    throw Failure("meter \(meter.address): unknown FLASH_TYPE or archive pointer: no archive to read")
                }
                history = h
                end = h.count
                if let fromTime { first = try reader.firstPosition(in: h, atOrAfter: fromTime) }
                if let toTime { end = try reader.firstPosition(in: h, atOrAfter: toTime + 1) }
            } catch let error as ExchangeError { throw Failure("\(error)") }
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
                do {
                    let bytes = try reader.recordBytes(in: history.area, index: index)
                    output.write(try ArchiveRecord(bytes: bytes))
                } catch let error as ArchiveRecord.Empty {
                    skipped += 1
                    progress.note("\(kind.rawValue) record \(index): skipped, \(error)")
                } catch {
                    skipped += 1
                    progress.note("\(kind.rawValue) record \(index): skipped after retries: \(error)")
                }
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
}

/// `--from` / `--to` dates.
enum ArchiveDate {
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]` as Unix seconds (meter local time read as UTC).
    /// With `endOfDay`, a bare date means its last second.
    static func parse(_ text: String, option: String, endOfDay: Bool) throws -> Int {
        let parts = text.split(whereSeparator: { "-T: ".contains($0) }).map { Int($0) }
        guard (3...6).contains(parts.count), parts.allSatisfy({ $0 != nil }) else {
            throw Failure("\(option) '\(text)': write YYYY-MM-DD or YYYY-MM-DDTHH:MM")
        }
        let v = parts.map { $0! } + [0, 0, 0]
        let clock = MeterClock(year: v[0], month: v[1], day: v[2], hour: v[3], minute: v[4], second: v[5])
        guard let seconds = clock.unixSeconds else { throw Failure("\(option) '\(text)': not a real date") }
        return endOfDay && parts.count == 3 ? seconds + 86_399 : seconds
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

    /// Writes `record`; `meter` and `serialNumber` are used when `identified`.
    func write(_ record: ArchiveRecord, meter: String = "", serialNumber: UInt32 = 0) {
        let values = Self.names.map { ValueOutput.jsonNumber(record.values[$0]) }
        switch format {
        case .csv:
            let identity = identified ? [ValueOutput.csvField(meter), String(serialNumber)] : []
            emit(
                (identity + [record.written.description, record.period.description]
                    + values.map { $0 == "null" ? "" : $0 })
                    .joined(separator: ","))
        case .json:
            let identity =
                identified ? "\"meter\": \(ValueOutput.jsonString(meter)), \"serial_number\": \(serialNumber), " : ""
            let body = zip(Self.names, values).map { "\(ValueOutput.jsonString($0)): \($1)" }.joined(separator: ", ")
            emit(
                "\(count == 0 ? " " : ",") {\(identity)\"time\": \"\(record.written)\", \"period\": \"\(record.period)\", \"values\": {\(body)}}"
            )
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
    private(set) var done = 0
    private let started = MonotonicSeconds.now()
    private let visible = isatty(2) == 1

    init(total: Int) { self.total = total }

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
        let elapsed = max(MonotonicSeconds.now() - started, 0.001)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Int(Double(total - done) / rate) : 0
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rateText = rate >= 10 ? "\(Int(rate))" : "\(Double(Int(rate * 10)) / 10)"
        printRaw("\r[\(bar)] \(done)/\(total) records, \(rateText)/s, \(left / 60)m\(left % 60)s left ")
    }

    private func printRaw(_ s: String) { _ = s.withCString { Glibc.write(2, $0, strlen($0)) } }
}

enum MonotonicSeconds {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Ctrl-C during an export: finish the current record, close the output, exit 130.
enum Interrupt {
    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }

    static func install() {
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
    }
}

private let interruptRequested = Atomic<Bool>(false)
