import TEMProtocol
import Testing

/// The second `comma` witness (issue 19): live integrators against the newest record's, and the
/// jump that makes a poll re-verify.
@Suite struct CommaWitnessTests {
    static let codes: [UInt8] = [3, 4, 3, 3, 3, 3]
    static let zeros: [UInt8] = [0, 0, 0, 0, 0, 0]

    /// energy.1 live L + F 512 345.6 units (k = 100 at code 3: 5123.456 MWh), volume.1 live
    /// 1 500 000.5 units (k = 10: 150 000.05 m³); the record an hour older.
    static func continuity(live energy: Double = 512_345.6, record: Double = 5120.0, volume: Double? = 1_500_000.5)
        -> IntegratorContinuity
    {
        var live = ["energy.1": energy]
        var recorded = ["energy.1": record]
        if let volume {
            live["volume.1"] = volume
            recorded["volume.1"] = 149_990.0
        }
        return IntegratorContinuity(kind: .hourly, live: live, record: recorded)
    }

    static func decide(
        hole: [UInt8], listed: [UInt8], record: [UInt8]? = [2, 3, 2, 2, 2, 2], continuity: IntegratorContinuity?,
        sysG: [UInt8]? = nil
    ) -> CommaDecision {
        CommaDecision(
            evidence: .init(
                atHole: hole, atListed: listed, record: record.map { RecordComma(kind: .hourly, codes: $0) }, systems: 2,
                sysG: sysG, continuity: continuity))
    }

    @Test func continuityDecidesWhenTheRecordsCodesDiffer() {
        // comma reprogrammed after the newest record: its codes agree with neither location.
        let d = Self.decide(hole: Self.codes, listed: Self.zeros, continuity: Self.continuity())
        #expect(d.address == .hole)
        #expect(d.reason == .continuousWithRecord(.hourly))
        #expect(d.isConfirmed)
        #expect(d.warning == nil)
        #expect(d.summary.hasPrefix("comma at 0x02E8 (its scaling continues the newest hourly record's integrators"))
        // The same at the listed location.
        let listed = Self.decide(hole: Self.zeros, listed: Self.codes, continuity: Self.continuity())
        #expect(listed.address == .listed && listed.reason == .continuousWithRecord(.hourly))
    }

    @Test func withoutAWitnessTheGuessIsUnconfirmed() {
        // The meter: comma at 0x02E8, diam78 = 0 at 0x02FA, no archive record.
        let d = Self.decide(hole: Self.codes, listed: Self.zeros, record: nil, continuity: nil)
        #expect(d.address == .listed)
        #expect(d.reason == .fallbackValid)
        #expect(!d.isConfirmed)
        #expect(d.warning?.contains("no archive record to compare with") == true)
    }

    @Test func aTenfoldLiveValueIsNotContinuous() {
        // Scaled right the live value is ×10 the record's: the meter's totals grew tenfold or
        // the integrators are off; neither location is confirmed.
        let d = Self.decide(
            hole: Self.codes, listed: Self.zeros, continuity: Self.continuity(live: 5_123_456, volume: nil))
        #expect(!d.isConfirmed)
        #expect(d.warning?.contains("scaled from neither location do the live integrators continue") == true)
    }

    @Test func bothContinuousIsUndecided() {
        // Channel 1's code is 3 at both; they differ at channel 2, which has no data.
        let d = Self.decide(hole: Self.codes, listed: [3, 0, 0, 0, 0, 0], continuity: Self.continuity())
        #expect(!d.isConfirmed)
        #expect(d.reason == .fallbackValid)
        #expect(d.warning?.contains("from either location") == true)
    }

    @Test func recordOfZerosTellsNothing() {
        let zero = IntegratorContinuity(kind: .daily, live: ["energy.1": 5], record: ["energy.1": 0])
        #expect(zero.compared.isEmpty)
        #expect(zero.isContinuous(codes: Self.codes) == nil)
        let d = Self.decide(hole: Self.codes, listed: Self.zeros, continuity: zero)
        #expect(!d.isConfirmed)
        #expect(d.warning?.contains("its integrators are all 0") == true)
    }

    @Test func toleranceBounds() {
        let c = IntegratorContinuity(kind: .hourly, live: ["energy.1": 0], record: ["energy.1": 100])
        func continuous(_ live: Double) -> Bool? {
            var copy = c
            copy.live["energy.1"] = live
            return copy.isContinuous(codes: Self.codes)  // k = 100
        }
        #expect(continuous(10_000) == true)  // equal
        #expect(continuous(10_000 * (1 - 1e-7)) == true)  // float rounding
        #expect(continuous(9_900) == false)  // 1 % backwards
        #expect(continuous(31_000) == true)  // 3.1-fold growth
        #expect(continuous(31_700) == false)  // beyond √10
        #expect(continuous(100_000) == false)  // ×10
        #expect(continuous(1_000) == false)  // ÷10
    }

