/// Where each archive ring will write next, read from T2K (`FLASH_TYPE`, `adr_hour`,
/// `adr_day`, `adr_month`), and from that the newest complete record of each kind.
public struct ArchivePointers: Sendable, Hashable {
    /// The T2K ranges to read: `FLASH_TYPE` and the three pointers.
    public static let t2kRanges: [ClosedRange<UInt16>] = [
        T2KMap.flashType...(T2KMap.flashType + 1),
        T2KMap.nextHourlyRecord...(T2KMap.nextMonthlyRecord + 3),
    ]

    public let layout: FlashLayout
    /// The raw pointer values (record address + 0x200000).
    public let next: [ArchiveKind: UInt32]

    /// Nil if the bytes were not read or `FLASH_TYPE` is unknown.
    public init?(image: T2KImage) {
        guard let type = image.field(.u16, at: T2KMap.flashType), let layout = FlashLayout(flashType: UInt16(type)),
            let h = image.field(.u32, at: T2KMap.nextHourlyRecord), let d = image.field(.u32, at: T2KMap.nextDailyRecord),
            let m = image.field(.u32, at: T2KMap.nextMonthlyRecord)
        else { return nil }
        self.layout = layout
        self.next = [.hourly: UInt32(h), .daily: UInt32(d), .monthly: UInt32(m)]
    }

    /// The index of the newest complete record of `kind`: the slot before the one written
    /// next, wrapping round the ring. Nil if the pointer is not a record start of that area.
    public func newestIndex(_ kind: ArchiveKind) -> Int? {
        let area = layout.area(kind)
        guard let pointer = next[kind], pointer >= FlashLayout.pointerOffset,
            let nextIndex = area.index(ofAddress: pointer - FlashLayout.pointerOffset)
        else { return nil }
        return (nextIndex - 1 + area.records) % area.records
    }
}
