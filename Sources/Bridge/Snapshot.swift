import TEMProtocol

/// What one good poll of one meter read: immutable, published whole.
///
/// Every value served from it comes from this one poll, and each integrator's L and F parts
/// from one meter reply (the read plan never splits them).
public struct Snapshot: Sendable {
    /// T2K bytes the poll read.
    public let image: T2KImage
    /// The newest good archive record of each kind the map asks for.
    public let archive: [ArchiveKind: ArchiveRecord]
    /// The kinds whose newest record is damaged (a time stamp that is not a date): `archive`
    /// holds the good record before it. Non-empty sets quality bit 3 (`archive_damaged`).
    public let archiveDamaged: Set<ArchiveKind>
    /// Where this meter keeps its `comma` codes (decided by `CommaDetection`).
    public let comma: CommaAddress
    /// True when `comma` is proven to live at 0x02E8, so 0x02FA holds `diam78`
    /// (`SharedCommaBytes.readable(under:)`).
    public let sharedCommaBytes: Bool
    /// Monotonic time the poll finished, nanoseconds.
    public let time: UInt64
    /// What this poll found doubtful: `commaUnconfirmed`, `implausible`, `archiveDamaged`
    /// (`MeterQuality.now` adds the bits that depend on time).
    public let quality: MeterQuality

    public init(
        image: T2KImage, archive: [ArchiveKind: ArchiveRecord], archiveDamaged: Set<ArchiveKind> = [],
        comma: CommaAddress = .listed, sharedCommaBytes: Bool = false, time: UInt64, quality: MeterQuality = []
    ) {
        self.image = image
        self.archive = archive
        self.archiveDamaged = archiveDamaged
        self.comma = comma
        self.sharedCommaBytes = sharedCommaBytes
        self.time = time
        self.quality = quality
    }

    /// The value of a catalog entry, or nil if this poll did not give it.
    public func value(of definition: ValueDefinition) -> Double? {
        switch definition.source {
        case let .archive(kind, name): archive[kind]?.values[name]
        default: image.value(of: definition, comma: comma, sharedCommaBytes: sharedCommaBytes)
        }
    }
}
