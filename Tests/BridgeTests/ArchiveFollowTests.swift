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
}
