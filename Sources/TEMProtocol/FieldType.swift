/// How a number is stored in meter memory. Every multi-byte number is big-endian ("Motorola").
public enum FieldType: String, Sendable, CaseIterable, Codable {
    /// IEEE-754 float32 ("F").
    case f32
    /// 32-bit unsigned integer ("L"; every time integrator is unsigned).
    case u32
    /// 32-bit signed integer.
    case i32
    /// 16-bit unsigned integer ("I").
    case u16
    /// 16-bit signed integer.
    case i16
    /// One byte ("C").
    case u8
    /// One byte of two BCD digits, 00...99.
    case bcd

    /// Bytes the field occupies.
    public var size: Int {
        switch self {
        case .f32, .u32, .i32: 4
        case .u16, .i16: 2
        case .u8, .bcd: 1
        }
    }

    /// Decodes the field from the first `size` bytes of `bytes`; nil if a BCD digit is over 9.
    public func decode(_ bytes: ArraySlice<UInt8>) -> Double? {
        precondition(bytes.count >= size, "field needs \(size) bytes")
        let i = bytes.startIndex
        switch self {
        case .f32: return Double(Float(bitPattern: BigEndian.uint32(bytes, at: i)))
        case .u32: return Double(BigEndian.uint32(bytes, at: i))
        case .i32: return Double(Int32(bitPattern: BigEndian.uint32(bytes, at: i)))
        case .u16: return Double(BigEndian.uint16(bytes, at: i))
        case .i16: return Double(Int16(bitPattern: BigEndian.uint16(bytes, at: i)))
        case .u8: return Double(bytes[i])
        case .bcd: return BCD.decode(bytes[i]).map(Double.init)
        }
    }
}

/// Big-endian readers over byte collections; `at` is an index of the collection.
public enum BigEndian {
    public static func uint16(_ b: ArraySlice<UInt8>, at i: Int) -> UInt16 {
        UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }

    public static func uint32(_ b: ArraySlice<UInt8>, at i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    public static func bytes(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    public static func bytes(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}

/// Binary-coded decimal bytes: `0x59` is 59.
public enum BCD {
    /// The byte's value, or nil if either digit is over 9.
    public static func decode(_ byte: UInt8) -> Int? {
        let high = Int(byte >> 4), low = Int(byte & 0x0F)
        guard high <= 9, low <= 9 else { return nil }
        return high * 10 + low
    }

    /// `value` (0...99) as a BCD byte.
    public static func encode(_ value: Int) -> UInt8 {
        precondition((0...99).contains(value), "BCD holds 0...99")
        return UInt8(value / 10) << 4 | UInt8(value % 10)
    }
}
