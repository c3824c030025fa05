import TEMProtocol

/// Which archive records a poll reads: a value with no I/O. The newest complete record of each
/// mapped kind is read once, when its pointer first shows it; while the pointer stands, no
/// Flash is read at all.
public struct ArchiveFollow: Sendable {
    /// The kinds the map serves.
    public let kinds: Set<ArchiveKind>
    /// Per kind: the ring index last read, and its record (nil: that slot held no valid record).
    private var read: [ArchiveKind: (index: Int, record: ArchiveRecord?)] = [:]

    public init(kinds: Set<ArchiveKind>) { self.kinds = kinds }

    /// The records to read now, given the pointers a poll just read: (kind, ring index), in kind
    /// order. Empty while every pointer stands where it was.
    public func toRead(_ pointers: ArchivePointers) -> [(kind: ArchiveKind, index: Int)] {
        ArchiveKind.allCases.compactMap { kind in
            guard kinds.contains(kind), let index = pointers.newestIndex(kind), read[kind]?.index != index else { return nil }
            return (kind, index)
        }
    }

    /// Record `index` of `kind` was read: its record, or nil when the slot held none.
    public mutating func recorded(_ kind: ArchiveKind, index: Int, _ record: ArchiveRecord?) {
        read[kind] = (index, record)
    }

    /// The newest complete record of each kind read so far.
    public var records: [ArchiveKind: ArchiveRecord] { read.compactMapValues(\.record) }
}
