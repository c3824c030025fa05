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

    /// `comma` reprogrammed one decimal finer after the newest record: the record's codes agree
    /// with neither location; the integrators' continuity settles it, with six more reads.
    @Test(arguments: CommaAddress.candidates)
    func reprogrammedAfterTheRecordIsSettledByContinuity(at location: CommaAddress) throws {
        var options = SimulatorOptions()
        options.frozen = true
        options.comma = location
        options.diameter78 = [0, 0]
        let line = MeterLine(options: options)
        #expect(line.rescale(by: 1))
        let client = MeterClient(
            link: SimulatorLink(line: line), settings: ExchangeSettings(timeout: .milliseconds(200), retries: 0))
        let decision = try CommaDetection.decide(client: client, address: 1)
        #expect(decision.address == location)
        #expect(decision.reason == .continuousWithRecord(.hourly))
        #expect(decision.isConfirmed && decision.warning == nil)
        #expect(decision.evidence.channels == [1, 2, 3, 4])
        // Five as usual, then three T2K reads of the live integrators and three Flash reads of the record's.
        #expect(client.statistics.exchanges == 11)
    }

    /// A meter that does not answer the second witness's long Flash reads: the guess stands
    /// (unconfirmed) rather than the poll failing.
    @Test func unansweredContinuityReadsLeaveTheGuess() throws {
        var options = SimulatorOptions()
        options.frozen = true
        options.diameter78 = [0, 0]
        let line = MeterLine(options: options)
        #expect(line.rescale(by: 1))
        let client = MeterClient(
            link: SilentLongFlashReads(SimulatorLink(line: line)),
            settings: ExchangeSettings(timeout: .milliseconds(100), retries: 0))
        let decision = try CommaDetection.decide(client: client, address: 1)
        #expect(!decision.isConfirmed)
        #expect(decision.reason == .fallbackValid)
        #expect(decision.evidence.continuity == nil)
    }

    /// The meter: comma at 0x02E8, diam78 = 0, no record: a guess, unconfirmed.
    @Test func zerosAtTheListedPlaceWithoutARecordAreUnconfirmed() throws {
        var options = SimulatorOptions()
        options.frozen = true
        options.historyHours = 0
        options.comma = .hole
        options.diameter78 = [0, 0]
        let client = MeterClient(
            link: SimulatorLink(line: MeterLine(options: options)),
            settings: ExchangeSettings(timeout: .milliseconds(200), retries: 0))
        let decision = try CommaDetection.decide(client: client, address: 1)
        #expect(decision.address == .listed)
        #expect(!decision.isConfirmed)
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
            // The full plan is the untiered one (17 reads, 1094 bytes on the wire since the map
            // holds the programmed configuration of issue 19; 14 / 894 before); the steady one
            // reads what changes, within 80 % of the old full plan.
            #expect(runtime.plans(comma: .listed) == tiered)
            #expect(tiered.full.reads.count == 17 && tiered.full.wireBytes == 1094)
            #expect(tiered.steady.reads.count <= 11)
            #expect(tiered.steady.wireBytes * 100 <= 894 * 80)
            #expect(ReadPlanner.tiered(for: meter, comma: .hole).steady.reads.count <= 11)
        }
    }
}

/// Passes every request on except Flash reads of more than 6 bytes, which get no answer.
final class SilentLongFlashReads: Link {
    let inner: any Link
    init(_ inner: any Link) { self.inner = inner }
    var endpoint: Endpoint { inner.endpoint }
    func open(timeout: Duration) throws(LinkError) { try inner.open(timeout: timeout) }
    func discardInput() throws(LinkError) { try inner.discardInput() }
    func write(_ bytes: [UInt8]) throws(LinkError) {
        // 55 ADDR ~ADDR 0F 03 LEN TLEN …: a Flash read of TLEN bytes.
        if bytes.count > 6, bytes[3] == 0x0F, bytes[4] == 0x03, bytes[6] > 6 { return }
        try inner.write(bytes)
    }
    func read(timeout: Duration) throws(LinkError) -> [UInt8] { try inner.read(timeout: timeout) }
    func close() { inner.close() }
}