    @Test func invalidCodesNeverWinByContinuity() {
        // 0x02FA holds 0x0F for channel 2; continuity is only asked of valid codes.
        let d = Self.decide(
            hole: [3, 7, 3, 3, 3, 3], listed: [3, 0x0F, 0, 0, 0, 0], continuity: Self.continuity())
        #expect(!d.isConfirmed)
        #expect(d.reason == .neitherValid)
    }

    @Test func sameCodesAtBothLocationsScaleAlike() {
        let d = Self.decide(hole: Self.codes, listed: Self.codes, record: nil, continuity: nil)
        #expect(d.reason == .sameEitherWay)
        #expect(d.isConfirmed)
    }

    @Test func channelsOfTheSystemsFlowmetersAreChecked() {
        // System 1 on channels 1-2, system 2 on 3-4 (sys_g 0x03, 0x0C): channel 3 counts.
        #expect(CommaCode.channelsToCheck(systems: 2, sysG: [0x03, 0x0C, 0, 0, 0, 0]) == [1, 2, 3, 4])
        #expect(CommaCode.channelsToCheck(systems: 2, sysG: [0x03, 0x0C, 0x30, 0, 0, 0]) == [1, 2, 3, 4])
        #expect(CommaCode.channelsToCheck(systems: 2) == [1, 2])
        #expect(CommaCode.channelsToCheck(systems: 0, sysG: nil) == [1, 2, 3, 4, 5, 6])
        // Channel 3's code 9 at 0x02E8: without sys_g it does not count, with it it does.
        let hole: [UInt8] = [3, 4, 9, 3, 3, 3]
        let without = Self.decide(hole: hole, listed: Self.zeros, record: Self.codes, continuity: nil)
        #expect(without.reason == .agreesWithRecord(.hourly) && without.address == .hole)
        let with = Self.decide(
            hole: hole, listed: Self.zeros, record: Self.codes, continuity: nil, sysG: [0x03, 0x0C, 0, 0, 0, 0])
        #expect(with.reason == .fallbackValid && with.address == .listed && !with.isConfirmed)
        #expect(with.warning?.contains("for channels 1...4") == true)
    }

    @Test func jumpsAndBackwardsStepsAreFound() throws {
        let energy = try #require(ValueCatalog.definition(named: "energy.1"))
        guard case let .integrator(i) = energy.source else { throw CommaTestFailure() }
        func image(units: UInt32, code: UInt8) -> T2KImage {
            var image = T2KImage()
            image.store(
                [UInt8(units >> 24), UInt8(units >> 16 & 0xFF), UInt8(units >> 8 & 0xFF), UInt8(units & 0xFF)], at: i.whole)
            image.store([0, 0, 0, 0], at: i.fraction)
            image.store([code, 4, 3, 3, 3, 3], at: T2KMap.comma)
            return image
        }
        let before = image(units: 512_300, code: 3)  // 5123 MWh
        func jump(_ after: T2KImage) -> String? {
            IntegratorJump.first(after, comma: .listed, previous: before, previousComma: .listed, values: [energy])
        }
        #expect(jump(image(units: 512_400, code: 3)) == nil)  // a little more
        // Reprogrammed finer, read with the old code: ×10.
        #expect(jump(image(units: 5_124_000, code: 3)) == "energy.1 went from 5123.0 to 51240.0 MWh")
        // A rescaled float fraction may land a hair under ×10: still a jump.
        #expect(jump(image(units: 5_122_999, code: 3)) != nil)
        #expect(jump(image(units: 1_700_000, code: 3)) != nil)  // beyond √10
        #expect(jump(image(units: 1_600_000, code: 3)) == nil)  // within
        // Read with the new code: continuous.
        #expect(jump(image(units: 5_124_000, code: 4)) == nil)
        // Coarser: backwards.
        #expect(jump(image(units: 51_240, code: 3))?.contains("went from 5123.0 to 512.4") == true)
        // Float rounding of a rescaled fraction is not "backwards".
        var rounded = before
        rounded.store([0x33, 0xD6, 0xBF, 0x95], at: i.fraction)  // F = 1e-7 units
        #expect(
            IntegratorJump.first(before, comma: .listed, previous: rounded, previousComma: .listed, values: [energy]) == nil)
        // From 0 any growth is no jump.
        let zero = image(units: 0, code: 3)
        #expect(
            IntegratorJump.first(
                image(units: 100, code: 3), comma: .listed, previous: zero, previousComma: .listed, values: [energy]) == nil)
    }

    @Test func qualityBitsHaveTheirFixedNames() {
        #expect(MeterQuality.named.map(\.bit.rawValue) == [1, 2, 4, 8, 16])
        #expect(
            MeterQuality.named.map(\.name) == [
                "stale", "comma_unconfirmed", "implausible", "archive_damaged", "configuration_not_read",
            ])
        #expect(MeterQuality([.configurationNotRead, .stale]).names == ["stale", "configuration_not_read"])
        #expect(MeterQuality([]).names.isEmpty)
    }
}
