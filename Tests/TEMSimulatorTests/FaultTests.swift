import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct FaultTests {
    let line = MeterLine(options: frozenOptions())
    let read = Command.readT2K(address: 0x200, length: 64)

    /// The reply frame without faults.
    var clean: [UInt8] { Frame.reply(to: read, from: 1, data: Array(line.t2k(address: 1)![0x200..<0x240])).bytes }

    func respond(_ command: Command? = nil, to address: UInt8 = 1) -> MeterLine.Response {
        line.respond(to: request(command ?? read, to: address))
    }

    @Test func silentSendsNothing() throws {
        try line.faults.apply("silent")
        #expect(respond().bytes.isEmpty)
        #expect(respond(.identify, to: 2).bytes.isEmpty)
        try line.faults.apply("none")
        #expect(respond().bytes == clean)
    }

    @Test func badChecksumBreaksOnlyTheChecksum() throws {
        try line.faults.apply("badChecksum")
        let bytes = respond().bytes
        #expect(bytes.dropLast() == clean.dropLast())
        #expect(bytes.last != clean.last)
        #expect(throws: ReplyError.checksum(expected: clean.last!, got: bytes.last!)) { try replyData(bytes, for: read) }
    }

    @Test func echoSendsTheRequestFirst() throws {
        try line.faults.apply("echo")
        let bytes = respond().bytes
        #expect(bytes == request(read) + clean)
        #expect(try replyData(bytes, for: read) == Array(clean[6..<70]))
        // The adapter echoes even when no meter answers.
        #expect(line.respond(to: request(.identify, to: 9)).bytes == request(.identify, to: 9))
    }

    @Test func noiseComesBeforeTheReplyAndCanBeSkipped() throws {
        try line.faults.apply("noise")
        for _ in 0..<20 {
            let bytes = respond().bytes
            #expect(bytes.count > clean.count)
            #expect(bytes.hasSuffix(clean))
            let noise = bytes.dropLast(clean.count)
            #expect(noise.contains(0xAA))
            #expect(try replyData(bytes, for: read) == Array(clean[6..<70]))
        }
    }

    @Test func wrongAddressClaimsAnotherMeter() throws {
        try line.faults.apply("wrongAddress")
        let bytes = respond().bytes
        #expect(bytes[1] == 2 && bytes[2] == ~2)
        #expect(bytes.last == Checksum.compute(bytes.dropLast()))
        #expect(throws: ReplyError.addressMismatch(expected: 1, got: 2)) { try replyData(bytes, for: read) }
    }

    @Test func partialSendsHalfAFrame() throws {
        try line.faults.apply("partial")
        let bytes = respond().bytes
        #expect(bytes == Array(clean.prefix(clean.count / 2)))
        #expect(try replyData(bytes, for: read) == nil)
    }

    @Test func delayDelaysTheReply() throws {
        try line.faults.apply("delay=300ms")
        let response = respond()
        #expect(response.delay == .milliseconds(300))
        #expect(response.bytes == clean)
        try line.faults.apply("delay=2s")
        #expect(respond().delay == .seconds(2))
    }

    @Test func dropConnectionIsReported() throws {
        #expect(!respond().dropsConnection)
        try line.faults.apply("dropConnection@2")
        #expect(!respond().dropsConnection)
        #expect(respond(to: 2).dropsConnection)
    }

    @Test func faultsApplyPerAddress() throws {
        try line.faults.apply("silent@2")
        #expect(respond(.identify, to: 1).bytes.count == 14)
        #expect(respond(.identify, to: 2).bytes.isEmpty)
        try line.faults.apply("echo")
        #expect(respond(.identify, to: 1).bytes.count == 7 + 14)
        #expect(respond(.identify, to: 2).bytes == request(.identify, to: 2))
        try line.faults.apply("none@2")
        #expect(respond(.identify, to: 2).bytes.count == 7 + 14)
        try line.faults.apply("none")
        #expect(line.faults.current == .none)
    }

    @Test func restartIsOneShotAndGivesANewSerialNumber() throws {
        let serial = Command.readT2K(address: T2KMap.serialNumber, length: 4)
        let before = try #require(try replyData(respond(serial).bytes, for: serial))
        let otherBefore = try replyData(respond(serial, to: 2).bytes, for: serial, from: 2)
        try line.faults.apply("restart@1")
        let after = try #require(try replyData(respond(serial).bytes, for: serial))
        #expect(after != before)
        #expect(try replyData(respond(serial).bytes, for: serial) == after)
        #expect(try replyData(respond(serial, to: 2).bytes, for: serial, from: 2) == otherBefore)
        #expect(line.faults.current == .none)
        #expect(decode(line.t2k(address: 1)!)["energy.1"] == 0)
    }

    @Test(
        arguments: [
            ("silent", FaultCommand(fault: .silent)),
            ("  silent\n", FaultCommand(fault: .silent)),
            ("delay=300ms", FaultCommand(fault: .delay(.milliseconds(300)))),
            ("delay=2s@3", FaultCommand(fault: .delay(.seconds(2)), address: 3)),
            ("delay=1.5s", FaultCommand(fault: .delay(.milliseconds(1500)))),
            ("noise", FaultCommand(fault: .noise)),
            ("none", FaultCommand(fault: nil)),
            ("none@2", FaultCommand(fault: nil, address: 2)),
            ("silent@2", FaultCommand(fault: .silent, address: 2)),
            ("bad-checksum", FaultCommand(fault: .badChecksum)),
            ("BAD_CHECKSUM", FaultCommand(fault: .badChecksum)),
            ("wrongAddress", FaultCommand(fault: .wrongAddress)),
            ("dropConnection@1", FaultCommand(fault: .dropConnection, address: 1)),
            ("refuseConnections", FaultCommand(fault: .refuseConnections)),
            ("partial", FaultCommand(fault: .partial)),
            ("echo", FaultCommand(fault: .echo)),
            ("restart@2", FaultCommand(fault: .restart, address: 2)),
        ] as [(String, FaultCommand)])
    func faultTextsParse(_ text: String, _ expected: FaultCommand) throws {
        let parsed = try FaultCommand.parse(text)
        #expect(parsed == expected)
        #expect(try FaultCommand.parse(parsed.description) == parsed)
    }

    @Test func everyKindHasItsFault() throws {
        #expect(Fault.oneOfEachKind.map(\.kind) == Fault.Kind.allCases)
        for kind in Fault.Kind.allCases where kind != .delay {
            #expect(try FaultCommand.parse(kind.rawValue).fault == Fault.one(of: kind))
        }
    }

    @Test(arguments: [
        "bogus", "delay", "delay=", "delay=soon", "delay=-1s", "silent=1", "silent@300", "silent@",
        "refuseConnections@2", "none=1", "",
    ])
    func badFaultTextsAreRefused(_ text: String) {
        #expect(throws: FaultParseError.self) { try FaultCommand.parse(text) }
    }

    @Test func faultsPrintAsTheyParse() throws {
        var faults = Faults()
        faults.apply(try .parse("echo"))
        faults.apply(try .parse("delay=300ms@2"))
        faults.apply(try .parse("silent@2"))
        #expect(faults.description == "echo, delay=300ms@2, silent@2")
        faults.apply(try .parse("delay=1s@2"))
        #expect(faults.active(at: 2)[.delay] == .delay(.seconds(1)))
        #expect(faults.active(at: 1)[.delay] == nil)
        #expect(faults.contains(.echo, at: 7))
        #expect(Faults.none.description == "none")
    }
}

extension Array where Element: Equatable {
    func hasSuffix(_ suffix: [Element]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
