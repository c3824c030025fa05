import TEMProtocol
import Testing

@Suite struct NumberTests {
    /// PROTOCOL-NOTES, test vectors: I 21827 = `55 43`.
    @Test func sixteenBit() {
        #expect(FieldType.u16.decode([0x55, 0x43]) == 21827)
        #expect(FieldType.i16.decode([0xFF, 0xFE]) == -2)
    }

    /// PROTOCOL-NOTES, test vectors: L 21827345 = `01 4D 0F 11`.
    @Test func thirtyTwoBit() {
        #expect(FieldType.u32.decode([0x01, 0x4D, 0x0F, 0x11]) == 21_827_345)
        #expect(FieldType.u32.decode([0xFF, 0xFF, 0xFF, 0xFF]) == 4_294_967_295)
        #expect(FieldType.i32.decode([0xFF, 0xFF, 0xFF, 0xFF]) == -1)
    }

    /// PROTOCOL-NOTES, test vectors: F 21827345.0 = `4B A6 87 88` (as float32, 21827344).
    @Test func float() {
        #expect(FieldType.f32.decode([0x4B, 0xA6, 0x87, 0x88]) == 21_827_344.0)
        #expect(FieldType.f32.decode([0x3F, 0x80, 0x00, 0x00]) == 1.0)
    }

    @Test func byteAndBCD() {
        #expect(FieldType.u8.decode([0xC8]) == 200)
        #expect(FieldType.bcd.decode([0x59]) == 59)
        #expect(FieldType.bcd.decode([0x5A]) == nil)
        #expect(BCD.encode(7) == 0x07)
        #expect(BCD.encode(99) == 0x99)
        #expect((0...99).allSatisfy { BCD.decode(BCD.encode($0)) == $0 })
    }

    @Test func decodesFromSliceIndices() {
        let bytes: [UInt8] = [0xEE, 0x55, 0x43]
        #expect(FieldType.u16.decode(bytes[1...]) == 21827)
        #expect(
            FieldType.allCases.allSatisfy {
                $0.size == ($0 == .f32 || $0 == .u32 || $0 == .i32 ? 4 : $0 == .u16 || $0 == .i16 ? 2 : 1)
            })
    }
}
