/// SplitMix64: a small, fast generator whose whole output follows from its seed, so a simulated
/// line with the same seed (and start time) shows the same values every run.
struct SeededRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in `range`.
    mutating func double(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }

    /// SplitMix64's finaliser: a stateless hash of `value`, for values that must not depend on the
    /// order things were asked for (error hours of the archive).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A hash of several values.
    static func hash(_ values: UInt64...) -> UInt64 {
        values.reduce(0x6A09_E667_F3BC_C908) { mix($0 ^ $1) }
    }
}
