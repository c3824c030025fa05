import Config
import Mapping
import TEMProtocol
import TEMSimulator
import Testing

@testable import Bridge
@testable import TEMLink

/// `CommaDetection` against simulated meters that keep `comma` at either place.
@Suite struct CommaDetectionTests {
    static func client(comma: CommaAddress, history: Int = 48, flash: FlashLayout = .kib512) -> MeterClient {
        var options = SimulatorOptions()
        options.frozen = true
        options.historyHours = history
        options.comma = comma
        options.flash = flash
        return MeterClient(
            link: SimulatorLink(line: MeterLine(options: options)),
            settings: ExchangeSettings(timeout: .milliseconds(200), retries: 0))
    }

    @Test(arguments: CommaAddress.candidates, [FlashLayout.kib512, .mib1])
    func agreesWithTheNewestHourlyRecord(at location: CommaAddress, flash: FlashLayout) throws {
        let decision = try CommaDetection.decide(client: Self.client(comma: location, flash: flash), address: 1)
        #expect(decision.address == location)
        #expect(decision.reason == .agreesWithRecord(.hourly))
        #expect(decision.warning == nil)
        #expect(decision.evidence.record?.codes == SimulatedMeter.comma)
        #expect(decision.evidence.systems == SimulatedMeter.systems)
        #expect(decision.evidence.bytes(at: location) == SimulatedMeter.comma)
    }

    @Test func withoutArchiveTheValidLocationIsUsedWithAWarning() throws {
        let atListed = try CommaDetection.decide(client: Self.client(comma: .listed, history: 0), address: 1)
        #expect(atListed.address == .listed)
        #expect(atListed.reason == .fallbackValid)
        #expect(atListed.evidence.record == nil)
        #expect(atListed.warning?.contains("no archive record to compare with") == true)

        // diam78 (15, 20 mm) at 0x02FA is no valid set of codes: the hole is taken.
        let atHole = try CommaDetection.decide(client: Self.client(comma: .hole, history: 0), address: 1)
        #expect(atHole.address == .hole)
        #expect(atHole.reason == .fallbackValid)
        #expect(atHole.warning?.contains("0x02FA holds 00 0F 00 14 00 00") == true)
    }

    @Test func overrideReadsNothing() throws {
        let client = Self.client(comma: .listed)
        let decision = try CommaDetection.decide(client: client, address: 1, override: .hole)
        #expect(decision.address == .hole)
        #expect(decision.reason == .override)
        #expect(client.statistics.exchanges == 0)
    }

    @Test func readsFewBytes() throws {
        let client = Self.client(comma: .hole)
        _ = try CommaDetection.decide(client: client, address: 1)
        // Four T2K reads (systems, 0x02E8...0x02FF, FLASH_TYPE, the pointers), one 6-byte Flash read.
        #expect(client.statistics.exchanges == 5)
    }

    @Test func silentMeterThrows() {
        #expect(throws: ExchangeError.self) { try CommaDetection.decide(client: Self.client(comma: .listed), address: 9) }
    }
}

@Suite struct TieredPollingTests {
    @Test func defaultMapSteadyPlanMeetsTheTargets() throws {
        let root = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/"))
        let mapping = try MappingParser.load(path: "/" + root + "/mapping/default.yaml")
        for meter in mapping.meters {
            let runtime = MeterRuntime(config: meter)
            let tiered = ReadPlanner.tiered(for: meter, comma: .listed)
            // The full plan is the untiered one (14 reads, 894 bytes on the wire); the steady one
            // reads what changes.
            #expect(runtime.plans(comma: .listed) == tiered)
            #expect(tiered.full.reads.count == 14 && tiered.full.wireBytes == 894)
            #expect(tiered.steady.reads.count <= 11)
            #expect(tiered.steady.wireBytes * 100 <= 894 * 80)
            #expect(ReadPlanner.tiered(for: meter, comma: .hole).steady.reads.count <= 11)
        }
    }
}
