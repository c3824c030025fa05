import Testing

@testable import ModbusServer

/// The answer decision, without sockets.
@Suite struct RequestTests {
    /// Registers 10...19: 10...14 from the meter, 15...19 status.
    let mixed = image(
        start: 10, Array(0..<10), meterDerived: Array(repeating: true, count: 5) + Array(repeating: false, count: 5),
        validUntil: 1_000)

    func answer(
        _ function: UInt8, _ address: UInt16, _ quantity: UInt16, image: UnitImage?, inputRegisters: Bool = true, now: UInt64 = 0
    ) -> Answer {
        Answer(
            to: Request(unitID: 1, function: function, address: address, quantity: quantity), image: image,
            inputRegisters: inputRegisters, now: now)
    }

    @Test func readsOfAFreshImageAreReplied() {
        #expect(answer(3, 10, 10, image: mixed) == .reply)
        #expect(answer(4, 10, 10, image: mixed) == .reply)
    }

    @Test func noImageIsGatewayPathUnavailable() {
        #expect(answer(3, 0, 1, image: nil) == .exception(.gatewayPathUnavailable))
        #expect(answer(6, 0, 1, image: nil) == .exception(.gatewayPathUnavailable))
    }

    @Test(arguments: [UInt8(1), 2, 5, 6, 7, 0x0F, 0x10, 0x11, 0x16, 0x17, 0x2B, 0x41, 0x80, 0xFF])
    func otherFunctionsAreIllegal(function: UInt8) {
        #expect(answer(function, 10, 1, image: mixed) == .exception(.illegalFunction))
    }

    @Test func inputRegistersCanBeSwitchedOff() {
        #expect(answer(4, 10, 1, image: mixed, inputRegisters: false) == .exception(.illegalFunction))
        #expect(answer(3, 10, 1, image: mixed, inputRegisters: false) == .reply)
    }

    @Test func staleMeterDataIsGatewayTargetFailed() {
        let stale = UInt64(1_000)  // now == validUntil: no longer valid
        #expect(answer(3, 10, 1, image: mixed, now: stale) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 14, 2, image: mixed, now: stale) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(4, 10, 10, image: mixed, now: stale) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 15, 5, image: mixed, now: stale) == .reply)  // status registers only
        #expect(answer(3, 14, 2, image: mixed, now: 999) == .reply)
    }

    @Test func neverReadIsStale() {
        let unread = image(start: 10, Array(0..<10), meterDerived: mixed.meterDerived, validUntil: nil)
        #expect(answer(3, 10, 1, image: unread) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 19, 1, image: unread) == .reply)
    }

    @Test func malformedRangesAreLeftToLibmodbus() {
        // libmodbus answers 02 (outside the span) or 03 (bad quantity) for these, stale or not.
        let stale = UInt64(5_000)
        #expect(answer(3, 9, 2, image: mixed, now: stale) == .reply)
        #expect(answer(3, 14, 7, image: mixed, now: stale) == .reply)
        #expect(answer(3, 10, 0, image: mixed, now: stale) == .reply)
        #expect(answer(3, 10, 126, image: mixed, now: stale) == .reply)
    }

    @Test func parsesTheFramedBytes() {
        // FC03 from 0x0102, 3 registers, unit 9, MBAP length 6 (unit + 5 PDU bytes): all framed.
        let read: [UInt8] = [0, 1, 0, 0, 0, 6, 9, 3, 1, 2, 0, 3]
        let request = read.withUnsafeBufferPointer { Request($0.baseAddress!, count: $0.count) }
        #expect(request == Request(unitID: 9, function: 3, address: 0x0102, quantity: 3))
        #expect(request.unframedBytes == 0)

        // FC2B (unknown to libmodbus): it frames the function code only; 3 bytes stay unread.
        let identify: [UInt8] = [0, 1, 0, 0, 0, 5, 1, 0x2B]
        let unknown = identify.withUnsafeBufferPointer { Request($0.baseAddress!, count: $0.count) }
        #expect(unknown.function == 0x2B && unknown.unframedBytes == 3)
    }

    @Test func durationsForLibmodbus() {
        #expect(Duration.seconds(60).secondsAndMicroseconds == (60, 0))
        #expect(Duration.milliseconds(1500).secondsAndMicroseconds == (1, 500_000))
        #expect(Duration.nanoseconds(1).secondsAndMicroseconds == (0, 1))  // never rounds to "wait for ever"
        #expect(Duration.nanoseconds(999_999_999).secondsAndMicroseconds == (1, 0))
        #expect(Duration.zero.secondsAndMicroseconds == (0, 0))
        #expect(Duration.seconds(-1).secondsAndMicroseconds == (0, 0))
    }
}
