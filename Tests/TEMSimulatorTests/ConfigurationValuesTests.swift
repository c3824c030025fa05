import TEMProtocol
import Testing

@testable import TEMSimulator

/// The programmed configuration values (issue 19) decoded from a simulated meter's T2K, read
/// the way a poll reads it: the planner's reads, answered by the meter.
@Suite struct ConfigurationValuesTests {
    /// The meter's image after executing the plan for `names` with `comma` at `location`.
    private func image(of meter: SimulatedMeter, names: [String], comma location: CommaAddress) throws -> T2KImage {
        let definitions = try names.map { try #require(ValueCatalog.definition(named: $0)) }
        var image = T2KImage()
        for read in ReadPlanner.plan(values: definitions, comma: location).reads {
            image.store(try #require(meter.reply(to: read.command)), at: read.address)
        }
        return image
    }

    private func decode(_ name: String, _ image: T2KImage, comma: CommaAddress = .listed, shared: Bool = false) throws
        -> Double?
    {
        image.value(of: try #require(ValueCatalog.definition(named: name)), comma: comma, sharedCommaBytes: shared)
    }

    @Test func programmedValuesDecodeByName() throws {
        let meter = SimulatedMeter(address: 3, options: frozenOptions(history: 0))
        var expected: [String: Double] = [:]
        let channels = SimulatedMeter.systemChannels
        for n in 1...6 {
            expected["channels.flow.\(n)"] = Double(channels.flow[n - 1])
            expected["channels.temperature.\(n)"] = Double(channels.temperature[n - 1])
            expected["channels.pressure.\(n)"] = Double(channels.pressure[n - 1])
            expected["flowmeter_binding.\(n)"] = Double(SimulatedMeter.flowmeterBinding[n - 1])
            expected["pulse_weight.\(n)"] = Double(Float(SimulatedMeter.pulseWeights[n - 1]))
        }
        for (i, kind) in ["flow", "temperature", "pressure"].enumerated() {
            expected["sensors_used.\(kind)"] = Double(SimulatedMeter.sensorsUsed[i])
        }
        for n in 1...8 {
            expected["programmed_temperature.\(n)"] = Double(Float(SimulatedMeter.programmedTemperatures[n - 1]))
            expected["programmed_pressure.\(n)"] = Double(Float(SimulatedMeter.programmedPressures[n - 1]))
        }
        expected["gmax.7"] = 4
        expected["gmax.8"] = Double(Float(6.3))
        // f_max in the seed's element order: 7, 8, 3, 4, 5, 6.
        expected["fmax.7"] = 0.5
        expected["fmax.8"] = 0.25
        expected["fmax.3"] = 1
        expected["fmax.6"] = 0
        let image = try image(of: meter, names: Array(expected.keys), comma: .listed)
        for (name, value) in expected {
            #expect(try decode(name, image) == value, "\(name)")
        }
        // The simulator's bindings are not trivial: system 1 uses flow channels 1 and 2 and
        // takes its cold water from temperature channel 5, programmed at 5 °C.
        #expect(try decode("channels.flow.1", image) == 0x03)
        #expect(try decode("channels.temperature.1", image) == 0x13)
        #expect(try decode("programmed_temperature.5", image) == 5)
        #expect(try decode("programmed_pressure.2", image) == Double(Float(0.4)))
    }

    @Test func everyProgrammedValueIsReadWithTheConfiguration() throws {
        let names = ValueCatalog.all.map(\.name).filter {
            ["channels.", "sensors_used.", "flowmeter_binding.", "programmed_", "pulse_weight.", "fmax.", "gmax.7", "diameter.8"]
                .contains(where: $0.hasPrefix)
        }
        #expect(names.count == 18 + 3 + 6 + 16 + 6 + 6 + 2)
        let definitions = names.compactMap(ValueCatalog.definition(named:))
        #expect(definitions.allSatisfy { $0.isConfiguration })
        let temperature = try #require(ValueCatalog.definition(named: "temperature.1"))
        let plans = ReadPlanner.tiered(values: definitions + [temperature])
        for definition in definitions {
            for range in definition.t2kRanges {
                #expect(plans.configurationRanges.contains(range), "\(definition.name)")
                #expect(!plans.steady.reads.contains { $0.range.overlaps(range) }, "\(definition.name) is read every poll")
            }
        }
    }

    @Test func diam78OnlyWhereCommaIsProvenAtTheHole() throws {
        var options = frozenOptions(history: 3)
        options.comma = .hole
        let hole = SimulatedMeter(address: 1, options: options)
        let listed = SimulatedMeter(address: 1, options: frozenOptions(history: 3))
        let names = ["diameter.7", "diameter.8"]
        let record = RecordComma(kind: .hourly, codes: SimulatedMeter.comma)
        func decision(_ meter: SimulatedMeter, record: RecordComma?, override: CommaAddress? = nil) -> CommaDecision {
            let t2k = meter.t2k()
            return CommaDecision(
                evidence: .init(
                    atHole: Array(t2k[0x02E8...0x02ED]), atListed: Array(t2k[0x02FA...0x02FF]), record: record,
                    systems: SimulatedMeter.systems, override: override))
        }
        // Proven by the newest record: 0x02FA holds diam78.
        let proven = decision(hole, record: record)
        #expect(proven.address == .hole)
        #expect(SharedCommaBytes.readable(under: proven))
        let holeImage = try image(of: hole, names: names, comma: .hole)
        #expect(try decode("diameter.7", holeImage, comma: .hole, shared: true) == 15)
        #expect(try decode("diameter.8", holeImage, comma: .hole, shared: true) == 20)
        // Fixed by the map: the user's word counts.
        #expect(SharedCommaBytes.readable(under: decision(hole, record: nil, override: .hole)))
        // A guess proves nothing, and neither does comma at 0x02FA: the value is missing.
        let guess = decision(hole, record: nil)
        #expect(guess.warning != nil)
        #expect(!SharedCommaBytes.readable(under: guess))
        let atListed = decision(listed, record: record)
        #expect(atListed.address == .listed)
        #expect(!SharedCommaBytes.readable(under: atListed))
        let listedImage = try image(of: listed, names: names, comma: .listed)
        #expect(try decode("diameter.7", listedImage) == nil)
        #expect(try decode("diameter.7", holeImage, comma: .hole, shared: false) == nil)
    }
}
