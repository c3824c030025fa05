import Foundation
import TEMProtocol
import Testing

@testable import ArchiveStore

/// The SQLite store on temporary files: exactly once, one transaction per batch, cursors
/// and forwarding progress that survive reopening, clear errors for bad files.
struct ArchiveStoreTests {
    static func temporaryPath(_ name: String = "archive.sqlite") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// A record of `period` (hourly) whose energy.1 whole part is `energy` (comma 0: MWh as is).
    static func raw(period: Int, energy: UInt32 = 7) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: ArchiveRecord.size)
        let written = MeterClock(unixSeconds: period + 3600).archiveStampBytes
        let stamp = MeterClock(unixSeconds: period).archiveStampBytes
        r.replaceSubrange(ArchiveRecord.Offset.written..<(ArchiveRecord.Offset.written + 4), with: written)
        r.replaceSubrange(ArchiveRecord.Offset.period..<(ArchiveRecord.Offset.period + 4), with: stamp)
        let e = ArchiveRecord.Offset.energyWhole
        r.replaceSubrange(
            e..<(e + 4), with: [UInt8(energy >> 24), UInt8(energy >> 16 & 0xFF), UInt8(energy >> 8 & 0xFF), UInt8(energy & 0xFF)])
        return r
    }

    static let start = MeterClock(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0).unixSeconds!

    static func record(_ hour: Int, serial: UInt32 = 42, meter: String = "m") throws -> StoredRecord {
        try StoredRecord(
            serialNumber: serial, kind: .hourly, meter: meter, raw: raw(period: start + hour * 3600, energy: UInt32(100 + hour)))
    }

    @Test func aRecordIsStoredOnceWhateverTheBatchesRepeat() throws {
        let store = try ArchiveStore(path: try Self.temporaryPath())
        var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
        batch.records = try (0..<10).map { try Self.record($0) }
        #expect(try store.save(batch) == 10)
        batch.records = try (5..<15).map { try Self.record($0) }
        #expect(try store.save(batch) == 5)
        #expect(try store.count() == 15)
        let back = try store.records(meter: "m", kind: .hourly)
        #expect(back.map(\.period) == (0..<15).map { Self.start + $0 * 3600 })
        #expect(back[3].record.values["energy.1"] == 103)
        #expect(back[3].raw == Self.raw(period: Self.start + 3 * 3600, energy: 103))
    }

    @Test func anotherSerialNumberIsAnotherHistory() throws {
        let store = try ArchiveStore(path: try Self.temporaryPath())
        var a = ArchiveStore.Batch(serialNumber: 1, meter: "m")
        a.records = [try Self.record(0, serial: 1)]
        var b = ArchiveStore.Batch(serialNumber: 2, meter: "m")
        b.records = [try Self.record(0, serial: 2)]
        try store.save(a)
        try store.save(b)
        #expect(try store.records(kind: .hourly).map(\.serialNumber) == [1, 2])
    }

    @Test func cursorsGapsAndProgressSurviveReopening() throws {
        let path = try Self.temporaryPath()
        do {
            let store = try ArchiveStore(path: path)
            var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
            batch.records = [try Self.record(0)]
            batch.gaps = [ArchiveGap(kind: .hourly, first: Self.start + 3600, last: Self.start + 7200, count: 2)]
            var cursor = ArchiveCursor.firstContact(ring: 864, newest: 10, backfill: true)
            cursor.handledStamp = 0x1001_0324
            batch.cursors = [.hourly: cursor]
            try store.save(batch)
            try store.setForwarded(to: "postgres://u@h/db", id: 1)
        }
        let store = try ArchiveStore(path: path)
        let cursor = try store.cursors(serialNumber: 42)[.hourly]
        #expect(cursor?.handled == 9)
        #expect(cursor?.handledStamp == 0x1001_0324)
        #expect(cursor?.backfillLeft == 863)
        #expect(try store.gaps(kind: .hourly).map(\.gap.count) == [2])
        #expect(try store.gaps(kind: .hourly, from: Self.start + 3 * 3600).isEmpty)
        #expect(try store.forwarded(to: "postgres://u@h/db") == 1)
        #expect(try store.records(after: 0, limit: 10).map(\.id) == [1])
    }

    @Test func aFailedBatchLeavesNothing() throws {
        let store = try ArchiveStore(path: try Self.temporaryPath())
        var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
        batch.records = [try Self.record(0)]
        batch.cursors = [.hourly: .firstContact(ring: 10, newest: 0, backfill: true)]
        try store.save(batch)
        // The same batch under a read-only connection fails as a whole.
        let readOnly = try ArchiveStore(path: store.path, readOnly: true)
        batch.records = [try Self.record(1)]
        #expect(throws: StoreError.self) { try readOnly.save(batch) }
        #expect(try store.count() == 1)
    }

    @Test func aCorruptFileIsOneClearError() throws {
        let path = try Self.temporaryPath()
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try ArchiveStore(path: path) }
        #expect(error?.description == "archive store: open \(path): file is not a database")
        #expect(ArchiveStore.problem(openingAt: path) == "file is not a database")
    }

    @Test func aPathThatCannotBeCreatedIsNamed() throws {
        #expect(
            ArchiveStore.problem(openingAt: "/nonexistent-dir/x.sqlite")
                == "cannot create it: directory /nonexistent-dir does not exist")
        #expect(throws: StoreError.self) { try ArchiveStore(path: "/nonexistent-dir/x.sqlite") }
        #expect(ArchiveStore.problem(openingAt: try Self.temporaryPath()) == nil)
    }

    @Test func thePasswordIsNotPartOfTheUpstreamName() {
        #expect(UpstreamForwarder.withoutPassword("postgres://u:secret@h:5/db") == "postgres://u@h:5/db")
        #expect(UpstreamForwarder.withoutPassword("postgres://u@h/db") == "postgres://u@h/db")
    }
}
