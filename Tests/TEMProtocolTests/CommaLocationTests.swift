import TEMProtocol
import Testing

@Suite struct CommaLocationTests {
    /// What a meter keeping comma 3, 4 at 0x02FA shows; at 0x02E8 a hole of zeros.
    static let codes: [UInt8] = [3, 4, 3, 3, 3, 3]
    static let zeros: [UInt8] = [0, 0, 0, 0, 0, 0]
    /// `diam78` 15 and 20 mm at 0x02FA, as a meter keeping comma at 0x02E8 shows them.
    static let diam78: [UInt8] = [0x00, 0x0F, 0x00, 0x14, 0, 0]

    static func decide(
        hole: [UInt8]?, listed: [UInt8]?, record: [UInt8]?, kind: ArchiveKind = .hourly, systems: Int = 2,
        override: CommaAddress? = nil
    ) -> CommaDecision {
        CommaDecision(
            evidence: .init(
                atHole: hole, atListed: listed, record: record.map { RecordComma(kind: kind, codes: $0) }, systems: systems,
                override: override))
    }

    @Test func parsesBothSpellings() {
        #expect(CommaAddress(parsing: "0x2E8") == .hole)
        #expect(CommaAddress(parsing: "0x02e8") == .hole)
        #expect(CommaAddress(parsing: "2FA") == .listed)
        #expect(CommaAddress(parsing: "0X02FA") == .listed)
        for bad in ["", "0x", "0x300", "744", "0x2E8 ", "0x002E8", "hole"] { #expect(CommaAddress(parsing: bad) == nil) }
        #expect(CommaAddress.hole.description == "0x02E8")
        #expect(CommaAddress.listed.code(system: 2) == 0x02FB)
        #expect(CommaAddress.hole.range == 0x02E8...0x02ED)
    }

    @Test func agreesAtTheListedAddress() {
        let d = Self.decide(hole: Self.zeros, listed: Self.codes, record: Self.codes)
        #expect(d.address == .listed)
        #expect(d.reason == .agreesWithRecord(.hourly))
        #expect(d.warning == nil)
        #expect(d.summary == "comma at 0x02FA (agrees with the newest hourly record)")
    }

    @Test func agreesAtTheHole() {
        let d = Self.decide(hole: Self.codes, listed: Self.diam78, record: Self.codes)
        #expect(d.address == .hole)
        #expect(d.reason == .agreesWithRecord(.hourly))
        #expect(d.warning == nil)
        #expect(d.summary == "comma at 0x02E8 (agrees with the newest hourly record)")
    }

    @Test func onlyTheConfiguredSystemsCount() {
        // Systems 3...6 differ: they scale nothing on a two-system meter.
        let d = Self.decide(hole: [3, 4, 9, 9, 9, 9], listed: Self.diam78, record: Self.codes, kind: .daily)
        #expect(d.address == .hole)
        #expect(d.reason == .agreesWithRecord(.daily))
        #expect(d.summary == "comma at 0x02E8 (agrees with the newest daily record)")
        // With six systems they do count.
        #expect(
            Self.decide(hole: [3, 4, 9, 9, 9, 9], listed: Self.diam78, record: Self.codes, systems: 6).reason
                != .agreesWithRecord(.hourly))
    }

    @Test func disagreeingRecordFallsBackAndWarns() {
        let d = Self.decide(hole: Self.zeros, listed: Self.codes, record: [5, 5, 5, 5, 5, 5])
        #expect(d.address == .listed)
        #expect(d.reason == .fallbackValid)
        let warning = try! #require(d.warning)
        #expect(warning.contains("neither location agrees with the newest hourly record's comma 05 05 05 05 05 05"))
        #expect(warning.contains("0x02FA holds 03 04 03 03 03 03"))
        #expect(warning.contains("0x02E8 holds 00 00 00 00 00 00"))
        #expect(warning.contains("using 0x02FA"))
    }

    @Test func noRecordUsesTheListedAddressWhenValid() {
        let d = Self.decide(hole: Self.zeros, listed: Self.codes, record: nil)
        #expect(d.address == .listed)
        #expect(d.reason == .fallbackValid)
        #expect(d.warning?.contains("no archive record to compare with") == true)
        #expect(d.warning?.contains("0x02E8 holds 00 00 00 00 00 00") == true)
    }

    @Test func noRecordUsesTheHoleWhenOnlyItIsValid() {
        let d = Self.decide(hole: Self.codes, listed: Self.diam78, record: nil)
        #expect(d.address == .hole)
        #expect(d.reason == .fallbackValid)
        #expect(d.warning?.contains("0x02FA holds 00 0F 00 14 00 00") == true)
        #expect(d.warning?.contains("using 0x02E8") == true)
    }

    @Test func neitherValid() {
        let d = Self.decide(hole: [7, 8, 0, 0, 0, 0], listed: Self.diam78, record: nil)
        #expect(d.address == .listed)
        #expect(d.reason == .neitherValid)
        #expect(d.warning?.contains("neither holds valid codes (0...6) for channels 1...2") == true)
    }

    @Test func overrideWinsWithoutWarning() {
        let d = Self.decide(hole: Self.zeros, listed: Self.codes, record: Self.codes, override: .hole)
        #expect(d.address == .hole)
        #expect(d.reason == .override)
        #expect(d.warning == nil)
        #expect(d.summary.hasPrefix("comma at 0x02E8 (fixed by comma_address"))
    }

    @Test func implausibleSystemsCheckAllSix() {
        #expect(CommaCode.systemsToCheck(0) == 6)
        #expect(CommaCode.systemsToCheck(9) == 6)
        #expect(CommaCode.systemsToCheck(3) == 3)
    }

    @Test func integratorsFollowTheLocation() throws {
        let energy2 = try #require(ValueCatalog.definition(named: "energy.2"))
        guard case let .integrator(i) = energy2.source else { throw CommaTestFailure() }
        #expect(i.comma(at: .listed) == 0x02FB)
        #expect(i.comma(at: .hole) == 0x02E9)
        #expect(energy2.t2kRanges(comma: .hole).contains(0x02E9...0x02E9))
        #expect(energy2.t2kRanges == energy2.t2kRanges(comma: .listed))

        // L = 1234, F = 0.5 at energy.2; comma 4 (k = 1000) at 0x02E9, diam78 bytes at 0x02FB.
        var image = T2KImage()
        image.store([0, 0, 0x04, 0xD2], at: i.whole)
        image.store([0x3F, 0, 0, 0], at: i.fraction)
        image.store(Self.codes, at: 0x02E8)
        image.store(Self.diam78, at: 0x02FA)
        #expect(image.value(of: energy2, comma: .hole) == 1.2345)
        // Read at 0x02FA, diam78's 0x0F is taken for a code: k = 1, a thousand times too large.
        #expect(image.value(of: energy2) == 1234.5)
    }
}

struct CommaTestFailure: Error {}
