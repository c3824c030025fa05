/// The TEM-106 frame checksum: the bitwise NOT of the low byte of the sum of every byte
/// before it, starting from the frame's first byte.
public enum Checksum {
    /// Returns the checksum of `bytes`.
    public static func compute<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        var sum: UInt8 = 0
        for byte in bytes { sum &+= byte }
        return ~sum
    }
}
