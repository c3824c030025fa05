import ArchiveStore
import ArgumentParser
import JSONOutput
import TEMProtocol

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print archive records kept in the store (never the meter), oldest first per meter.",
        discussion: """
            Reads the archive_store of the mapping file. Columns as `archive` writes them, after \
            meter and serial_number; the last column, flags, says what is doubtful about a record \
            (damaged: a time stamp is not a date; duplicate_period: a second record of one period, \
            the meter's clock was set back). --gaps lists the periods found missing instead (the \
            ring came round before they were read).
            """)

    @Option(help: "The mapping file (YAML) whose archive_store to read.")
    var mapping: String

    @Option(help: "Only this meter (its name in the mapping).")
    var meter: String?

    @OptionGroup var query: ArchiveQuery

    @Option(help: "csv, json or table.")
    var format: Archive.Format = .csv

    @Flag(help: "List missing periods instead of records.")
    var gaps = false

    func run() throws {
        let fromTime = query.from?.start
        let toTime = query.to?.end
        let (loaded, store) = try ArchiveStoreOpening.openForReading(mapping: mapping)
        if let meter, !loaded.meters.contains(where: { $0.name == meter }) {
            throw Failure("--meter '\(meter)': no such meter in \(mapping)")
        }
        let archiveKind = query.kind
        if gaps {
            let found = try store.gaps(meter: meter, kind: archiveKind, from: fromTime, to: toTime)
            print(try GapOutput.render(found, format: format), terminator: "")
            return
        }
        let records = try store.records(meter: meter, kind: archiveKind, from: fromTime, to: toTime)
        let output = ArchiveOutput(format: format, identified: true)
        output.begin()
        for r in records { try output.write(r.record, meter: r.meter, serialNumber: r.serialNumber, flags: r.flagNames) }
        output.end()
    }
}

/// `history --gaps`: one line (or object) per run of missing periods.
enum GapOutput {
    static func render(_ gaps: [ArchiveStore.StoredGap], format: Archive.Format) throws -> String {
        switch format {
        case .csv:
            let header = columns.map(\.name).joined(separator: ",")
            let lines = gaps.map { gap in columns.map { $0.cell(gap).csv }.joined(separator: ",") }
            return ([header] + lines).joined(separator: "\n") + "\n"
        case .json:
            let rows = gaps.map { gap in Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.cell(gap)) }) }
            return try JSONText.encode(rows, pretty: true) + "\n"
        case .table:
            if gaps.isEmpty { return "no gaps\n" }
            return gaps.map { "\($0.meter) (serial \($0.serialNumber)): \($0.gap)" }.joined(separator: "\n") + "\n"
        }
    }

    /// The columns in CSV order: their names are CSV's header and JSON's keys.
    private static let columns: [(name: String, cell: @Sendable (ArchiveStore.StoredGap) -> Cell)] = [
        ("meter", { .text($0.meter) }),
        ("serial_number", { .number(Int($0.serialNumber)) }),
        ("kind", { .text($0.gap.kind.rawValue) }),
        ("first_missing", { .text(MeterClock(unixSeconds: $0.gap.first).description) }),
        ("last_missing", { .text(MeterClock(unixSeconds: $0.gap.last).description) }),
        ("missing", { .number($0.gap.count) }),
    ]

    /// One value: a string (quoted in CSV when it needs it) or a number (bare in JSON).
    private enum Cell: Encodable {
        case text(String)
        case number(Int)

        var csv: String {
            switch self {
            case let .text(text): ValueOutput.csvField(text)
            case let .number(number): "\(number)"
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .text(text): try container.encode(text)
            case let .number(number): try container.encode(number)
            }
        }
    }
}

extension ValueOutput {
    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    static func csvField(_ s: String) -> String { ArchiveRecordText.csvField(s) }
}
