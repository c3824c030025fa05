import TEMProtocol
import Testing

@Suite struct PlausibilityTests {
    /// A plausible image: 2 systems, 512 KiB, a valid clock, comma 3, 4, pointers at record starts.
    static func plausible() -> T2KImage {
        var image = T2KImage()
        image.store([2], at: T2KMap.systems)
        image.store([0x1F, 0x24], at: T2KMap.flashType)
        image.store([0x33, 0x15, 0x14, 0x02, 0x03, 0x16], at: T2KMap.clock)
        image.store([3, 4, 3, 3, 3, 3], at: T2KMap.comma)
        // hourly record 3, daily 0 (0x51000), monthly 1 (0x73800 + 384), each + 0x200000.
        image.store([0x00, 0x20, 0x04, 0x80, 0x00, 0x25, 0x10, 0x00, 0x00, 0x27, 0x39, 0x80], at: T2KMap.nextHourlyRecord)
        return image
    }

    static func kinds(_ image: T2KImage, comma: CommaAddress = .listed, previous: T2KImage? = nil) -> [PlausibilityWarning.Kind] {
        Plausibility.warnings(image, comma: comma, previous: previous).map(\.kind)
    }

    @Test func plausibleImageGivesNone() {
        #expect(Plausibility.warnings(Self.plausible()).isEmpty)
        #expect(Plausibility.warnings(T2KImage()).isEmpty)  // nothing read, nothing to say
    }

    @Test func systemsOutsideOneToSix() {
        for systems: UInt8 in [0, 7, 255] {
            var image = Self.plausible()
            image.store([systems], at: T2KMap.systems)
            #expect(Self.kinds(image) == [.systems])
            #expect(Plausibility.warnings(image)[0].message.contains("systems is \(systems), outside 1...6"))
        }
    }

    @Test func unknownFlashType() {
        var image = Self.plausible()
        image.store([0x1F, 0x26], at: T2KMap.flashType)
        let warnings = Plausibility.warnings(image)
        #expect(warnings.map(\.kind) == [.flashType])
        #expect(warnings[0].message.contains("unknown FLASH_TYPE 0x1F26"))
    }

    @Test func invalidClock() {
        for clock: [UInt8] in [
            [0x3A, 0x15, 0x14, 0x02, 0x03, 0x16], [0x00, 0x00, 0x00, 0x31, 0x02, 0x16], [0, 0, 0x25, 1, 1, 0x16],
        ] {
            var image = Self.plausible()
            image.store(clock, at: T2KMap.clock)
            #expect(Self.kinds(image) == [.clock], "\(clock)")
        }
    }

    @Test func commaCodesOutsideZeroToSix() {
        var image = Self.plausible()
        image.store([3, 7, 3, 3, 3, 3], at: T2KMap.comma)
        #expect(Self.kinds(image) == [.comma])
        // Only the configured systems count.
        image.store([3, 4, 200, 3, 3, 3], at: T2KMap.comma)
        #expect(Self.kinds(image).isEmpty)
        // At the other location.
        image.store([0, 0x0F, 0, 0x14, 0, 0], at: CommaAddress.hole.address)
        #expect(Self.kinds(image, comma: .hole) == [.comma])
        #expect(Plausibility.warnings(image, comma: .hole)[0].message.contains("comma codes at 0x02E8 are 00 0F"))
    }

    @Test func archivePointerOutsideItsArea() {
        var image = Self.plausible()
        image.store([0x00, 0x20, 0x04, 0x81], at: T2KMap.nextHourlyRecord)  // not a record start
        image.store([0x00, 0x00, 0x10, 0x00], at: T2KMap.nextDailyRecord)  // without the 0x200000
        image.store([0x00, 0x2F, 0x00, 0x00], at: T2KMap.nextMonthlyRecord)  // past the area
        #expect(Self.kinds(image) == [.archivePointer(.hourly), .archivePointer(.daily), .archivePointer(.monthly)])
    }

    @Test func integratorThatWentBackwards() throws {
        let energy1 = try #require(ValueCatalog.definition(named: "energy.1"))
        guard case let .integrator(i) = energy1.source else { return }
        var before = Self.plausible()
        before.store([0, 0, 0x30, 0x39], at: i.whole)
        before.store([0, 0, 0, 0], at: i.fraction)
        var after = before
        after.store([0, 0, 0x30, 0x3A], at: i.whole)
        #expect(Self.kinds(after, previous: before).isEmpty)
        after.store([0, 0, 0, 0x05], at: i.whole)
        let warnings = Plausibility.warnings(after, previous: before)
        #expect(warnings.map(\.kind) == [.integratorBackwards("energy.1")])
        #expect(warnings[0].message.contains("energy.1 went backwards from 123.45 to 0.05 MWh"))
    }
}
