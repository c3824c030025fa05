/// A request the master sends to a meter, and the reply data length it expects.
///
/// The seed defines three commands. Note the different field order of `readT2K`
/// (address, then length) and `readFlash` (length, then address).
public enum Command: Sendable, Hashable, CustomStringConvertible {
    /// CGRP 00, CMD 00: the meter answers with its 7-byte name.
    case identify
    /// CGRP 0F, CMD 01: read `length` (1...64) bytes of the 2 KiB timer memory "T2K".
    case readT2K(address: UInt16, length: UInt8)
    /// CGRP 0F, CMD 03: read `length` (1...64) bytes of Flash at a 32-bit address.
    case readFlash(address: UInt32, length: UInt8)

    /// The most data bytes one read may ask for.
    public static let maxReadLength = 64
    /// The length of the identify reply's data.
    public static let identifyReplyLength = 7

    public var group: UInt8 {
        switch self {
        case .identify: 0x00
        case .readT2K, .readFlash: 0x0F
        }
    }

    public var code: UInt8 {
        switch self {
        case .identify: 0x00
        case .readT2K: 0x01
        case .readFlash: 0x03
        }
    }

    /// The request's data bytes, big-endian.
    public var requestData: [UInt8] {
        switch self {
        case .identify:
            return []
        case let .readT2K(address, length):
            return [UInt8(address >> 8), UInt8(address & 0xFF), length]
        case let .readFlash(address, length):
            return [
                length, UInt8(address >> 24), UInt8((address >> 16) & 0xFF),
                UInt8((address >> 8) & 0xFF), UInt8(address & 0xFF),
            ]
        }
    }

    /// The number of data bytes a valid reply carries.
    public var replyLength: Int {
        switch self {
        case .identify: Command.identifyReplyLength
        case let .readT2K(_, length), let .readFlash(_, length): Int(length)
        }
    }

    public var description: String {
        switch self {
        case .identify: "identify"
        case let .readT2K(address, length): "read T2K 0x\(hex(address, width: 4)) ×\(length)"
        case let .readFlash(address, length): "read Flash 0x\(hex(address, width: 8)) ×\(length)"
        }
    }
}

/// Upper-case hexadecimal, zero-padded to `width` digits.
public func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Bytes as space-separated upper-case hex pairs: `55 01 FE`.
public func hexDump<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { hex($0, width: 2) }.joined(separator: " ")
}

/// The bytes of a `hexDump` text (either case); nil unless every space-separated part is two
/// hex digits.
public func parseHexDump(_ text: String) -> [UInt8]? {
    var out: [UInt8] = []
    for part in text.split(separator: " ") {
        guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
        out.append(byte)
    }
    return out
}

/// The meter's text encoding (Windows-1251) as far as a TEM-106 uses it: its name in the identify
/// reply (`ТЕМС106`).
public enum CP1251 {
    /// ASCII as is, 0xC0...0xFF as А...я, 0xA8/0xB8 as Ё/ё, anything else as U+FFFD; trailing NUL
    /// bytes (padding) are dropped.
    public static func decode(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes.reversed().drop(while: { $0 == 0 }).reversed() {
            let value: UInt32 =
                switch byte {
                case 0x00...0x7F: UInt32(byte)
                case 0xC0...0xFF: 0x0410 + UInt32(byte - 0xC0)
                case 0xA8: 0x0401
                case 0xB8: 0x0451
                default: 0xFFFD
                }
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }
}
