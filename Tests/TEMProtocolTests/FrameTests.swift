import TEMProtocol
import Testing

@Suite struct FrameTests {
    /// PROTOCOL-NOTES, test vectors: identify request for address 1.
    @Test func identifyRequestForAddress1() {
        #expect(Frame.request(.identify, to: 1).bytes == [0x55, 0x01, 0xFE, 0x00, 0x00, 0x00, 0xAB])
    }

    @Test func checksumIsNotOfLowByteOfSum() {
        #expect(Checksum.compute([0x55, 0x01, 0xFE, 0x00, 0x00, 0x00]) == 0xAB)
        #expect(Checksum.compute([UInt8]()) == 0xFF)
        // 0xFF + 0x02 = 0x101: only the low byte counts.
        #expect(Checksum.compute([0xFF, 0x02]) == 0xFE)
    }

    /// 0F01 sends the address first, then the length.
    @Test func readT2KRequestFieldOrder() {
        let bytes = Frame.request(.readT2K(address: 0x0200, length: 28), to: 1).bytes
        #expect(bytes == [0x55, 0x01, 0xFE, 0x0F, 0x01, 0x03, 0x02, 0x00, 0x1C, 0x7A])
    }

    /// 0F03 sends the length first, then the 32-bit address big-endian.
    @Test func readFlashRequestFieldOrder() {
        let bytes = Frame.request(.readFlash(address: 0x0005_1000, length: 64), to: 1).bytes
        #expect(bytes == [0x55, 0x01, 0xFE, 0x0F, 0x03, 0x05, 0x40, 0x00, 0x05, 0x10, 0x00, 0x3F])
    }

    @Test func replyFrameLayout() {
        let bytes = Frame.reply(to: .readT2K(address: 0, length: 2), from: 7, data: [0x12, 0x34]).bytes
        #expect(bytes.count == FrameLayout.overhead + 2)
        #expect(Array(bytes[..<6]) == [0xAA, 0x07, 0xF8, 0x0F, 0x01, 0x02])
        #expect(Array(bytes[6..<8]) == [0x12, 0x34])
        #expect(bytes.last == Checksum.compute(bytes.dropLast()))
    }

    @Test func commandLengthsAndDescriptions() {
        #expect(Command.identify.replyLength == 7)
        #expect(Command.readT2K(address: 0x200, length: 28).replyLength == 28)
        #expect(Command.readFlash(address: 0, length: 64).replyLength == 64)
        #expect(Command.readT2K(address: 0x200, length: 28).description == "read T2K 0x0200 ×28")
        #expect(Command.readFlash(address: 0x51000, length: 64).description == "read Flash 0x00051000 ×64")
        #expect(hexDump([0x55, 0x01, 0xFE]) == "55 01 FE")
    }
}
