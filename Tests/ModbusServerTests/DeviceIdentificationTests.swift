import Config
import Testing

@testable import ModbusServer

/// Read Device Identification (Modbus Application Protocol 1.1b3 §6.21), without transports:
/// request PDU in, response PDU out, byte for byte.
@Suite struct DeviceIdentificationTests {
    let identity = DeviceIdentity(modelName: "TEMC106", serialNumber: 10_001_001, networkAddress: 7)

    func object(_ id: UInt8, _ text: String) -> [UInt8] { [id, UInt8(text.utf8.count)] + Array(text.utf8) }
    var basic: [UInt8] { object(0, "tembridge") + object(1, "TEM-106") + object(2, DeviceIdentification.revision) }
    var regular: [UInt8] { object(4, "TEM-106 heat meter") + object(5, "TEMC106") }
    var extended: [UInt8] { object(0x80, "10001001") + object(0x81, "7") }

    @Test func streamAccessPerCategory() {
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 1, 0], identity: identity)
                == .response([0x2B, 0x0E, 1, 0x83, 0, 0, 3] + basic))
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 2, 0], identity: identity)
                == .response([0x2B, 0x0E, 2, 0x83, 0, 0, 5] + basic + regular))
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 3, 0], identity: identity)
                == .response([0x2B, 0x0E, 3, 0x83, 0, 0, 7] + basic + regular + extended))
        // From the object asked for; an object the category does not have restarts at 0.
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 2, 4], identity: identity)
                == .response([0x2B, 0x0E, 2, 0x83, 0, 0, 2] + regular))
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 2, 0x80], identity: identity)
                == .response([0x2B, 0x0E, 2, 0x83, 0, 0, 5] + basic + regular))
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 3, 0x03], identity: identity)
                == .response([0x2B, 0x0E, 3, 0x83, 0, 0, 7] + basic + regular + extended))
    }

    @Test func individualAccess() {
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 4, 0x80], identity: identity)
                == .response([0x2B, 0x0E, 4, 0x83, 0, 0, 1] + object(0x80, "10001001")))
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 4, 0x06], identity: identity) == .exception(.illegalDataAddress))
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 4, 0x05], identity: nil) == .exception(.illegalDataAddress))
    }

    @Test func aMeterNotReadYetHasTheBasicObjectsOnly() {
        for code: UInt8 in 1...3 {
            #expect(
                DeviceIdentification.answer([0x2B, 0x0E, code, 0], identity: nil)
                    == .response([0x2B, 0x0E, code, 0x83, 0, 0, 3] + basic))
        }
    }

    @Test func badRequests() {
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 0, 0], identity: identity) == .exception(.illegalDataValue))
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 5, 0], identity: identity) == .exception(.illegalDataValue))
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 1], identity: identity) == .exception(.illegalDataValue))
        #expect(DeviceIdentification.answer([0x2B, 0x0E, 1, 0, 0], identity: identity) == .exception(.illegalDataValue))
        #expect(DeviceIdentification.answer([0x2B, 0x0D, 1, 0], identity: identity) == .exception(.illegalFunction))
        #expect(DeviceIdentification.answer([0x2B], identity: identity) == .exception(.illegalFunction))
    }

    /// Objects that do not fit: "more follows" 0xFF and the next object id; the client asks
    /// again from there until "more follows" is 0, and gets every object exactly once.
    @Test func multiPartAnswers() {
        let room = 30
        var next: UInt8 = 0
        var collected: [UInt8] = []
        var parts = 0
        while true {
            guard case let .response(pdu) = DeviceIdentification.answer([0x2B, 0x0E, 3, next], identity: identity, room: room)
            else {
                Issue.record("no response from object \(next)")
                return
            }
            parts += 1
            #expect(pdu.count - 7 <= room)
            #expect(pdu[6] >= 1)
            collected += pdu[7...]
            if pdu[4] == 0x00 {
                #expect(pdu[5] == 0)
                break
            }
            #expect(pdu[4] == 0xFF)
            next = pdu[5]
            #expect(parts < 10)
        }
        #expect(parts == 3)  // basic (26 bytes), regular (29), extended (13)
        #expect(collected == basic + regular + extended)
    }

    @Test func nonASCIIModelNamesAreMadeASCII() {
        let odd = DeviceIdentity(modelName: "TEMé", serialNumber: 1, networkAddress: 1)
        #expect(
            DeviceIdentification.answer([0x2B, 0x0E, 4, 5], identity: odd)
                == .response([0x2B, 0x0E, 4, 0x83, 0, 0, 1, 5, 5] + Array("TEM??".utf8)))
    }
}

/// `on_stale` in the answer decision.
@Suite struct StalePolicyAnswerTests {
    func staleImage(_ policy: StalePolicy, everRead: Bool = true) -> UnitImage {
        UnitImage(
            unitID: 1, start: 0, registers: [1, 2, 3], meterDerived: [false, true, true], validUntil: everRead ? 100 : nil,
            onStale: policy, staleRegisters: policy == .nan ? [1, 0, 0] : nil)
    }

    func answer(_ image: UnitImage, now: UInt64) -> Answer {
        Answer(to: Request(unitID: 1, function: 3, address: 0, quantity: 3), image: image, inputRegisters: true, now: now)
    }

    @Test func eachPolicyOnceStale() {
        #expect(answer(staleImage(.exception), now: 200) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(staleImage(.lastValue), now: 200) == .reply)
        #expect(answer(staleImage(.nan), now: 200) == .replyStale)
        // A meter never read has no last value.
        #expect(answer(staleImage(.lastValue, everRead: false), now: 0) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(staleImage(.nan, everRead: false), now: 0) == .replyStale)
    }

    @Test func freshDataIsRepliedWhateverThePolicy() {
        for policy in StalePolicy.allCases { #expect(answer(staleImage(policy), now: 50) == .reply) }
    }

    @Test func theStaleTablesHoldTheStaleRegisters() {
        let served = ServedImage(staleImage(.nan))
        let stale = served.tables(for: .replyStale)
        let fresh = served.tables(for: .reply)
        #expect((0..<3).map { stale.pointee.tab_registers[$0] } == [1, 0, 0])
        #expect((0..<3).map { fresh.pointee.tab_registers[$0] } == [1, 2, 3])
        let plain = ServedImage(staleImage(.exception))
        #expect(plain.tables(for: .replyStale) == plain.mapping)
    }
}
