/// One thing a meter's memory says that a working, correctly read meter would not.
public struct PlausibilityWarning: Sendable, Hashable, CustomStringConvertible {
    /// What is implausible; a poller logs each kind once per meter.
    public enum Kind: Sendable, Hashable {
        case systems
        case flashType
        case clock
        case comma
        /// The integrator of this value name went backwards.
        case integratorBackwards(String)
        case archivePointer(ArchiveKind)
    }

    public let kind: Kind
    /// One line for people, without the meter's name.
    public let message: String

    public var description: String { message }
}

/// Plausibility checks over what a poll read: a pure function returning warnings.
public enum Plausibility {
    /// The warnings `image` gives (only bytes that were read are checked): `systems` outside
    /// 1...6, an unknown `FLASH_TYPE`, a clock that is not a valid BCD date, `comma` codes at
    /// `comma` outside 0...6 for `commaChannels` (default: the configured systems), an archive pointer that is not a record
    /// start in its area, and, given the `previous` poll's image, an integrator of `values`
    /// that went backwards (the meter was replaced or reset).
    public static func warnings(
        _ image: T2KImage, comma: CommaAddress = .listed, previous: T2KImage? = nil,
        values: [ValueDefinition] = ValueCatalog.all, commaChannels: [Int]? = nil
    ) -> [PlausibilityWarning] {
        var out: [PlausibilityWarning] = []
        var systems = 6
        if let s = image.field(.u8, at: T2KMap.systems) {
            systems = CommaCode.systemsToCheck(Int(s))
            if !(1...6).contains(Int(s)) {
                out.append(.init(kind: .systems, message: "systems is \(Int(s)), outside 1...6; all six systems are checked"))
            }
        }
        var layout: FlashLayout?
        if let type = image.field(.u16, at: T2KMap.flashType) {
            layout = FlashLayout(flashType: UInt16(type))
            if layout == nil {
                out.append(
                    .init(
                        kind: .flashType,
                        message: "unknown FLASH_TYPE 0x\(hex(UInt32(type), width: 4)) (expected 0x1F24 or 0x1F25): no archive"))
            }
        }
        if let bytes = image.bytes(at: T2KMap.clock, count: 6), MeterClock(t2k: bytes)?.isValid != true {
            out.append(.init(kind: .clock, message: "the meter clock \(hexDump(bytes)) is not a valid BCD date and time"))
        }
        let channels = commaChannels ?? Array(1...systems)
        // Only the codes this poll read (a plan reads the code of each mapped integrator).
        let read = channels.filter { image.bytes(at: comma.code(system: $0), count: 1) != nil }
        let codes = read.compactMap { image.bytes(at: comma.code(system: $0), count: 1)?.first }
        if !codes.allSatisfy(CommaCode.valid.contains) {
            out.append(
                .init(
                    kind: .comma,
                    message:
                        "comma codes at \(comma) are \(hexDump(codes)) for channels \(CommaCode.text(read)); valid codes are 0...6"
                ))
        }
        if let layout {
            let pointers: [(ArchiveKind, UInt16)] = [
                (.hourly, T2KMap.nextHourlyRecord), (.daily, T2KMap.nextDailyRecord), (.monthly, T2KMap.nextMonthlyRecord),
            ]
            for (kind, address) in pointers {
                guard let pointer = image.field(.u32, at: address).map(UInt32.init) else { continue }
                let area = layout.area(kind)
                let inside =
                    pointer >= FlashLayout.pointerOffset && area.index(ofAddress: pointer - FlashLayout.pointerOffset) != nil
                if !inside {
                    out.append(
                        .init(
                            kind: .archivePointer(kind),
                            message:
                                "the \(kind.rawValue) archive pointer 0x\(hex(pointer, width: 8)) is not a record start of its area (0x\(hex(area.base + FlashLayout.pointerOffset, width: 8)), \(area.records) records)"
                        ))
                }
            }
        }
        if let previous {
            for value in values {
                guard case .integrator = value.source, let now = image.value(of: value, comma: comma),
                    let before = previous.value(of: value, comma: comma), now < before - IntegratorJump.roundingTolerance
                else { continue }
                out.append(
                    .init(
                        kind: .integratorBackwards(value.name),
                        message: "\(value.name) went backwards from \(before) to \(now) \(value.unit): meter replaced or reset?"))
            }
        }
        return out
    }
}
