import TEMProtocol

/// Asks a meter where it keeps `comma` (PROTOCOL-NOTES decision 1): reads what
/// `CommaDecision` needs and lets it decide.
public enum CommaDetection {
    /// `sys_g` C[6]: the flow channels of each system (bit fields).
    static let sysG: UInt16 = 0x0007
    /// The T2K bytes read: `systems`, `system_t` and `sys_g` (0x0000...0x000C), and
    /// 0x02E8...0x02FF, both candidates in one read.
    static let systemsRange = T2KMap.systems...(sysG + 5)
    static let candidatesRange = CommaAddress.hole.address...(CommaAddress.listed.address + 5)
    /// The live integrators the continuity witness compares: `lvolume` … `energyall`, in reads of
    /// 64 bytes (a torn L + F pair is off by one unit at most, far below the tolerance).
    static let integratorsRanges: [ClosedRange<UInt16>] = {
        let first = Int(T2KMap.volumeFraction)
        let last: Int = Int(T2KMap.energyTotalWhole) + 3
        let step: Int = Command.maxReadLength
        return stride(from: first, through: last, by: step).map { (start: Int) -> ClosedRange<UInt16> in
            let end: Int = Swift.min(start + step - 1, last)
            return UInt16(start)...UInt16(end)
        }
    }()
    /// The same integrators in a record: offsets 0x004...0x09B.
    static let recordIntegrators = ArchiveRecord.Offset.volumeFraction..<(ArchiveRecord.Offset.energyTotalWhole + 4)

    /// The newest written record: its kind, `comma` and Flash address.
    struct NewestRecord {
        var comma: RecordComma
        var address: UInt32
    }

    /// Decides the `comma` location of the meter at `address`. With `override` nothing is read.
    /// Otherwise four T2K reads (`systems` with `sys_g`, the 24 bytes 0x02E8...0x02FF,
    /// `FLASH_TYPE` and the archive pointers) and one 6-byte Flash read per archive kind tried:
    /// the `comma` of the newest hourly record, else daily, else monthly (a slot of 0xFF bytes was
    /// never written). Only when those do not settle it and a record exists, the second witness:
    /// three T2K reads of the live integrators and three Flash reads of the record's (when
    /// those fail, the guess stands). Throws the first other failed exchange.
    public static func decide(client: MeterClient, address: UInt8, override: CommaAddress? = nil) throws(ExchangeError)
        -> CommaDecision
    {
        if let override {
            return CommaDecision(evidence: .init(atHole: nil, atListed: nil, record: nil, systems: 0, override: override))
        }
        let image = try client.read(
            ReadPlanner.plan([systemsRange, candidatesRange] + ArchivePointers.t2kRanges), address: address)
        let newest = try newestRecord(client: client, address: address, pointers: ArchivePointers(image: image))
        var evidence = CommaDecision.Evidence(
            atHole: image.bytes(at: CommaAddress.hole.address, count: 6).map(Array.init),
            atListed: image.bytes(at: CommaAddress.listed.address, count: 6).map(Array.init),
            record: newest?.comma, systems: Int(image.field(.u8, at: T2KMap.systems) ?? 0),
            sysG: image.bytes(at: sysG, count: 6).map(Array.init))
        let codesOnly = CommaDecision(evidence: evidence)
        guard !codesOnly.isConfirmed, let newest else { return codesOnly }
        // The second witness is best effort: a meter (or a dump replayed without its Flash) that
        // does not answer these reads leaves the guess as it is, flagged.
        do throws(ExchangeError) {
            evidence.continuity = try continuity(client: client, address: address, record: newest)
        } catch {
            if case .stopped = error.reason { throw error }
            return codesOnly
        }
        return CommaDecision(evidence: evidence)
    }

    /// The live integrators' L + F and the record's integrators scaled with its own `comma`.
    static func continuity(client: MeterClient, address: UInt8, record: NewestRecord) throws(ExchangeError)
        -> IntegratorContinuity
    {
        let image = try client.read(ReadPlanner.plan(integratorsRanges), address: address)
        var live: [String: Double] = [:]
        for (name, integrator) in IntegratorContinuity.integrators {
            guard let l = image.field(.u32, at: integrator.whole), let f = image.field(.f32, at: integrator.fraction) else {
                continue
            }
            live[name] = l + f
        }
        var bytes = [UInt8](repeating: 0xFF, count: ArchiveRecord.size)
        let integrators = try client.readFlash(
            address: address, at: record.address + UInt32(recordIntegrators.lowerBound), length: recordIntegrators.count)
        bytes.replaceSubrange(recordIntegrators, with: integrators)
        bytes.replaceSubrange(
            ArchiveRecord.Offset.comma..<(ArchiveRecord.Offset.comma + 6), with: record.comma.codes.prefix(6))
        var values: [String: Double] = [:]
        for id in [ArchiveRecordLayout.Field.ID.energy, .energyTotal, .volume, .mass] {
            let field = ArchiveRecordLayout.field(id)
            for n in 1...field.count {
                if let name = field.name(n), let value = field.value(n, in: bytes[...]) { values[name] = value }
            }
        }
        return IntegratorContinuity(kind: record.comma.kind, live: live, record: values)
    }

    /// The newest written record, hourly first: its `comma` bytes (record offset 0x118) and address.
    static func newestRecord(client: MeterClient, address: UInt8, pointers: ArchivePointers?) throws(ExchangeError)
        -> NewestRecord?
    {
        guard let pointers else { return nil }
        for kind in ArchiveKind.allCases {
            guard let newest = pointers.newestIndex(kind) else { continue }
            let start = pointers.layout.area(kind).address(ofRecord: newest)
            let comma = try client.readFlash(address: address, at: start + UInt32(ArchiveRecord.Offset.comma), length: 6)
            if !comma.allSatisfy({ $0 == 0xFF }) {
                return NewestRecord(comma: RecordComma(kind: kind, codes: comma), address: start)
            }
        }
        return nil
    }
}
