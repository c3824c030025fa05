import ArchiveStore
import ArgumentParser
import Glibc
import Platform
import TEMProtocol

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The statement of heat consumption of one meter from the archive store (csv, html or pdf).",
        discussion: """
            One row per day (--kind daily), hour or month of --from...--to (both included) with, \
            per fitted system, heat, masses, volumes, temperatures and their difference, \
            pressures, and hours of normal operation and of each abnormal condition, then a \
            total row. Quantities are differences of the meter's own integrators between \
            consecutive records; a period without a record stays empty and is named. \
            docs/ARCHIVE-STORE.md describes every column.
            """)

    @Option(help: "The mapping file (YAML) whose archive_store to read.")
    var mapping: String

    @Option(help: "The meter (its name in the mapping).")
    var meter: String

    @Option(help: "First day: YYYY-MM-DD.", transform: ArchiveDate.init(parsing:))
    var from: ArchiveDate

    @Option(help: "Last day: YYYY-MM-DD (included).", transform: ArchiveDate.init(parsing:))
    var to: ArchiveDate

    @Option(help: "daily (a row a day), hourly or monthly.")
    var kind: ArchiveKind = .daily

    @Option(help: "csv, html (prints an A4 sheet a month and system) or pdf (html printed by headless Chromium).")
    var format: StatementText.Format = .csv

    @Option(help: "Heat in mwh or gcal (1 MWh = 0.859845 Gcal).")
    var unit: StatementText.Unit = .mwh

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        guard from.start <= to.end else {
            throw ValidationError("--from is after --to")
        }
        let (loaded, store) = try ArchiveStoreOpening.openForReading(mapping: mapping)
        guard loaded.meters.contains(where: { $0.name == meter }) else {
            throw Failure("--meter '\(meter)': no such meter in \(mapping)")
        }
        let request = StatementRequest(
            meter: meter, kind: kind, from: from.start, to: to.end, format: format, unit: unit)
        let bytes: [UInt8]
        do throws(StatementFailure) {
            bytes = try request.document(store)
        } catch {
            throw Failure(error.message)
        }
        guard let output else {
            if case let .failure(failure) = writeAll(STDOUT_FILENO, bytes, socket: false) {
                throw Failure("standard output: \(failure)")
            }
            return
        }
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure("--output \(output): \(Errno.current.message)") }
        let written = writeAll(fd, bytes, socket: false)
        let closed = close(fd)
        if case let .failure(failure) = written { throw Failure("--output \(output): \(failure)") }
        guard closed == 0 else { throw Failure("--output \(output): \(Errno.current.message)") }
    }
}

extension StatementText.Format: ExpressibleByArgument {}
extension StatementText.Unit: ExpressibleByArgument {}
