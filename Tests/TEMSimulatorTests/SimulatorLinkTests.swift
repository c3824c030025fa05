import Config
import Platform
import TEMLink
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct SimulatorLinkTests {
    /// A link on a line of its own (not the shared one), so faults stay in this test.
    func privateLink(_ options: SimulatorOptions = frozenOptions(history: 0)) throws -> SimulatorLink {
        let link = SimulatorLink(line: MeterLine(options: options))
        try link.open(timeout: .seconds(1))
        return link
    }

    @Test func anEndpointGivesALinkThatAnswers() throws {
        let endpoint = try Endpoint(parsing: "sim://?seed=9001&frozen=1&history=2&addresses=3,5")
        let link = try makeSimulatorLink(endpoint)
        #expect(link.endpoint == endpoint)
        try link.open(timeout: .seconds(1))
        try link.write(request(.identify, to: 5))
        let bytes = try link.read(timeout: .milliseconds(200))
        #expect(try replyData(bytes, for: .identify, from: 5) == SimulatedMeter.identity)
        try link.write(request(.identify, to: 1))
        #expect(try link.read(timeout: .milliseconds(20)).isEmpty)
        link.close()
        #expect(throws: LinkError.self) { try link.write(request(.identify, to: 5)) }
    }

    @Test func linksWithTheSameOptionsShareOneLine() throws {
        let a = try #require(try makeSimulatorLink(Endpoint(parsing: "sim://?seed=9002&frozen=1")) as? SimulatorLink)
        let b = try #require(try makeSimulatorLink(Endpoint(parsing: "sim://?frozen=1&seed=9002")) as? SimulatorLink)
        let c = try #require(try makeSimulatorLink(Endpoint(parsing: "sim://?seed=9003&frozen=1")) as? SimulatorLink)
        #expect(a.line === b.line)
        #expect(a.line !== c.line)
        var options = SimulatorOptions()
        options.seed = 9002
        options.frozen = true
        #expect(MeterLine.shared(options: options) === a.line)
    }

    @Test func badEndpointsThrowLinkErrors() throws {
        #expect(throws: LinkError.self) { try makeSimulatorLink(Endpoint(parsing: "sim://?bogus=1")) }
        #expect(throws: LinkError.self) { try makeSimulatorLink(Endpoint(parsing: "sim://?flash=256")) }
        #expect(throws: LinkError.self) { try makeSimulatorLink(Endpoint(parsing: "tcp://127.0.0.1:4001")) }
    }

    @Test func aDelayedReplyArrivesLate() throws {
        let link = try privateLink()
        try link.line.faults.apply("delay=150ms")
        let start = ContinuousClock.now
        try link.write(request(.identify))
        #expect(try link.read(timeout: .milliseconds(50)).isEmpty)
        let bytes = try link.read(timeout: .seconds(3))
        let elapsed = ContinuousClock.now - start
        #expect(try replyData(bytes, for: .identify) == SimulatedMeter.identity)
        // Returned when the reply came, not at the end of the timeout.
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(2))
    }

    @Test func silenceWaitsOutTheTimeout() throws {
        let link = try privateLink()
        try link.line.faults.apply("silent")
        try link.write(request(.identify))
        let start = ContinuousClock.now
        #expect(try link.read(timeout: .milliseconds(60)).isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(60))
    }

    @Test func discardInputDropsWhatArrived() throws {
        let link = try privateLink()
        try link.write(request(.identify))
        blockingSleep(.milliseconds(5))
        try link.discardInput()
        #expect(try link.read(timeout: .milliseconds(20)).isEmpty)
    }

    @Test func dropConnectionClosesTheLinkUntilReopened() throws {
        let link = try privateLink()
        try link.line.faults.apply("dropConnection")
        try link.write(request(.identify))
        #expect(throws: LinkError.self) { try link.read(timeout: .milliseconds(50)) }
        #expect(throws: LinkError.self) { try link.read(timeout: .milliseconds(50)) }
        try link.line.faults.apply("none")
        try link.open(timeout: .seconds(1))
        try link.write(request(.identify))
        #expect(try replyData(link.read(timeout: .milliseconds(100)), for: .identify) == SimulatedMeter.identity)
    }

    @Test func refuseConnectionsFailsOpen() throws {
        let link = SimulatorLink(line: MeterLine(options: frozenOptions(history: 0)))
        try link.line.faults.apply("refuseConnections")
        #expect(throws: LinkError.self) { try link.open(timeout: .seconds(1)) }
        link.line.faults.clear()
        try link.open(timeout: .seconds(1))
    }

    @Test func requestsSplitAcrossWritesAreJoined() throws {
        let link = try privateLink()
        let bytes = request(.readT2K(address: 0x482, length: 6))
        try link.write([0x00, 0x13] + Array(bytes.prefix(4)))
        try link.write(Array(bytes.dropFirst(4)))
        let data = try replyData(link.read(timeout: .milliseconds(100)), for: .readT2K(address: 0x482, length: 6))
        #expect(data == [0x00, 0x30, 0x10, 0x01, 0x03, 0x24])
    }

    @Test func lineSpeedMakesTheWireSlow() throws {
        var options = frozenOptions(history: 0)
        options.lineSpeed = 9600
        let link = try privateLink(options)
        let command = Command.readT2K(address: 0x200, length: 64)
        let start = ContinuousClock.now
        try link.write(request(command))
        #expect(try replyData(link.read(timeout: .seconds(1)), for: command) != nil)
        // (10 + 71) bytes × 10 bits / 9600 baud = 84 ms.
        #expect(ContinuousClock.now - start >= .milliseconds(84))
    }
}
