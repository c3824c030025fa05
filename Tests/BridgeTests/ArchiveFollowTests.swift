import Bridge
import TEMProtocol
import Testing

@Suite struct ArchiveFollowTests {
    /// Pointers of a 512 KiB meter whose newest complete records are at the given ring indices.
    static func pointers(hourly: Int, daily: Int, monthly: Int) throws -> ArchivePointers {
        var image = T2KImage()
        image.store([0x1F, 0x24], at: T2KMap.flashType)
        let layout = try #require(FlashLayout(flashType: 0x1F24))
        let at: [ArchiveKind: UInt16] = [
            .hourly: T2KMap.nextHourlyRecord, .daily: T2KMap.nextDailyRecord, .monthly: T2KMap.nextMonthlyRecord,
        ]
        for (kind, index) in [(ArchiveKind.hourly, hourly), (.daily, daily), (.monthly, monthly)] {
            // The pointer is where the next record goes, as the meter keeps it (+0x200000).
            let area = layout.area(kind)
            let next = area.address(ofRecord: (index + 1) % area.records) + FlashLayout.pointerOffset
            image.store(
                [UInt8(next >> 24), UInt8((next >> 16) & 0xFF), UInt8((next >> 8) & 0xFF), UInt8(next & 0xFF)], at: at[kind]!)
        }
        return try #require(ArchivePointers(image: image))
    }

    @Test func readsARecordOnceWhenItsPointerMoves() throws {
        var follow = ArchiveFollow(kinds: [.hourly, .monthly])
        let first = try Self.pointers(hourly: 10, daily: 3, monthly: 1)
        let wanted = follow.toRead(first)
        #expect(wanted.map(\.kind) == [.hourly, .monthly], "daily is not mapped")
        #expect(wanted.map(\.index) == [first.newestIndex(.hourly)!, first.newestIndex(.monthly)!])
        for (kind, index) in wanted { follow.recorded(kind, index: index, nil) }
        #expect(follow.toRead(first).isEmpty, "while the pointers stand, nothing is read")
        let moved = try Self.pointers(hourly: 11, daily: 4, monthly: 1)
        #expect(follow.toRead(moved).map(\.kind) == [.hourly])
        #expect(follow.records.isEmpty, "slots that held no valid record are not served")
    }

    /// An hourly record of the hour from `hour` on 2024-03-01 with energy.1 = `energy` (comma 0),
    /// its period stamp spoilt when `damaged`.
    static func record(hour: Int, energy: UInt32, damaged: Bool = false) throws -> ArchiveRecord {
        var bytes = [UInt8](repeating: 0, count: ArchiveRecord.size)
        let period = MeterClock(year: 2024, month: 3, day: 1, hour: hour, minute: 0, second: 0)
        bytes.replaceSubrange(0..<4, with: MeterClock(unixSeconds: period.unixSeconds! + 3600).archiveStampBytes)
        bytes.replaceSubrange(0x175..<0x179, with: period.archiveStampBytes)
        if damaged { bytes[0x177] = 0x13 }
        bytes.replaceSubrange(0x7C..<0x80, with: BigEndian.bytes(energy))
        return try ArchiveRecord(bytes: bytes)
    }

    /// A damaged newest record leaves the last good one served and names its kind; a good one
    /// after it is served again and clears the kind. Looking back finds a good one at a start.
    @Test func aDamagedNewestRecordKeepsTheLastGoodOne() throws {
        var follow = ArchiveFollow(kinds: [.hourly])
        follow.recorded(.hourly, index: 5, try Self.record(hour: 5, energy: 50))
        follow.recorded(.hourly, index: 6, try Self.record(hour: 6, energy: 60, damaged: true))
        #expect(follow.records[.hourly]?.values["energy.1"] == 50)
        #expect(follow.newestDamaged == [.hourly])
        follow.recorded(.hourly, index: 7, try Self.record(hour: 7, energy: 70))
        #expect(follow.records[.hourly]?.values["energy.1"] == 70)
        #expect(follow.newestDamaged.isEmpty)

        var start = ArchiveFollow(kinds: [.hourly])
        start.recorded(.hourly, index: 6, try Self.record(hour: 6, energy: 60, damaged: true))
        #expect(!start.hasGood(.hourly) && start.records.isEmpty)
        start.recordedOlder(.hourly, try Self.record(hour: 5, energy: 55, damaged: true))
        #expect(!start.hasGood(.hourly))
        start.recordedOlder(.hourly, try Self.record(hour: 4, energy: 40))
        start.recordedOlder(.hourly, try Self.record(hour: 3, energy: 30))
        #expect(start.records[.hourly]?.values["energy.1"] == 40)
        #expect(start.newestDamaged == [.hourly])
    }
}
