/// Where the archive rings lie in Flash, for the two Flash sizes (seed §5.2).
///
/// Record n of an area is at `base + n × 384` (PROTOCOL-NOTES decision 2).
public struct FlashLayout: Sendable, Hashable {
    /// One ring of records.
    public struct Area: Sendable, Hashable {
        public let base: UInt32
        public let records: Int

        /// The Flash address of record `index` (0 ..< records).
        public func address(ofRecord index: Int) -> UInt32 { base + UInt32(index * ArchiveRecord.size) }

        /// The index of the record at `address`, or nil if it is not a record start in this area.
        public func index(ofAddress address: UInt32) -> Int? {
            guard address >= base else { return nil }
            let offset = Int(address - base)
            guard offset % ArchiveRecord.size == 0, offset / ArchiveRecord.size < records else { return nil }
            return offset / ArchiveRecord.size
        }
    }

    public let kib: Int
    public let hourly: Area
    public let daily: Area
    public let monthly: Area

    public static let kib512 = FlashLayout(
        kib: 512, hourly: Area(base: 0x0000_0000, records: 864),
        daily: Area(base: 0x0005_1000, records: 368), monthly: Area(base: 0x0007_3800, records: 128))
    public static let mib1 = FlashLayout(
        kib: 1024, hourly: Area(base: 0x0000_0000, records: 1728),
        daily: Area(base: 0x000A_2000, records: 736), monthly: Area(base: 0x000E_7000, records: 256))

    /// The layout for a `FLASH_TYPE` code (0x1F24 = 512 KiB, 0x1F25 = 1 MiB); nil for others.
    public init?(flashType: UInt16) {
        switch flashType {
        case 0x1F24: self = .kib512
        case 0x1F25: self = .mib1
        default: return nil
        }
    }

    private init(kib: Int, hourly: Area, daily: Area, monthly: Area) {
        (self.kib, self.hourly, self.daily, self.monthly) = (kib, hourly, daily, monthly)
    }

    /// The `FLASH_TYPE` code of this layout.
    public var flashType: UInt16 { kib == 512 ? 0x1F24 : 0x1F25 }

    public func area(_ kind: ArchiveKind) -> Area {
        switch kind {
        case .hourly: hourly
        case .daily: daily
        case .monthly: monthly
        }
    }

    /// `adr_hour` / `adr_day` / `adr_month` hold the address of the record written next plus this.
    public static let pointerOffset: UInt32 = 0x20_0000
}
