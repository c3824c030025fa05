import ArchiveStore
import ArgumentParser
import TEMProtocol

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print archive records kept in the store (never the meter), oldest first per meter.",
        discussion: """
            Reads the archive_store of the mapping file. Columns as `archive` writes them, after \
            meter and serial_number. --gaps lists the periods found missing instead (the ring came \
            round before they were read, or a slot was damaged).
            """)

    @Option(help: "The mapping file (YAML) whose archive_store to read.")
    var mapping: String

    @Option(help: "Only this meter (its name in the mapping).")
    var meter: String?

    @Option(help: "hourly, daily or monthly.")
    var kind: ArchiveKind

    @Option(
        help: "Only periods starting at or after this date: YYYY-MM-DD or YYYY-MM-DDTHH:MM.",
        transform: ArchiveDate.init(parsing:))
    var from: ArchiveDate?

    @Option(
        help: "Only periods starting before the end of this date (or at/before this time).",
        transform: ArchiveDate.init(parsing:))
    var to: ArchiveDate?

    @Option(help: "csv, json or table.")
    var format: Archive.Format = .csv

    @Flag(help: "List missing periods instead of records.")
    var gaps = false

    func run() throws {
        let fromTime = from?.start
        let toTime = to?.end
        let (loaded, store) = try ArchiveStoreOpening.openForReading(mapping: mapping)
        if let meter, !loaded.meters.contains(where: { $0.name == meter }) {
            throw Failure("--meter '\(meter)': no such meter in \(mapping)")
        }
        let archiveKind = kind
        if gaps {
            let found = try store.gaps(meter: meter, kind: archiveKind, from: fromTime, to: toTime)
            print(try GapOutput.render(found, format: format), terminator: "")
            return
        }
        let records = try store.records(meter: meter, kind: archiveKind, from: fromTime, to: toTime)
        let output = ArchiveOutput(format: format, identified: true)
        output.begin()
        for r in records { try output.write(r.record, meter: r.meter, serialNumber: r.serialNumber) }
        output.end()
    }
}

/// `history --gaps`: one line (or object) per run of missing periods.
enum GapOutput {
    static func render(_ gaps: [ArchiveStore.StoredGap], format: Archive.Format) throws -> String {
        func clock(_ t: Int) -> String { MeterClock(unixSeconds: t).description }
        switch format {
        case .csv:
            return
                (["meter,serial_number,kind,first_missing,last_missing,missing"]
                + gaps.map {
                    [
                        ValueOutput.csvField($0.meter), "\($0.serialNumber)", $0.gap.kind.rawValue, clock($0.gap.first),
                        clock($0.gap.last), "\($0.gap.count)",
                    ].joined(separator: ",")
                }).joined(separator: "\n") + "\n"
        case .json:
            struct Row: Encodable {
                let meter: String
                let serialNumber: UInt32
                let kind: String
                let firstMissing: String
                let lastMissing: String
                let missing: Int
                enum CodingKeys: String, CodingKey {
                    case meter, kind, missing
                    case serialNumber = "serial_number", firstMissing = "first_missing", lastMissing = "last_missing"
                }
            }
            let rows = gaps.map {
                Row(
                    meter: $0.meter, serialNumber: $0.serialNumber, kind: $0.gap.kind.rawValue,
                    firstMissing: clock($0.gap.first), lastMissing: clock($0.gap.last), missing: $0.gap.count)
            }
            return try JSONText.encode(rows, pretty: true) + "\n"
        case .table:
            if gaps.isEmpty { return "no gaps\n" }
            return gaps.map { "\($0.meter) (serial \($0.serialNumber)): \($0.gap)" }.joined(separator: "\n") + "\n"
        }
    }
}

extension ValueOutput {
    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    static func csvField(_ s: String) -> String { ArchiveRecordText.csvField(s) }
}
