/// An IPv4 network in CIDR form, as written in the mapping's `server.allow` list.
///
/// Accepts `A.B.C.D/P` and a bare `A.B.C.D` (= /32). Octets are decimal 0...255 without leading
/// zeros (`010` could be read as octal, so it is refused); the prefix is 0...32. Host bits below
/// the prefix are cleared: `10.1.2.3/8` is the network `10.0.0.0/8`.
public struct IPv4Network: Sendable, Hashable, CustomStringConvertible {
    /// The network address in host byte order, host bits cleared.
    public let address: UInt32
    /// The number of leading bits that must match, 0...32.
    public let prefixLength: Int

    /// Parses `text`; nil if it is malformed (bad octet, prefix > 32, junk, surrounding spaces).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.parseAddress(parts[0]) else { return nil }
        var prefixLength = 32
        if parts.count == 2 {
            guard let prefix = Self.parseDecimal(parts[1], maxDigits: 2), prefix <= 32 else { return nil }
            prefixLength = prefix
        }
        self.prefixLength = prefixLength
        self.address = address & Self.mask(prefixLength)
    }

    /// Whether `address` (host byte order) lies in this network.
    public func contains(_ address: UInt32) -> Bool {
        address & Self.mask(prefixLength) == self.address
    }

    /// `10.0.0.0/8`.
    public var description: String { Self.dotted(address) + "/\(prefixLength)" }

    /// `address` (host byte order) as `10.1.2.3`.
    public static func dotted(_ address: UInt32) -> String {
        [24, 16, 8, 0].map { String((address >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    private static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    private static func parseAddress(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var address: UInt32 = 0
        for octet in octets {
            guard let value = parseDecimal(octet, maxDigits: 3), value <= 255 else { return nil }
            address = address << 8 | UInt32(value)
        }
        return address
    }

    /// ASCII digits only, 1...maxDigits of them, no leading zero unless the number is 0.
    private static func parseDecimal(_ text: Substring, maxDigits: Int) -> Int? {
        let digits = text.utf8
        guard (1...maxDigits).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard digits.count == 1 || digits.first != 0x30 else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
