import TEMProtocol

/// The `archive_store:` section: keep every archive record in a local SQLite file, read the
/// rings in at most `readsPerPoll` Flash reads per poll, and optionally forward to PostgreSQL.
/// See docs/ARCHIVE-STORE.md.
public struct ArchiveStoreConfig: Sendable, Equatable {
    public static let defaultReadsPerPoll = 6
    /// A record is six 64-byte Flash reads: fewer per poll would never read one.
    public static let readsPerPollRange = 6...600

    /// The SQLite file (created if missing).
    public var path: String
    /// `FILE:LINE:COL` of the path in the mapping, for problems found when it is opened.
    public var pathLocation: String
    public var kinds: [ArchiveKind]
    /// On first contact, read the whole ring back (else only records written from then on).
    public var backfill: Bool
    /// Flash reads per poll cycle of a meter for the archive (a record is 6).
    public var readsPerPoll: Int
    /// A libpq connection string (`postgres://user@host/db`): forward every record there.
    public var upstream: String?

    public init(
        path: String, pathLocation: String = "", kinds: [ArchiveKind] = ArchiveKind.allCases, backfill: Bool = true,
        readsPerPoll: Int = defaultReadsPerPoll, upstream: String? = nil
    ) {
        self.path = path
        self.pathLocation = pathLocation
        self.kinds = kinds
        self.backfill = backfill
        self.readsPerPoll = readsPerPoll
        self.upstream = upstream
    }
}
