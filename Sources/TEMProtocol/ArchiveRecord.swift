/// One 384-byte archive record from Flash (seed §5.2), decoded.
public struct ArchiveRecord: Sendable, Hashable {
    /// Bytes per record.
    public static let size = 384

    /// Record offsets (seed §5.2), read from `ArchiveRecordLayout.fields`.
    public enum Offset {
        private static func of(_ id: ArchiveRecordLayout.Field.ID, array: Int = 0) -> Int {
            ArchiveRecordLayout.field(id).ranges[array].lowerBound
        }

        public static let written = of(.written), volumeFraction = of(.volume), volumeWhole = of(.volume, array: 1)
        public static let massFraction = of(.mass), massWhole = of(.mass, array: 1)
        public static let energyFraction = of(.energy), energyWhole = of(.energy, array: 1)
        public static let energyTotalFraction = of(.energyTotal), energyTotalWhole = of(.energyTotal, array: 1)
        public static let timePowered = of(.timePowered), timeNormal = of(.timeNormal)
        public static let timeBelowGMin = of(.timeBelowGMin), timeAboveGMax = of(.timeAboveGMax)
        public static let timeBelowDtMin = of(.timeBelowDtMin), timeFault = of(.timeFault), comma = of(.comma)
        public static let temperature = of(.temperature), pressure = of(.pressure), errors = of(.errors)
        public static let period = of(.period)
    }

    /// Why a slot holds no record.
    public enum Empty: Error, Sendable, Hashable, CustomStringConvertible {
        /// Every byte is 0xFF: the slot was never written.
        case neverWritten
        /// A time stamp is not a real date.
        case impossibleDate(stamp: [UInt8])

        public var description: String {
            switch self {
            case .neverWritten: "never written (all 0xFF)"
            case let .impossibleDate(stamp): "impossible date stamp \(hexDump(stamp))"
            }
        }
    }

    /// When the meter wrote the record.
    public let written: MeterClock
    /// The start of the hour/day the record covers.
    public let period: MeterClock
    /// Values by contract name (`energy.1`, `temperature.3`, `errors.2`, `time.powered`, …).
    public let values: [String: Double]
    /// The error byte of each system 1...6.
    public let errors: [UInt8]

    /// Decodes `bytes` (exactly 384). Throws `Empty` for a never-written slot or impossible dates.
    /// The record checksum at 0x17F is not verified: the seed does not give its algorithm.
    public init(bytes: [UInt8]) throws(Empty) {
        precondition(bytes.count == Self.size, "an archive record is 384 bytes")
        if bytes.allSatisfy({ $0 == 0xFF }) { throw .neverWritten }
        let b = bytes[...]
        var clocks: [ArchiveRecordLayout.Field.ID: MeterClock] = [:]
        for field in ArchiveRecordLayout.fields where field.coding == .stamp {
            let stamp = Array(b[field.ranges[0]])
            guard let clock = MeterClock(archiveStamp: stamp), clock.isValid else { throw .impossibleDate(stamp: stamp) }
            clocks[field.id] = clock
        }
        self.written = clocks[.written]!
        self.period = clocks[.period]!
        var values: [String: Double] = [:]
        for value in ArchiveRecordLayout.values {
            values[value.name] = value.field.value(value.index, in: b) ?? .nan
        }
        self.values = values
        self.errors = Array(b[ArchiveRecordLayout.field(.errors).ranges[0]])
    }

    /// The error bits of one system's byte as words: `G1<min`, `dT<min`, `power off`, ….
    public static func errorWords(_ bits: UInt8) -> [String] {
        let words = ["G1<min", "G2<min", "G1>max", "G2>max", "dT<min", "T fault", "P fault", "power off"]
        return (0..<8).filter { bits & (1 << $0) != 0 }.map { words[$0] }
    }
}

extension Integrator.Scaling {
    /// (L + F) / k for this scaling.
    public func value(whole l: UInt32, fraction f: Float, comma: UInt8) -> Double {
        (Double(l) + Double(f)) / divisor(comma: comma)
    }
}
