import TEMProtocol
import Testing

@Suite struct ArchivePointersTests {
    /// A T2K image holding FLASH_TYPE and the three "written next" pointers (+ 0x200000).
    static func image(flash: FlashLayout, hourly: Int, daily: Int, monthly: Int) -> T2KImage {
        var image = T2KImage()
        image.store(BigEndian.bytes(flash.flashType), at: T2KMap.flashType)
        let pointers = [(flash.hourly, hourly), (flash.daily, daily), (flash.monthly, monthly)].flatMap { area, next in
            BigEndian.bytes(area.address(ofRecord: next) + FlashLayout.pointerOffset)
        }
        image.store(pointers, at: T2KMap.nextHourlyRecord)
        return image
    }

    @Test(arguments: [FlashLayout.kib512, FlashLayout.mib1])
    func newestIsTheSlotBeforeTheNextWrappingRound(flash: FlashLayout) throws {
        let mid = try #require(ArchivePointers(image: Self.image(flash: flash, hourly: 10, daily: 5, monthly: 3)))
        #expect(mid.layout == flash)
        #expect(mid.newestIndex(.hourly) == 9)
        #expect(mid.newestIndex(.daily) == 4)
        #expect(mid.newestIndex(.monthly) == 2)
        // Next at slot 0: the newest complete record is the ring's last slot.
        let wrapped = try #require(ArchivePointers(image: Self.image(flash: flash, hourly: 0, daily: 0, monthly: 0)))
        #expect(wrapped.newestIndex(.hourly) == flash.hourly.records - 1)
        #expect(wrapped.newestIndex(.daily) == flash.daily.records - 1)
        #expect(wrapped.newestIndex(.monthly) == flash.monthly.records - 1)
    }

    @Test func recordAddressesFollowTheNotesDecision() {
        // PROTOCOL-NOTES decision 2: record n at base + n × 384; the 512 KiB monthly area ends at 0x7F7FF.
        #expect(FlashLayout.kib512.monthly.address(ofRecord: 127) + 383 == 0x0007_F7FF)
        #expect(FlashLayout.mib1.hourly.address(ofRecord: 1727) + 383 == 0x000A_1FFF)
        #expect(FlashLayout.mib1.daily.index(ofAddress: 0x000A_2000 + 384) == 1)
        #expect(FlashLayout.mib1.daily.index(ofAddress: 0x000A_2000 + 100) == nil)
    }

    @Test func unknownFlashTypeOrPointerOutsideTheAreaGivesNil() throws {
        var image = Self.image(flash: .kib512, hourly: 1, daily: 1, monthly: 1)
        image.store([0x12, 0x34], at: T2KMap.flashType)
        #expect(ArchivePointers(image: image) == nil)
        var odd = Self.image(flash: .kib512, hourly: 1, daily: 1, monthly: 1)
        odd.store(BigEndian.bytes(UInt32(0x20_0000 + 7)), at: T2KMap.nextHourlyRecord)
        #expect(try #require(ArchivePointers(image: odd)).newestIndex(.hourly) == nil)
    }
}
