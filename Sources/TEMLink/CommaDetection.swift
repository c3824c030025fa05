import TEMProtocol

/// Asks a meter where it keeps `comma` (PROTOCOL-NOTES decision 1): reads what
/// `CommaDecision` needs and lets it decide.
public enum CommaDetection {
    /// The T2K bytes read: `systems`, and 0x02E8...0x02FF, both candidates in one read.
    static let systemsRange = T2KMap.systems...T2KMap.systems
    static let candidatesRange = CommaAddress.hole.address...(CommaAddress.listed.address + 5)

    /// Decides the `comma` location of the meter at `address`. With `override` nothing is read.
    /// Otherwise four T2K reads (`systems`, the 24 bytes 0x02E8...0x02FF, `FLASH_TYPE` and the
    /// archive pointers) and one 6-byte Flash read per archive kind tried: the `comma` of the
    /// newest hourly record, else daily, else monthly (a slot of 0xFF bytes was never written).
    /// Throws the first failed exchange.
    public static func decide(client: MeterClient, address: UInt8, override: CommaAddress? = nil) throws(ExchangeError)
        -> CommaDecision
    {
        if let override {
            return CommaDecision(evidence: .init(atHole: nil, atListed: nil, record: nil, systems: 0, override: override))
        }
        let image = try client.read(
            ReadPlanner.plan([systemsRange, candidatesRange] + ArchivePointers.t2kRanges), address: address)
        let record = try newestRecordComma(client: client, address: address, pointers: ArchivePointers(image: image))
        return CommaDecision(
            evidence: .init(
                atHole: image.bytes(at: CommaAddress.hole.address, count: 6).map(Array.init),
                atListed: image.bytes(at: CommaAddress.listed.address, count: 6).map(Array.init),
                record: record, systems: Int(image.field(.u8, at: T2KMap.systems) ?? 0)))
    }

    /// The `comma` bytes (record offset 0x118) of the newest written record, hourly first.
    static func newestRecordComma(client: MeterClient, address: UInt8, pointers: ArchivePointers?) throws(ExchangeError)
        -> RecordComma?
    {
        guard let pointers else { return nil }
        for kind in ArchiveKind.allCases {
            guard let newest = pointers.newestIndex(kind) else { continue }
            let at = pointers.layout.area(kind).address(ofRecord: newest) + UInt32(ArchiveRecord.Offset.comma)
            let comma = try client.readFlash(address: address, at: at, length: 6)
            if !comma.allSatisfy({ $0 == 0xFF }) { return RecordComma(kind: kind, codes: comma) }
        }
        return nil
    }
}
