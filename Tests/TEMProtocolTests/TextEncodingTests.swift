import TEMProtocol
import Testing

/// Hex dumps and cp1251, written and read in one place for the trace, dumps, the console and
/// the identify reply.
@Suite struct TextEncodingTests {
    @Test func hexDumpReadsBack() {
        let bytes: [UInt8] = [0x55, 0x01, 0xFE, 0x00, 0xAA]
        #expect(hexDump(bytes) == "55 01 FE 00 AA")
        #expect(parseHexDump(hexDump(bytes)) == bytes)
        #expect(parseHexDump("aa 0b") == [0xAA, 0x0B])
        #expect(parseHexDump("") == [])
        #expect(parseHexDump("5 01") == nil)
        #expect(parseHexDump("zz") == nil)
    }

    /// The identify reply of a TEM-106 (seed: `ТЕМС106` in cp1251, NUL-padded).
    @Test func cp1251DecodesTheMetersName() {
        #expect(CP1251.decode([0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36, 0x00, 0x00]) == "ТЕМС106")
        #expect(CP1251.decode([0xA8, 0xB8, 0xE0, 0xFF]) == "Ёёая")
        #expect(CP1251.decode([0x98]) == "\u{FFFD}")
    }
}
