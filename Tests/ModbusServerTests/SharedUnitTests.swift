import Config
import Testing

@testable import ModbusServer

/// Several meters on one unit id at their `register_offset`s: one unit, each part keeping its
/// own freshness and `on_stale`.
@Suite struct SharedUnitTests {
    static func read(_ address: UInt16, _ quantity: UInt16) -> Request {
        Request(unitID: 1, function: Request.readHoldingRegisters, address: address, quantity: quantity)
    }

    @Test func partsAreServedSideBySideAndReplacedOneByOne() {
        let store = RegisterStore()
        store.publish(image(start: 100, [7, 8]))
        store.publish(image(start: 0, [1, 2]))
        #expect(store.image(for: 1)?.start == 0)
        #expect(store.image(for: 1)?.registers == [1, 2] + Array(repeating: 0, count: 98) + [7, 8])
        store.publish(image(start: 100, [9, 9]))  // the meter at 100 polled again
        #expect(store.image(for: 1)?.registers.suffix(2) == [9, 9])
        #expect(store.image(for: 1)?.registers.prefix(2) == [1, 2])
        let served = store.served(for: 1).image!
        #expect(served.parts.map(\.start) == [0, 100])
        #expect(served.mapping.pointee.nb_registers == 102)
        store.replaceAll([image(start: 0, [5]), image(start: 10, [6])])
        #expect(store.image(for: 1)?.registers == [5] + Array(repeating: 0, count: 9) + [6])
    }

    @Test func eachPartAnswersByItsOwnFreshness() {
        let store = RegisterStore()
        store.publish(image(start: 0, [1, 2], meterDerived: [false, true], validUntil: .max))
        store.publish(image(start: 100, [3, 4], meterDerived: [false, true], validUntil: nil))
        let served = store.served(for: 1).image
        func answer(_ request: Request) -> Answer {
            Answer(to: request, served: served, inputRegisters: true, now: 5)
        }
        #expect(answer(Self.read(0, 2)) == .reply)
        #expect(answer(Self.read(0, 101)) == .reply)  // the stale part's status register only
        #expect(answer(Self.read(100, 1)) == .reply)
        #expect(answer(Self.read(101, 1)) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(Self.read(0, 102)) == .exception(.gatewayTargetFailedToRespond))
        #expect(answer(Self.read(50, 10)) == .reply)  // the gap between them
        #expect(answer(Self.read(101, 2)) == .reply)  // past the span: libmodbus's 02, as for one meter
        #expect(Answer(to: Self.read(0, 1), served: nil, inputRegisters: true, now: 5) == .exception(.gatewayPathUnavailable))
        #expect(answer(Request(unitID: 1, function: 6, address: 0, quantity: 0)) == .exception(.illegalFunction))
    }

    @Test func aNaNPartIsServedFromTheStaleTablesBesideAFreshOne() {
        let store = RegisterStore()
        store.publish(image(start: 0, [1], validUntil: .max))
        store.publish(
            UnitImage(
                unitID: 1, start: 4, registers: [8], meterDerived: [true], validUntil: 1, onStale: .nan,
                staleRegisters: [0x7FC0]))
        let served = store.served(for: 1).image!
        let answer = Answer(to: Self.read(0, 5), served: served, inputRegisters: true, now: 5)
        #expect(answer == .replyStale)
        let stale = served.tables(for: answer).pointee
        #expect((0..<5).map { stale.tab_registers[$0] } == [1, 0, 0, 0, 0x7FC0])
        #expect(served.mapping.pointee.tab_registers[4] == 8)
    }
}
