import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct CommaAddressSimulationTests {
    @Test func commaAtTheHoleAndDiam78AtTheListedAddress() throws {
        var options = frozenOptions(history: 3)
        options.comma = .hole
        let meter = SimulatedMeter(address: 1, options: options)
        let t2k = meter.t2k()
        #expect(Array(t2k[0x02E8...0x02ED]) == SimulatedMeter.comma)
        #expect(Array(t2k[0x02FA...0x02FF]) == [0x00, 0x0F, 0x00, 0x14, 0x00, 0x00])
        // Everything else is the same meter.
        let listed = SimulatedMeter(address: 1, options: frozenOptions(history: 3)).t2k()
        #expect(Array(listed[0x02FA...0x02FF]) == SimulatedMeter.comma)
        #expect(Array(listed[0x02E8...0x02ED]) == [0, 0, 0, 0, 0, 0])
        for i in t2k.indices where !(0x02E8...0x02ED).contains(i) && !(0x02FA...0x02FF).contains(i) {
            #expect(t2k[i] == listed[i], "byte 0x\(String(i, radix: 16))")
        }
        // Decoded at the right place, the values are those of the listed meter.
        var image = T2KImage(), listedImage = T2KImage()
        image.store(t2k, at: 0)
        listedImage.store(listed, at: 0)
        let energy = try #require(ValueCatalog.definition(named: "energy.2"))
        #expect(image.value(of: energy, comma: .hole) == listedImage.value(of: energy))
        #expect(image.value(of: energy, comma: .listed)! > 100 * listedImage.value(of: energy)!)
    }

    @Test func recordsCarryTheCommaEitherWay() throws {
        for location in CommaAddress.candidates {
            var options = frozenOptions(history: 3)
            options.comma = location
            let meter = SimulatedMeter(address: 1, options: options)
            let record = try #require(meter.flash(at: 0, count: ArchiveRecord.size))
            #expect(Array(record[ArchiveRecord.Offset.comma..<ArchiveRecord.Offset.comma + 6]) == SimulatedMeter.comma)
        }
    }

    @Test func optionTextRoundTrips() throws {
        var options = try SimulatorOptions(query: ["comma": "0x2E8", "frozen": "1"])
        #expect(options.comma == .hole)
        #expect(options.query["comma"] == "0x02E8")
        options = try SimulatorOptions(query: options.query)
        #expect(options.comma == .hole)
        #expect(try SimulatorOptions(query: ["comma": "0x02FA"]).comma == .listed)
        #expect(SimulatorOptions().query["comma"] == nil)
        #expect(throws: SimulatorOptionError.self) { try SimulatorOptions(query: ["comma": "0x2F0"]) }
    }
}
