import Platform
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct MeterLineTests {
    let line = MeterLine(options: frozenOptions())

    /// PROTOCOL-NOTES test vector: identify request for address 1 is `55 01 FE 00 00 00 AB`.
    @Test func identifyAnswersTEMC106InCP1251() throws {
        let requestBytes: [UInt8] = [0x55, 0x01, 0xFE, 0x00, 0x00, 0x00, 0xAB]
        #expect(request(.identify) == requestBytes)
        let response = line.respond(to: requestBytes)
        #expect(
            response.bytes == [
                0xAA, 0x01, 0xFE, 0x00, 0x00, 0x07, 0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36,
                Checksum.compute([0xAA, 0x01, 0xFE, 0x00, 0x00, 0x07, 0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36]),
            ])
        #expect(response.delay == .zero)
        #expect(!response.dropsConnection)
        #expect(try replyData(response.bytes, for: .identify) == cp1251("ТЕМС106"))
    }

    /// cp1251 of capital Cyrillic letters and ASCII.
    private func cp1251(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { $0.value >= 0x410 ? UInt8($0.value - 0x410 + 0xC0) : UInt8($0.value) }
    }

    @Test func t2kReadsReturnTheMeterMemory() throws {
        let image = try #require(line.t2k(address: 2))
        for (address, length) in [(0x0000, 64), (0x0200, 64), (0x0482, 6), (0x07C0, 64), (0x07FF, 1)] as [(UInt16, UInt8)] {
            let command = Command.readT2K(address: address, length: length)
            let data = try replyData(line.respond(to: request(command, to: 2)).bytes, for: command, from: 2)
            #expect(data == Array(image[Int(address)..<(Int(address) + Int(length))]))
        }
        let serial = Command.readT2K(address: T2KMap.serialNumber, length: 4)
        let one = try replyData(line.respond(to: request(serial, to: 1)).bytes, for: serial, from: 1)
        let two = try replyData(line.respond(to: request(serial, to: 2)).bytes, for: serial, from: 2)
        #expect(one != two)
    }

    @Test func flashReadsReturnArchiveBytes() throws {
        let meter = try #require(line.meter(at: 1))
        let newest = meter.flashLayout.hourly.address(ofRecord: pointers(meter).newestIndex(.hourly)!)
        var bytes: [UInt8] = []
        for part in 0..<6 {
            let command = Command.readFlash(address: newest + UInt32(64 * part), length: 64)
            bytes += try #require(try replyData(line.respond(to: request(command)).bytes, for: command))
        }
        #expect(bytes == meter.flash(at: newest, count: 384))
        let decoded = try ArchiveRecord(bytes: bytes)
        #expect(decoded.written!.description == "2024-03-01T10:00:00")
        let last = Command.readFlash(address: 0x7FFC0, length: 64)
        #expect(try replyData(line.respond(to: request(last)).bytes, for: last) == [UInt8](repeating: 0xFF, count: 64))
    }

    @Test(
        arguments: [
            ("unknown address", request(.identify, to: 9)),
            ("bad checksum", Array(request(.identify).dropLast()) + [0x00]),
            ("reply start byte", [0xAA] + Array(request(.identify).dropFirst())),
            (
                "NOT ADDR wrong",
                {
                    var r = request(.identify); r[2] = 0xFD; r[6] = Checksum.compute(r[0..<6]); return r
                }()
            ),
            ("length 0", request(.readT2K(address: 0x200, length: 0))),
            ("length 65", request(.readT2K(address: 0x200, length: 65))),
            ("T2K past the end", request(.readT2K(address: 0x7F0, length: 17))),
            ("Flash past the end", request(.readFlash(address: 0x7FFC1, length: 64))),
            ("Flash length 65", request(.readFlash(address: 0, length: 65))),
            ("unknown command", Frame(start: 0x55, address: 1, group: 0x0F, command: 0x02, data: [0, 0, 1]).bytes),
            ("identify with data", Frame(start: 0x55, address: 1, group: 0x00, command: 0x00, data: [1]).bytes),
            ("T2K read with LEN 2", Frame(start: 0x55, address: 1, group: 0x0F, command: 0x01, data: [2, 0]).bytes),
            ("truncated", Array(request(.identify).prefix(5))),
            ("trailing byte", request(.identify) + [0]),
        ] as [(String, [UInt8])])
    func aRealMeterStaysSilent(_ why: String, _ bytes: [UInt8]) {
        #expect(line.respond(to: bytes).bytes.isEmpty, "\(why)")
    }

    @Test func aFrozenLineDoesNotMoveButAdvanceDoes() {
        let first = line.t2k(address: 1)
        blockingSleep(.milliseconds(20))
        #expect(line.t2k(address: 1) == first)
        #expect(line.clock.description == "2024-03-01T10:30:00")
        line.advance(by: 90)
        #expect(line.clock.description == "2024-03-01T10:31:30")
        #expect(decode(line.t2k(address: 1)!)["energy.1"]! > decode(first!)["energy.1"]!)
    }

    @Test func realTimeMovesARunningLine() throws {
        var options = SimulatorOptions()
        options.speed = 360_000  // 100 hours a second
        options.historyHours = 0
        options.integratorRate = 1000
        let fast = MeterLine(options: options)
        let before = try #require(fast.meter(at: 1))
        blockingSleep(.milliseconds(100))
        let after = try #require(fast.meter(at: 1))
        #expect(after.time - before.time > 3 * 3600)
        #expect(after.recordsWritten(.hourly) >= 3)
        let p = pointers(after)
        #expect(p.next[.hourly] == UInt32(0x20_0000 + 384 * after.recordsWritten(.hourly)))
        #expect(decode(after.t2k())["energy.1"]! > decode(before.t2k())["energy.1"]!)
        #expect(abs(Double(options.startTime) - before.time) < 3600 * 2, "starts at the host's time")
    }

    @Test func lineSpeedAddsWireTime() {
        var options = frozenOptions(history: 0)
        options.lineSpeed = 9600
        let slow = MeterLine(options: options)
        // 7 request bytes + 14 reply bytes, 10 bits each, at 9600 baud.
        #expect(slow.respond(to: request(.identify)).delay == .nanoseconds(21 * 10 * 1_000_000_000 / 9600))
    }
}
