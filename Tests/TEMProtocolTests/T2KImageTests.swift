import TEMProtocol
import Testing

@Suite struct T2KImageTests {
    static func value(_ name: String, in image: T2KImage) -> Double? {
        image.value(of: ValueCatalog.definition(named: name)!)
    }

    /// An image holding energy integrator 1 (L = 1234567, F = 0.5) and volume integrator 1
    /// (L = 1000, F = 0.25) with `comma` code `comma` for channel 1.
    static func integrators(comma: UInt8) -> T2KImage {
        var image = T2KImage()
        image.store(BigEndian.bytes(Float(0.5).bitPattern), at: T2KMap.energyFraction)
        image.store(BigEndian.bytes(UInt32(1_234_567)), at: T2KMap.energyWhole)
        image.store(BigEndian.bytes(Float(0.25).bitPattern), at: T2KMap.volumeFraction)
        image.store(BigEndian.bytes(UInt32(1000)), at: T2KMap.volumeWhole)
        image.store([comma], at: T2KMap.comma)
        return image
    }

    /// PROTOCOL-NOTES, integrators: energy comma 6→100000, 5→10000, 4→1000, 3→100, 2→10, other→1.
    @Test(
        arguments: [(6, 100_000), (5, 10_000), (4, 1000), (3, 100), (2, 10), (1, 1), (0, 1), (7, 1), (255, 1)]
            as [(UInt8, Double)])
    func energyScaling(comma: UInt8, divisor: Double) {
        let image = Self.integrators(comma: comma)
        #expect(Self.value("energy.1", in: image) == 1_234_567.5 / divisor)
    }

    /// PROTOCOL-NOTES, integrators: volume and mass comma 5→1000, 4→100, 3→10, other→1.
    @Test(arguments: [(5, 1000), (4, 100), (3, 10), (2, 1), (6, 1), (0, 1)] as [(UInt8, Double)])
    func volumeScaling(comma: UInt8, divisor: Double) {
        let image = Self.integrators(comma: comma)
        #expect(Self.value("volume.1", in: image) == 1000.25 / divisor)
    }

    @Test func integratorNeedsAllThreeParts() {
        var image = T2KImage()
        image.store(BigEndian.bytes(UInt32(1_234_567)), at: T2KMap.energyWhole)
        image.store([3], at: T2KMap.comma)
        #expect(Self.value("energy.1", in: image) == nil)
        image.store(BigEndian.bytes(Float(0.5).bitPattern), at: T2KMap.energyFraction)
        #expect(Self.value("energy.1", in: image) == 12_345.675)
    }

    /// PROTOCOL-NOTES decision 3: `energyall` is scaled by system 1's comma.
    @Test func energyTotalUsesSystemOneComma() {
        var image = T2KImage()
        image.store(BigEndian.bytes(Float(0.0).bitPattern), at: T2KMap.energyTotalFraction)
        image.store(BigEndian.bytes(UInt32(5000)), at: T2KMap.energyTotalWhole)
        image.store([4, 6, 6, 6, 6, 6], at: T2KMap.comma)
        #expect(Self.value("energy.total", in: image) == 5)
    }

    /// PROTOCOL-NOTES, test vectors: clock bytes `33 15 14 02 03 16` = 2016-03-02 14:15:33.
    @Test func clock() {
        var image = T2KImage()
        image.store([0x33, 0x15, 0x14, 0x02, 0x03, 0x16], at: T2KMap.clock)
        #expect(Self.value("clock", in: image) == 1_456_928_133)
        #expect(Self.value("clock.year", in: image) == 2016)
        #expect(Self.value("clock.hour", in: image) == 14)
        #expect(Self.value("clock.second", in: image) == 33)
    }

    @Test func clockWithBadBCDIsNil() {
        var image = T2KImage()
        image.store([0x3F, 0x15, 0x14, 0x02, 0x03, 0x16], at: T2KMap.clock)
        #expect(Self.value("clock", in: image) == nil)
    }

    @Test(arguments: [(0x1F24, 512), (0x1F25, 1024), (0x1234, nil)] as [(UInt16, Double?)])
    func flashKiB(code: UInt16, kib: Double?) {
        var image = T2KImage()
        image.store(BigEndian.bytes(code), at: T2KMap.flashType)
        #expect(Self.value("flash_kib", in: image) == kib)
    }

    @Test func unreadBytesGiveNil() {
        var image = T2KImage()
        // Three of the four bytes of temperature.1.
        image.store([0x41, 0xA0, 0x00], at: T2KMap.temperature)
        #expect(Self.value("temperature.1", in: image) == nil)
        #expect(Self.value("temperature.2", in: image) == nil)
        #expect(Self.value("clock", in: image) == nil)
        #expect(Self.value("flash_kib", in: image) == nil)
        image.store([0x00], at: T2KMap.temperature + 3)
        #expect(Self.value("temperature.1", in: image) == 20)
    }

    @Test func fieldsByType() {
        var image = T2KImage()
        image.store([0x01, 0x4D, 0x0F, 0x11], at: T2KMap.serialNumber)
        image.store([0x00, 0x50, 0x00, 0x65], at: T2KMap.diameter)
        image.store([7], at: T2KMap.networkAddress)
        #expect(Self.value("serial_number", in: image) == 21_827_345)
        #expect(Self.value("diameter.1", in: image) == 80)
        #expect(Self.value("diameter.2", in: image) == 101)
        #expect(Self.value("network_address", in: image) == 7)
    }

    /// Gmax.set = g_max × g_pcmt_max × 0.01; Gmin.set = g_max × g_pcmt_min × 0.0005.
    @Test func flowLimits() {
        var image = T2KImage()
        image.store(BigEndian.bytes(Float(40).bitPattern), at: T2KMap.gMax)
        image.store([90], at: T2KMap.gMaxPercent)
        image.store([20], at: T2KMap.gMinPermille)
        #expect(Self.value("gmax_set.1", in: image) == 36)
        #expect(Self.value("gmin_set.1", in: image) == 0.4)
    }

    @Test func statusAndArchiveValuesAreNotInT2K() {
        let image = T2KImage()
        #expect(Self.value("status.online", in: image) == nil)
        #expect(Self.value("archive.hourly.energy.1", in: image) == nil)
        #expect(ValueCatalog.definition(named: "status.online")?.t2kRanges == [])
    }

    @Test func catalogNamesAreUnique() {
        #expect(Set(ValueCatalog.all.map(\.name)).count == ValueCatalog.all.count)
        #expect(ValueCatalog.definition(named: "no.such.value") == nil)
    }
}
