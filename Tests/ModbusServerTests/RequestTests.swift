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

    /// An integer register whose value is NaN answers 0B even while fresh (never a 0 that
    /// looks like a reading); its neighbours answer as usual; `last_value` does the same while stale.
    @Test func anIntegerRegisterWithoutAValueIsGatewayTargetFailed() {
        let marks = [false, false, true, true, false, false, false, false, false, false]
        let withNaN = UnitImage(
            unitID: 1, start: 10, registers: Array(0..<10), meterDerived: mixed.meterDerived, validUntil: 1_000,
            unavailable: marks)
        #expect(answer(3, 12, 2, image: withNaN) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(4, 10, 5, image: withNaN) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 10, 2, image: withNaN) == .reply)
        #expect(answer(3, 14, 6, image: withNaN) == .reply)
        let lastValue = UnitImage(
            unitID: 1, start: 10, registers: Array(0..<10), meterDerived: mixed.meterDerived, validUntil: 1_000,
            onStale: .lastValue, unavailable: marks)
        #expect(answer(3, 13, 1, image: lastValue, now: 2_000) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 10, 2, image: lastValue, now: 2_000) == .reply)
    }

    @Test func neverReadIsStale() {
        let unread = image(start: 10, Array(0..<10), meterDerived: mixed.meterDerived, validUntil: nil)
        #expect(answer(3, 10, 1, image: unread) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(3, 19, 1, image: unread) == .reply)
    }

    @Test func malformedRangesGet03Or02StaleOrNot() {
        let stale = UInt64(5_000)
        for now in [UInt64(0), stale] {
            // A bad quantity is answered here; libmodbus answers 02 for a range outside the span.
            #expect(answer(3, 10, 0, image: mixed, now: now) == .exception(.illegalDataValue))
            #expect(answer(4, 10, 126, image: mixed, now: now) == .exception(.illegalDataValue))
            #expect(answer(3, 9, 2, image: mixed, now: now) == .reply)
            #expect(answer(3, 14, 7, image: mixed, now: now) == .reply)
        }
    }

    @Test func parsesTheFramedBytes() {
        // FC03 from 0x0102, 3 registers, unit 9, MBAP length 6 (unit + 5 PDU bytes).
        let read: [UInt8] = [0, 1, 0, 0, 0, 6, 9, 3, 1, 2, 0, 3]
        #expect(framing(read) == .complete(12))
        #expect(read.withUnsafeBufferPointer(Request.init) == Request(unitID: 9, function: 3, address: 0x0102, quantity: 3))

        // FC2B (read device identification, not served): framed whole by its MBAP length.
        let identify: [UInt8] = [0, 1, 0, 0, 0, 5, 1, 0x2B, 0x0E, 1, 0]
        #expect(framing(identify) == .complete(11))
        #expect(identify.withUnsafeBufferPointer(Request.init) == Request(unitID: 1, function: 0x2B))
    }

    @Test func framesByTheMBAPLength() {
        let read: [UInt8] = [0, 1, 0, 0, 0, 6, 9, 3, 1, 2, 0, 3]
        for cut in 0..<read.count { #expect(framing(Array(read[..<cut])) == .incomplete, "first \(cut) bytes") }
        #expect(framing(read + [0, 7, 0]) == .complete(12), "the next request's bytes are not part of this one")
        // Extra PDU bytes announced after an FC03 belong to its frame (and are ignored).
        #expect(framing([0, 1, 0, 0, 0, 8, 9, 3, 1, 2, 0, 3, 0xEE, 0xEE]) == .complete(14))
        // The shortest frame: unit id + function code.
        #expect(framing([0, 1, 0, 0, 0, 2, 1, 0x07]) == .complete(8))
        // The longest: 260 bytes.
        #expect(framing([0, 1, 0, 0, 0, 254, 1, 0x10] + Array(repeating: 0, count: 252)) == .complete(260))
    }

    @Test func refusesWhatCannotBeAModbusFrame() {
        #expect(framing([0, 1, 0, 0, 0, 0]) == .invalid, "MBAP length 0")
        #expect(framing([0, 1, 0, 0, 0, 1, 1]) == .invalid, "MBAP length 1: no function code")
        #expect(framing([0, 1, 0, 0, 0, 255]) == .invalid, "MBAP length 255: a 261-byte ADU")
        #expect(framing([0, 1, 0, 0, 0x01, 0x00]) == .invalid, "MBAP length 256")
        #expect(framing([0, 1, 0, 0, 0, 5, 1, 3, 0, 0, 0]) == .invalid, "FC03 without its quantity")
        #expect(framing([0, 1, 0, 0, 0, 2, 1, 4]) == .invalid, "FC04 with no PDU after the function code")
    }

    func framing(_ bytes: [UInt8]) -> Request.Framing { bytes.withUnsafeBufferPointer(Request.framing) }

    @Test func durationsForLibmodbus() {
        #expect(Duration.seconds(60).secondsAndMicroseconds == (60, 0))
        #expect(Duration.milliseconds(1500).secondsAndMicroseconds == (1, 500_000))
        #expect(Duration.nanoseconds(1).secondsAndMicroseconds == (0, 1))  // never rounds to "wait for ever"
        #expect(Duration.nanoseconds(999_999_999).secondsAndMicroseconds == (1, 0))
        #expect(Duration.zero.secondsAndMicroseconds == (0, 0))
        #expect(Duration.seconds(-1).secondsAndMicroseconds == (0, 0))
    }
}
