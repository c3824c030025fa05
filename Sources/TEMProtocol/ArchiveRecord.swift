/// One 384-byte archive record from Flash (seed §5.2), decoded.
public struct ArchiveRecord: Sendable, Hashable {
    /// Bytes per record.
    public static let size = 384

    /// Record offsets (seed §5.2). Public so the simulator's encoder writes what this decodes.
    public enum Offset {
        public static let written = 0x000, volumeFraction = 0x004, volumeWhole = 0x01C
        public static let massFraction = 0x034, massWhole = 0x04C, energyFraction = 0x064, energyWhole = 0x07C
        public static let energyTotalFraction = 0x094, energyTotalWhole = 0x098, timePowered = 0x09C
        public static let timeNormal = 0x0A0, timeBelowGMin = 0x0B8, timeAboveGMax = 0x0D0
        public static let timeBelowDtMin = 0x0E8, timeFault = 0x100, comma = 0x118
        public static let temperature = 0x11E, pressure = 0x13A, errors = 0x16A, period = 0x175
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
        let writtenStamp = Array(b[Offset.written..<(Offset.written + 4)])
        let periodStamp = Array(b[Offset.period..<(Offset.period + 4)])
        guard let written = MeterClock(archiveStamp: writtenStamp), written.isValid else {
            throw .impossibleDate(stamp: writtenStamp)
        }
        guard let period = MeterClock(archiveStamp: periodStamp), period.isValid else {
            throw .impossibleDate(stamp: periodStamp)
        }
        self.written = written
        self.period = period

        func u32(_ offset: Int) -> UInt32 { BigEndian.uint32(b, at: offset) }
        func f32(_ offset: Int) -> Float { Float(bitPattern: u32(offset)) }
        var values: [String: Double] = [:]
        values["time"] = Double(written.unixSeconds!)
        values["period"] = Double(period.unixSeconds!)
        for n in 1...6 {
            let i = 4 * (n - 1)
            let comma = b[Offset.comma + n - 1]
            values["energy.\(n)"] = Integrator.Scaling.energy.value(
                whole: u32(Offset.energyWhole + i), fraction: f32(Offset.energyFraction + i), comma: comma)
            values["volume.\(n)"] = Integrator.Scaling.volume.value(
                whole: u32(Offset.volumeWhole + i), fraction: f32(Offset.volumeFraction + i), comma: comma)
            values["mass.\(n)"] = Integrator.Scaling.volume.value(
                whole: u32(Offset.massWhole + i), fraction: f32(Offset.massFraction + i), comma: comma)
            values["pressure.\(n)"] = Double(f32(Offset.pressure + i))
            values["time.normal.\(n)"] = Double(u32(Offset.timeNormal + i))
            values["time.below_gmin.\(n)"] = Double(u32(Offset.timeBelowGMin + i))
            values["time.above_gmax.\(n)"] = Double(u32(Offset.timeAboveGMax + i))
            values["time.below_dtmin.\(n)"] = Double(u32(Offset.timeBelowDtMin + i))
            values["time.fault.\(n)"] = Double(u32(Offset.timeFault + i))
            values["errors.\(n)"] = Double(b[Offset.errors + n - 1])
        }
        for n in 1...7 { values["temperature.\(n)"] = Double(f32(Offset.temperature + 4 * (n - 1))) }
        // PROTOCOL-NOTES decision 3: energyall is scaled by system 1's comma.
        values["energy.total"] = Integrator.Scaling.energy.value(
            whole: u32(Offset.energyTotalWhole), fraction: f32(Offset.energyTotalFraction), comma: b[Offset.comma])
        values["time.powered"] = Double(u32(Offset.timePowered))
        self.values = values
        self.errors = Array(b[Offset.errors..<(Offset.errors + 6)])
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
