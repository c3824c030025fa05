/// Big-endian ("Motorola") stores into a byte image: the inverse of TEMProtocol's readers.
extension Array where Element == UInt8 {
    // Byte by byte rather than through `BigEndian.bytes`: the simulator writes thousands of
    // records when it fast-forwards, and temporary arrays dominate that time.
    mutating func store(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(value & 0xFF)
    }

    mutating func store(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(value >> 24)
        self[offset + 1] = UInt8((value >> 16) & 0xFF)
        self[offset + 2] = UInt8((value >> 8) & 0xFF)
        self[offset + 3] = UInt8(value & 0xFF)
    }

    mutating func store(_ value: Float, at offset: Int) { store(value.bitPattern, at: offset) }

    /// float32s one after another from `offset`.
    mutating func store(floats values: [Double], at offset: Int) {
        for (i, v) in values.enumerated() { store(Float(v), at: offset + 4 * i) }
    }

    /// uint32s one after another from `offset`.
    mutating func store(words values: [UInt32], at offset: Int) {
        for (i, v) in values.enumerated() { store(v, at: offset + 4 * i) }
    }

    /// uint16s one after another from `offset`.
    mutating func store(halfwords values: [UInt16], at offset: Int) {
        for (i, v) in values.enumerated() { store(v, at: offset + 2 * i) }
    }

    mutating func store(bytes values: [UInt8], at offset: Int) {
        for (i, v) in values.enumerated() { self[offset + i] = v }
    }

    /// Integrators: the F parts from `fraction` on, the L parts from `whole` on.
    mutating func store(counters: [Counter], fraction: Int, whole: Int) {
        for (i, c) in counters.enumerated() {
            store(c.fraction, at: fraction + 4 * i)
            store(c.whole, at: whole + 4 * i)
        }
    }
}
