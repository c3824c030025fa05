import Config

/// Turns a value into Modbus registers: type, scale and word/byte order. Pure.
///
/// Integer types: register = value × scale, rounded to nearest (halves away from zero),
/// saturated to the type's range; NaN (a value the meter did not give) becomes 0 here, and the
/// register image marks it unavailable so that a read of it answers 0B (`RegisterLayout.rendering`).
/// Float types: value × scale (scale 1 when absent) as IEEE-754; a missing value is NaN.
public enum RegisterEncoder {
    /// The registers for `value` (nil = not available) as `type` in `order`.
    public static func encode(_ value: Double?, type: RegisterType, order: WordOrder, scale: Double? = nil) -> [UInt16] {
        let v = (value ?? .nan) * (scale ?? 1)
        let bytes: [UInt8]
        switch type {
        case .uint16: bytes = be(UInt64(saturating(v, min: 0, max: Double(UInt16.max))), 2)
        case .int16:
            bytes = be(UInt64(UInt16(bitPattern: Int16(saturating(v, min: Double(Int16.min), max: Double(Int16.max))))), 2)
        case .uint32: bytes = be(UInt64(saturating(v, min: 0, max: Double(UInt32.max))), 4)
        case .int32:
            bytes = be(UInt64(UInt32(bitPattern: Int32(saturating(v, min: Double(Int32.min), max: Double(Int32.max))))), 4)
        case .float32: bytes = be(UInt64(Float(v).bitPattern), 4)
        case .float64: bytes = be(v.bitPattern, 8)
        }
        return words(bytes, order: order)
    }

    /// Rounds and clamps; NaN → 0.
    private static func saturating(_ v: Double, min: Double, max: Double) -> Int64 {
        guard !v.isNaN else { return 0 }
        return Int64(Swift.min(Swift.max(v.rounded(.toNearestOrAwayFromZero), min), max))
    }

    private static func be(_ v: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(count - 1 - $0))) }
    }

    /// Big-endian bytes as registers: CDAB reverses the word order, BADC swaps the bytes in
    /// each word, DCBA does both. A 16-bit value has one word, so only the byte swap applies.
    static func words(_ bytes: [UInt8], order: WordOrder) -> [UInt16] {
        let swapBytes = order == .BADC || order == .DCBA
        let swapWords = order == .CDAB || order == .DCBA
        var words: [UInt16] = stride(from: 0, to: bytes.count, by: 2).map { i in
            let (high, low) = swapBytes ? (bytes[i + 1], bytes[i]) : (bytes[i], bytes[i + 1])
            return UInt16(high) << 8 | UInt16(low)
        }
        if swapWords { words.reverse() }
        return words
    }
}
