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
        public static let extraVolumeFraction = of(.extraVolume), extraVolumeWhole = of(.extraVolume, array: 1)
    }

    /// Why a slot holds no record.
    public enum Empty: Error, Sendable, Hashable, CustomStringConvertible {
        /// Every byte is 0xFF: the slot was never written.
        case neverWritten

        public var description: String {
            switch self {
            case .neverWritten: "never written (all 0xFF)"
            }
        }
    }

    /// A time stamp of the record that is not a real date (a Flash fault, a bad write): the record
    /// is kept with every other field, flagged damaged.
    public struct Damage: Sendable, Hashable, CustomStringConvertible {
        /// `.written` or `.period`.
        public let field: ArchiveRecordLayout.Field.ID
        /// The four stamp bytes as found.
        public let stamp: [UInt8]

        public init(field: ArchiveRecordLayout.Field.ID, stamp: [UInt8]) {
            self.field = field
            self.stamp = stamp
        }

        public var description: String {
            "\(field == .written ? "written" : "period") stamp \(hexDump(stamp)) is not a date"
        }
    }

    /// When the meter wrote the record; nil when that stamp is not a date (see `damage`).
    public let written: MeterClock?
    /// The start of the hour/day the record covers; nil when that stamp is not a date.
    public let period: MeterClock?
    /// The stamps that are not dates; empty for an intact record.
    public let damage: [Damage]
    /// Values by contract name (`energy.1`, `temperature.3`, `errors.2`, `time.powered`, …); a
    /// stamp that is not a date (`time`, `period`) is NaN.
    public let values: [String: Double]
    /// The error byte of each system 1...6.
    public let errors: [UInt8]

    /// A stamp is not a date: the record is kept, flagged.
    public var isDamaged: Bool { !damage.isEmpty }

    /// Decodes `bytes` (exactly 384). Throws only for a never-written slot: a record whose time
    /// stamps are not dates still gives every other field, with `damage` saying which stamp.
    /// The record checksum at 0x17F is not verified: the seed does not give its algorithm.
    public init(bytes: [UInt8]) throws(Empty) {
        precondition(bytes.count == Self.size, "an archive record is 384 bytes")
        if bytes.allSatisfy({ $0 == 0xFF }) { throw .neverWritten }
        let b = bytes[...]
        var clocks: [ArchiveRecordLayout.Field.ID: MeterClock] = [:]
        var damage: [Damage] = []
        for field in ArchiveRecordLayout.fields where field.coding == .stamp {
            let stamp = Array(b[field.ranges[0]])
            if let clock = MeterClock(archiveStamp: stamp), clock.isValid {
                clocks[field.id] = clock
            } else {
                damage.append(Damage(field: field.id, stamp: stamp))
            }
        }
        self.written = clocks[.written]
        self.period = clocks[.period]
        self.damage = damage
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
