import ArchiveStore
import ArgumentParser
import TEMProtocol

/// Which archive records `archive` and `history` print: one kind, optionally between two dates.
struct ArchiveQuery: ParsableArguments {
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
}
