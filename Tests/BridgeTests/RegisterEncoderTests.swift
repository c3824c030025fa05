import Config
import Mapping
import Testing

@testable import Bridge

@Suite struct RegisterEncoderTests {
    // PROTOCOL-NOTES, test vectors: F 21827345.0 stores as 4B A6 87 88 (float32 21827344).
    @Test func float32InEachOrder() {
        #expect(RegisterEncoder.encode(21827345, type: .float32, order: .ABCD) == [0x4BA6, 0x8788])
        #expect(RegisterEncoder.encode(21827345, type: .float32, order: .CDAB) == [0x8788, 0x4BA6])
        #expect(RegisterEncoder.encode(21827345, type: .float32, order: .BADC) == [0xA64B, 0x8887])
        #expect(RegisterEncoder.encode(21827345, type: .float32, order: .DCBA) == [0x8887, 0xA64B])
    }

    // PROTOCOL-NOTES, test vectors: L 21827345 = 01 4D 0F 11; I 21827 = 55 43.
    @Test func integers() {
        #expect(RegisterEncoder.encode(21827345, type: .uint32, order: .ABCD) == [0x014D, 0x0F11])
        #expect(RegisterEncoder.encode(21827345, type: .int32, order: .CDAB) == [0x0F11, 0x014D])
        #expect(RegisterEncoder.encode(21827, type: .uint16, order: .ABCD) == [0x5543])
        #expect(RegisterEncoder.encode(21827, type: .uint16, order: .BADC) == [0x4355])
        #expect(RegisterEncoder.encode(-2, type: .int16, order: .ABCD) == [0xFFFE])
        #expect(RegisterEncoder.encode(-2, type: .int32, order: .ABCD) == [0xFFFF, 0xFFFE])
    }

    @Test func float64() {
        let words = RegisterEncoder.encode(1234.5678, type: .float64, order: .ABCD)
        let bits = words.reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        #expect(Double(bitPattern: bits) == 1234.5678)
        #expect(RegisterEncoder.encode(1234.5678, type: .float64, order: .CDAB) == words.reversed())
    }

    @Test func scaleRoundsAndSaturates() {
        #expect(RegisterEncoder.encode(71.26, type: .int16, order: .ABCD, scale: 10) == [713])
        #expect(RegisterEncoder.encode(-0.25, type: .int16, order: .ABCD, scale: 10) == [UInt16(bitPattern: -3)])
        #expect(RegisterEncoder.encode(70000, type: .uint16, order: .ABCD) == [0xFFFF])
        #expect(RegisterEncoder.encode(-5, type: .uint16, order: .ABCD) == [0])
        #expect(RegisterEncoder.encode(1e12, type: .int32, order: .ABCD) == [0x7FFF, 0xFFFF])
        #expect(RegisterEncoder.encode(nil, type: .uint32, order: .ABCD) == [0, 0])
        let missing = RegisterEncoder.encode(nil, type: .float32, order: .ABCD)
        #expect(Float(bitPattern: UInt32(missing[0]) << 16 | UInt32(missing[1])).isNaN)
    }
}
