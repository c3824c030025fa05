/// The parts of a meter's T2K memory that one poll read, each byte marked as read or not.
///
/// A value is decoded only from bytes that were read; asking for anything else gives nil.
public struct T2KImage: Sendable, Hashable {
    private var memory = [UInt8](repeating: 0, count: T2KMap.size)
    private var read = [Bool](repeating: false, count: T2KMap.size)

    public init() {}

    /// Records the reply to a read of `bytes.count` bytes at `address`.
    public mutating func store(_ bytes: [UInt8], at address: UInt16) {
        let start = Int(address)
        precondition(start + bytes.count <= T2KMap.size, "read past the end of T2K")
        memory.replaceSubrange(start..<(start + bytes.count), with: bytes)
        for i in start..<(start + bytes.count) { read[i] = true }
    }

    /// Copies the bytes of `ranges` that `other` read (a steady poll keeps the configuration
    /// bytes of the last configuration read this way).
    public mutating func copy(_ ranges: [ClosedRange<UInt16>], from other: T2KImage) {
        for range in ranges {
            for i in Int(range.lowerBound)...Int(range.upperBound) where i < T2KMap.size && other.read[i] {
                memory[i] = other.memory[i]
                read[i] = true
            }
        }
    }

    /// The bytes at `address` ..< `address + count`, or nil if any of them was not read.
    public func bytes(at address: UInt16, count: Int) -> ArraySlice<UInt8>? {
        let start = Int(address), end = start + count
        guard end <= T2KMap.size, read[start..<end].allSatisfy({ $0 }) else { return nil }
        return memory[start..<end]
    }

    /// The field at `address` decoded as `type`, or nil if not read (or a bad BCD digit).
    public func field(_ type: FieldType, at address: UInt16) -> Double? {
        bytes(at: address, count: type.size).flatMap(type.decode)
    }

    /// The value `definition` describes, or nil if it is not a T2K value or its bytes were not read.
    /// Integrators are scaled by the `comma` codes at 0x02FA.
    public func value(of definition: ValueDefinition) -> Double? { value(of: definition, comma: .listed) }

    /// The value `definition` describes, integrators scaled by the `comma` codes at `location`.
    /// A field the seed lists together with `comma` (`diam78`) is decoded only when
    /// `sharedCommaBytes` is true (`SharedCommaBytes.readable(under:)`), else nil.
    public func value(of definition: ValueDefinition, comma location: CommaAddress, sharedCommaBytes: Bool = false)
        -> Double?
    {
        switch definition.source {
        case let .field(address, type):
            return field(type, at: address)
        case let .sharedWithComma(address, type):
            return sharedCommaBytes ? field(type, at: address) : nil
        case let .integrator(i):
            guard let l = bytes(at: i.whole, count: 4), let f = bytes(at: i.fraction, count: 4),
                let comma = bytes(at: i.comma(at: location), count: 1)
            else { return nil }
            return i.value(
                whole: BigEndian.uint32(l, at: l.startIndex),
                fraction: Float(bitPattern: BigEndian.uint32(f, at: f.startIndex)),
                comma: comma[comma.startIndex])
        case .clock:
            return bytes(at: T2KMap.clock, count: 6).flatMap(MeterClock.init(t2k:))?.unixSeconds.map(Double.init)
        case let .clockPart(index):
            return bytes(at: T2KMap.clock, count: 6).flatMap(MeterClock.init(t2k:)).map { Double($0.parts[index]) }
        case .flashKiB:
            return field(.u16, at: T2KMap.flashType).flatMap { FlashLayout(flashType: UInt16($0))?.kib }.map(Double.init)
        case let .flowLimit(gMax, percent, factor):
            guard let g = field(.f32, at: gMax), let p = field(.u8, at: percent) else { return nil }
            return g * p * factor
        case .status, .archive, .archiveWindow:
            return nil
        }
    }
}
