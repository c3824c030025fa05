import ArchiveStore
import Config
import Foundation
import Logging
import Mapping
import ModbusServer
import TEMProtocol
import Testing

@testable import Bridge

/// The archive window's lookups over a real store, without Modbus.
@Suite struct ArchiveWindowsTests {
    static let start = MeterClock(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!

    /// An hourly record `hour` hours after `start`, energy.1 = 100 + hour (comma 0).
    static func record(_ hour: Int, serial: UInt32) throws -> StoredRecord {
        let period = start + hour * 3600
        var r = [UInt8](repeating: 0, count: ArchiveRecord.size)
        r.replaceSubrange(
            ArchiveRecord.Offset.written..<(ArchiveRecord.Offset.written + 4),
            with: MeterClock(unixSeconds: period + 3600).archiveStampBytes)
        r.replaceSubrange(
            ArchiveRecord.Offset.period..<(ArchiveRecord.Offset.period + 4),
            with: MeterClock(unixSeconds: period).archiveStampBytes)
        r[ArchiveRecord.Offset.energyWhole + 3] = UInt8(100 + hour)
        return try StoredRecord(serialNumber: serial, kind: .hourly, meter: "m", raw: r)
    }

    static let yaml = """
        lines:
          - { name: l, endpoint: "tcp://127.0.0.1:4001" }
        meters:
          - { name: m, address: 1, unit_id: [1, 2], registers: w }
          - { name: other, address: 2, unit_id: 3, registers: [ { address: 0, value: status.online, type: uint16 } ] }
        register_sets:
          w:
            - { address: 10, value: archive_window.year, type: uint16 }
            - { address: 11, value: archive_window.month, type: uint16 }
            - { address: 12, value: archive_window.day, type: uint16 }
            - { address: 13, value: archive_window.hour, type: uint16 }
            - { address: 14, value: archive_window.kind, type: uint16 }
            - { address: 15, value: archive_window.step, type: uint16 }
            - { address: 16, value: archive_window.status, type: uint16 }
            - { address: 20, value: archive_window.energy.1, type: uint16 }
        archive_store: { path: unused.sqlite }

        """

    /// A store where the meter was replaced: serial 1's records (hours 10…12) sort before
    /// serial 2's (hours 0…4), though their periods come later.
    static func windows() throws -> ArchiveWindows {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-window-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try ArchiveStore(path: dir.appendingPathComponent("archive.sqlite").path)
        for (serial, hours) in [(UInt32(1), 10...12), (2, 0...4)] {
            var batch = ArchiveStore.Batch(serialNumber: serial, meter: "m")
            batch.records = try hours.map { try record($0, serial: serial) }
            try store.save(batch)
        }
        let mapping = try MappingParser.parse(yaml: yaml, file: "map.yaml")
        return try #require(ArchiveWindows(mapping: mapping, store: store, logger: Logger(label: "test")))
    }

    /// Registers 10…16 and 20 after the write.
    static func shown(_ write: ArchiveWindowWrite) -> [UInt16]? {
        guard case let .accepted(registers) = write else { return nil }
        return (Array(10...16) + [20]).map { registers[UInt16($0)] ?? 0xDEAD }
    }

    @Test func targetsOnlyTheCursorOfAUnitWithAWindow() throws {
        let windows = try Self.windows()
        #expect(windows.target(unit: 1, first: 10, count: 6) == .window(0))
        #expect(windows.target(unit: 2, first: 15, count: 1) == .window(0))
        #expect(windows.target(unit: 1, first: 16, count: 1) == .notWritable)  // status
        #expect(windows.target(unit: 1, first: 14, count: 3) == .notWritable)
        #expect(windows.target(unit: 3, first: 10, count: 1) == .noWindow)
    }

    @Test func findsStepsAcrossSerialNumbersAndReportsGapsAndEnds() throws {
        let windows = try Self.windows()
        func write(_ values: [UInt16], at first: UInt16, after shown: [UInt16]?) -> [UInt16]? {
            var before: [UInt16: UInt16] = [:]
            for (i, v) in (shown ?? []).enumerated() { before[UInt16(i < 7 ? 10 + i : 20)] = v }
            return Self.shown(windows.write(values, at: first, unit: 1, window: 0, shown: before))
        }
        let found = write([2024, 3, 1, 2, 1], at: 10, after: nil)
        #expect(found == [2024, 3, 1, 2, 1, 0, 1, 102])
        // Next from hour 2 is hour 3 (serial 2), though serial 1's records sort first.
        let next = write([1], at: 15, after: found)
        #expect(next == [2024, 3, 1, 3, 1, 0, 1, 103])
        // Previous from hour 10 (serial 1) is hour 4 (serial 2), across the gap 5…9.
        let at10 = write([10], at: 13, after: next)
        #expect(at10 == [2024, 3, 1, 10, 1, 0, 1, 110])
        #expect(write([2], at: 15, after: at10) == [2024, 3, 1, 4, 1, 0, 1, 104])
        // A gap: missing, 0 in the integer register.
        #expect(write([7], at: 13, after: at10) == [2024, 3, 1, 7, 1, 0, 2, 0])
        // Past the newest: end, the cursor stays and still shows its record.
        let at12 = write([12], at: 13, after: at10)
        #expect(write([1], at: 15, after: at12) == [2024, 3, 1, 12, 1, 0, 4, 112])
        // From nothing but a kind: the oldest, or the newest.
        #expect(write([1], at: 14, after: nil) == [0, 0, 0, 0, 1, 0, 0, 0])
        #expect(write([1], at: 15, after: [0, 0, 0, 0, 1, 0, 0, 0]) == [2024, 3, 1, 0, 1, 0, 1, 100])
        #expect(write([2], at: 15, after: [0, 0, 0, 0, 1, 0, 0, 0]) == [2024, 3, 1, 12, 1, 0, 1, 112])
        // Values out of range.
        #expect(windows.write([13], at: 11, unit: 1, window: 0, shown: [:]) == .invalidValue)
        #expect(windows.write([3], at: 15, unit: 1, window: 0, shown: [:]) == .invalidValue)
        #expect(windows.write([4], at: 14, unit: 1, window: 0, shown: [:]) == .invalidValue)
    }

    @Test func noStoreOrNoWindowMeansNoService() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "map.yaml")
        #expect(ArchiveWindows(mapping: mapping, store: nil, logger: Logger(label: "test")) == nil)
    }
}
