import TEMProtocol

/// Reads archive records over a meter exchange: a 384-byte record is six 64-byte Flash reads.
public struct ArchiveReader {
    /// The meter read.
    public let meter: AddressedMeter

    public init(client: MeterClient, address: UInt8) {
        meter = AddressedMeter(client: client, address: address)
    }

    /// Reads `FLASH_TYPE` and the record pointers.
    public func pointers() throws(ExchangeError) -> ArchivePointers? {
        ArchivePointers(image: try meter.read(ReadPlanner.plan(ArchivePointers.t2kRanges)))
    }

    /// The raw bytes of record `index` of `area`.
    public func recordBytes(in area: FlashLayout.Area, index: Int) throws(ExchangeError) -> [UInt8] {
        let start = area.address(ofRecord: index)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ArchiveRecord.size)
        for offset in stride(from: 0, to: ArchiveRecord.size, by: Command.maxReadLength) {
            bytes += try meter.readFlash(at: start + UInt32(offset), length: Command.maxReadLength)
        }
        return bytes
    }
}

/// The written part of one archive ring, oldest record first: position 0 is the oldest
/// record, `count − 1` the newest complete one.
public struct ArchiveHistory: Sendable, Hashable {
    public let area: FlashLayout.Area
    /// Ring index of the oldest record.
    public let oldest: Int
    /// Records written (the whole ring once it has wrapped).
    public let count: Int

    public init(area: FlashLayout.Area, oldest: Int, count: Int) {
        self.area = area
        self.oldest = oldest
        self.count = count
    }

    /// The ring index of position `p` (0 = oldest).
    public func index(at p: Int) -> Int { (oldest + p) % area.records }
}

extension ArchiveReader {
    /// Where the records of `kind` are. The ring fills from its first slot, so until it wraps
    /// the slot after the newest is never written and the history starts at slot 0.
    public func history(_ kind: ArchiveKind) throws(ExchangeError) -> ArchiveHistory? {
        guard let pointers = try pointers(), let newest = pointers.newestIndex(kind) else { return nil }
        let area = pointers.layout.area(kind)
        let after = (newest + 1) % area.records
        let stamp = try meter.readFlash(at: area.address(ofRecord: after), length: 4)
        if stamp.allSatisfy({ $0 == 0xFF }) {
            let newestStamp = try meter.readFlash(at: area.address(ofRecord: newest), length: 4)
            return newestStamp.allSatisfy({ $0 == 0xFF })
                ? ArchiveHistory(area: area, oldest: 0, count: 0)
                : ArchiveHistory(area: area, oldest: 0, count: newest + 1)
        }
        return ArchiveHistory(area: area, oldest: after, count: area.records)
    }

    /// The period stamp (Unix seconds) of the record at position `p`, or nil if it is not a date.
    public func period(in history: ArchiveHistory, at p: Int) throws(ExchangeError) -> Int? {
        let start = history.area.address(ofRecord: history.index(at: p)) + UInt32(ArchiveRecord.Offset.period)
        let bytes = try meter.readFlash(at: start, length: 4)
        return MeterClock(archiveStamp: bytes)?.unixSeconds
    }

    /// The first position whose period is at or after `time`, by binary search over the
    /// chronological ring (one 4-byte read per probe). A slot with an impossible date counts
    /// as earlier. Returns `history.count` if every record is earlier.
    public func firstPosition(in history: ArchiveHistory, atOrAfter time: Int) throws(ExchangeError) -> Int {
        var low = 0, high = history.count
        while low < high {
            let mid = (low + high) / 2
            if let t = try period(in: history, at: mid), t >= time { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
