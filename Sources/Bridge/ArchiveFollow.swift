import TEMProtocol

/// Which archive records a poll reads: a value with no I/O. The newest complete record of each
/// mapped kind is read once, when its pointer first shows it; while the pointer stands, no
/// Flash is read at all.
///
/// The `archive.KIND.*` registers serve the last good record of each kind: when the newest one is
/// damaged (a time stamp that is not a date), the one before it stays served and
/// `newestDamaged` names the kind until a good record follows.
public struct ArchiveFollow: Sendable {
    /// The kinds the map serves.
    public let kinds: Set<ArchiveKind>
    /// Per kind: the ring index last read.
    private var read: [ArchiveKind: Int] = [:]
    /// Per kind: the newest good record read so far.
    private var good: [ArchiveKind: ArchiveRecord] = [:]
    /// The kinds whose newest record is damaged (its registers serve the record before it).
    public private(set) var newestDamaged: Set<ArchiveKind> = []

    public init(kinds: Set<ArchiveKind>) { self.kinds = kinds }

    /// The records to read now, given the pointers a poll just read: (kind, ring index), in kind
    /// order. Empty while every pointer stands where it was.
    public func toRead(_ pointers: ArchivePointers) -> [(kind: ArchiveKind, index: Int)] {
        ArchiveKind.allCases.compactMap { kind in
            guard kinds.contains(kind), let index = pointers.newestIndex(kind), read[kind] != index else { return nil }
            return (kind, index)
        }
    }

    /// Record `index` of `kind` was read: its record (damaged or not), or nil when the slot held
    /// none. A damaged or missing record leaves the last good one served.
    public mutating func recorded(_ kind: ArchiveKind, index: Int, _ record: ArchiveRecord?) {
        read[kind] = index
        guard let record else { return }
        if record.isDamaged {
            newestDamaged.insert(kind)
        } else {
            good[kind] = record
            newestDamaged.remove(kind)
        }
    }

    /// How many slots before a damaged newest record the poller reads, when it holds no good
    /// record of that kind yet, to find the last good one.
    public static let lookBack = 3

    /// Whether a good record of `kind` is held.
    public func hasGood(_ kind: ArchiveKind) -> Bool { good[kind] != nil }

    /// A record older than the newest read (looking back past a damaged newest one): served if
    /// it is good and no good record of `kind` is held yet.
    public mutating func recordedOlder(_ kind: ArchiveKind, _ record: ArchiveRecord) {
        if !record.isDamaged, good[kind] == nil { good[kind] = record }
    }

    /// The newest good record of each kind read so far.
    public var records: [ArchiveKind: ArchiveRecord] { good }
}
