import CModbus
import Testing

@testable import ModbusServer

/// A window on unit 1: cursor registers 100...102, shown registers 100...104; a write stores
/// the values written and shows their sum at 103 (so a test sees what the service was given).
private struct SummingWindow: ArchiveWindowService {
    func target(unit: UInt8, first: UInt16, count: Int) -> ArchiveWindowTarget {
        guard unit == 1 else { return .noWindow }
        return count > 0 && first >= 100 && Int(first) + count <= 103 ? .window(0) : .notWritable
    }

    func write(_ values: [UInt16], at first: UInt16, unit: UInt8, window: Int, shown: [UInt16: UInt16])
        -> ArchiveWindowWrite
    {
        if values.contains(999) { return .invalidValue }
        var registers = shown.isEmpty ? [100: 0, 101: 0, 102: 0, 103: 0, 104: 7] : shown
        for (i, v) in values.enumerated() { registers[first + UInt16(i)] = v }
        registers[103] = registers[100]! &+ registers[101]! &+ registers[102]!
        return .accepted(registers)
    }
}

/// The per-connection part of the archive window, without sockets.
@Suite struct ArchiveWindowSessionTests {
    static func fc16(_ first: UInt16, _ values: [UInt16]) -> ArraySlice<UInt8> {
        var pdu: [UInt8] = [0x10, UInt8(first >> 8), UInt8(first & 0xFF), 0, UInt8(values.count), UInt8(2 * values.count)]
        for v in values { pdu += [UInt8(v >> 8), UInt8(v & 0xFF)] }
        return pdu[...]
    }

    static func fc06(_ address: UInt16, _ value: UInt16) -> ArraySlice<UInt8> {
        [0x06, UInt8(address >> 8), UInt8(address & 0xFF), UInt8(value >> 8), UInt8(value & 0xFF)][...]
    }

    /// The registers a read of `count` from `address` on unit 1 answers with.
    static func read(
        _ session: ArchiveWindowSession, _ served: ServedImage, store: RegisterStore, _ address: UInt16, _ count: UInt16
    )
        throws -> [UInt16]
    {
        let request = Request(unitID: 1, function: 3, address: address, quantity: count)
        var out: [UInt16] = []
        try session.withTables(for: request, served: served, answer: .reply, store: store) { tables throws(ModbusServerError) in
            let base = tables.pointee.start_registers
            out = (0..<Int(count)).map { tables.pointee.tab_registers[Int(address) - Int(base) + $0] }
        }
        return out
    }

    @Test func parsesSingleAndMultipleWrites() {
        #expect(ArchiveWindowSession.parse(Self.fc06(1004, 2)).map { [$0.0] + $0.1 } == [1004, 2])
        #expect(ArchiveWindowSession.parse(Self.fc16(1000, [2026, 3, 1])).map { [$0.0] + $0.1 } == [1000, 2026, 3, 1])
        // A byte count that does not match, a quantity of 0, a short PDU: malformed.
        var bad = Array(Self.fc16(1000, [1, 2]))
        bad[5] = 3
        #expect(ArchiveWindowSession.parse(bad[...]) == nil)
        #expect(ArchiveWindowSession.parse([0x10, 0, 0, 0, 0, 0][...]) == nil)
        #expect(ArchiveWindowSession.parse([0x06, 0, 1][...]) == nil)
    }

    @Test func writesAreDecidedAndReadsShowThisSessionsWindow() throws {
        let store = RegisterStore()
        let served = ServedImage(image(start: 0, Array(repeating: 5, count: 110)))
        var mine = ArchiveWindowSession()
        let other = ArchiveWindowSession()
        // No service: every write is left to the usual answer (01).
        guard case .notHandled = mine.write(unit: 1, pdu: Self.fc06(100, 1), store: store) else {
            Issue.record("a write without windows was taken")
            return
        }
        store.setArchiveWindows(SummingWindow())
        guard case .reply = mine.write(unit: 1, pdu: Self.fc16(100, [1, 2, 3]), store: store) else {
            Issue.record("a cursor write was refused")
            return
        }
        #expect(try Self.read(mine, served, store: store, 98, 8) == [5, 5, 1, 2, 3, 6, 7, 5])
        #expect(try Self.read(other, served, store: store, 98, 8) == [5, 5, 5, 5, 5, 5, 5, 5])
        // FC06 changes one register; the service is given what the session showed.
        _ = mine.write(unit: 1, pdu: Self.fc06(101, 10), store: store)
        #expect(try Self.read(mine, served, store: store, 100, 4) == [1, 10, 3, 14])
        // Outside the cursor: 02; a value the service refuses: 03; another unit: not handled.
        guard case .exception(.illegalDataAddress) = mine.write(unit: 1, pdu: Self.fc06(103, 1), store: store),
            case .exception(.illegalDataValue) = mine.write(unit: 1, pdu: Self.fc06(100, 999), store: store),
            case .exception(.illegalDataValue) = mine.write(unit: 1, pdu: [0x10, 0, 100, 0, 1, 3][...], store: store),
            case .notHandled = mine.write(unit: 2, pdu: Self.fc06(100, 1), store: store),
            case .notHandled = mine.write(unit: 1, pdu: [0x03, 0, 100, 0, 1][...], store: store)
        else {
            Issue.record("a write was answered wrongly")
            return
        }
        #expect(try Self.read(mine, served, store: store, 100, 4) == [1, 10, 3, 14])
        // A reload forgets the cursors.
        store.setArchiveWindows(SummingWindow())
        #expect(try Self.read(mine, served, store: store, 100, 4) == [5, 5, 5, 5])
    }
}
