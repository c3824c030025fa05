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
        #expect(try store.save(batch).inserted == 10)
        batch.records = try (5..<15).map { try Self.record($0) }
        #expect(try store.save(batch).inserted == 5)
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

    @Test func aDamagedRecordIsKeptOnce() throws {
        let store = try ArchiveStore(path: try Self.temporaryPath())
        var raw = Self.raw(period: Self.start + 3600, energy: 55)
        raw[ArchiveRecord.Offset.period + 2] = 0x13  // month 13
        var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
        batch.records = [
            try Self.record(0),
            try StoredRecord(serialNumber: 42, kind: .hourly, meter: "m", raw: raw, place: Self.start + 3600),
            try Self.record(2),
        ]
        let saved = try store.save(batch)
        #expect(saved.inserted == 3)
        #expect(saved.new.map(\.flagNames) == [[], ["damaged"], []])
        #expect(try store.save(batch).inserted == 0)
        let back = try store.records(meter: "m", kind: .hourly)
        #expect(back.map(\.period) == [0, 1, 2].map { Self.start + $0 * 3600 })
        #expect(back[1].flags == .damaged && back[1].raw == raw)
        #expect(back[1].record.values["energy.1"] == 55 && back[1].record.period == nil)
        #expect(try store.records(after: 0, limit: 10).map(\.record.flags) == [[], .damaged, []])
    }

    /// Two records of one period (the clock set back): both kept, the later written (by
    /// `time.powered`) flagged duplicate_period, whichever arrives first; a flag that moves to a
    /// stored record gives it a new id so that it is forwarded again.
    @Test func twoRecordsOfOnePeriodAreBothKeptTheLaterFlagged() throws {
        func twin(powered: UInt32, energy: UInt32) throws -> StoredRecord {
            var raw = Self.raw(period: Self.start, energy: energy)
            let at = ArchiveRecord.Offset.timePowered
            raw.replaceSubrange(at..<(at + 4), with: BigEndian.bytes(powered))
            return try StoredRecord(serialNumber: 42, kind: .hourly, meter: "m", raw: raw)
        }
        let store = try ArchiveStore(path: try Self.temporaryPath())
        var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
        batch.records = [try twin(powered: 7200, energy: 20)]  // backfill reads the later one first
        #expect(try store.save(batch).duplicates.isEmpty)
        #expect(try store.records(after: 0, limit: 10).map(\.id) == [1])
        batch.records = [try twin(powered: 3600, energy: 10)]
        let saved = try store.save(batch)
        #expect(saved.inserted == 1 && saved.new[0].flags.isEmpty)
        #expect(saved.duplicates.map(\.powered) == [7200])
        let back = try store.records(meter: "m", kind: .hourly)
        #expect(back.map(\.powered) == [3600, 7200])
        #expect(back.map(\.flagNames) == [[], ["duplicate_period"]])
        // The flagged one moved after the new one in forwarding order.
        #expect(try store.records(after: 0, limit: 10).map { $0.record.powered } == [3600, 7200])
        #expect(try store.records(after: 1, limit: 10).map(\.id) == [2, 3])
        #expect(try store.save(batch).inserted == 0)
        #expect(try store.count() == 2)
    }

    /// A store file made before flags (keyed by period, no volume.7/8 columns) is migrated in
    /// place: every row kept with its id, volume.7/8 decoded from the raw bytes, the new key in force.
    @Test func anOlderStoreIsMigratedInPlace() throws {
        let path = try Self.temporaryPath()
        var raw = Self.raw(period: Self.start, energy: 9)
        raw.replaceSubrange(0x15A..<0x15E, with: BigEndian.bytes(Float(1234).bitPattern))
        do {
            let db = try SQLiteConnection(path: path, readOnly: false)
            let columns = RecordColumns.sqlNames.filter { $0 != "volume_7" && $0 != "volume_8" }
            try db.execute(
                """
                CREATE TABLE records (id INTEGER PRIMARY KEY, serial_number INTEGER NOT NULL, kind TEXT NOT NULL,
                    period INTEGER NOT NULL, written INTEGER NOT NULL, meter TEXT NOT NULL, stored_at INTEGER NOT NULL,
                    \(columns.map { "\($0) REAL" }.joined(separator: ", ")), raw BLOB NOT NULL,
                    UNIQUE (serial_number, kind, period));
                CREATE INDEX records_by_meter ON records (meter, kind, period);
                """, operation: "make an old store")
            let insert = try db.prepare(
                "INSERT INTO records (id, serial_number, kind, period, written, meter, stored_at, energy_1, raw) VALUES (7, 42, 'hourly', ?, ?, 'm', 0, 9, ?)",
                operation: "insert")
            try insert.run([.int(Self.start), .int(Self.start + 3600), .blob(raw)])
        }
        let readOnly = try ArchiveStore(path: path, readOnly: true)
        #expect(try readOnly.records(kind: .hourly).map(\.flags) == [[]])
        let store = try ArchiveStore(path: path)
        let rows = try store.records(after: 0, limit: 10)
        #expect(rows.map(\.id) == [7])
        #expect(rows[0].record.record.values["volume.7"] == 1234)  // comma 0: k = 1
        let db = try SQLiteConnection(path: path, readOnly: true)
        let s = try db.prepare("SELECT volume_7, flags FROM records", operation: "read")
        try s.bind([])
        #expect(try s.step())
        #expect(s.double(0) == 1234 && s.int(1) == 0)
        // The new key: a second record of that period is kept.
        var batch = ArchiveStore.Batch(serialNumber: 42, meter: "m")
        batch.records = [try Self.record(0)]
        #expect(try store.save(batch).inserted == 1)
        #expect(try store.count() == 2)
    }

    @Test func thePasswordIsNotPartOfTheUpstreamName() {
        #expect(UpstreamForwarder.withoutPassword("postgres://u:secret@h:5/db") == "postgres://u@h:5/db")
        #expect(UpstreamForwarder.withoutPassword("postgres://u@h/db") == "postgres://u@h/db")
    }
}
