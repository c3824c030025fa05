import TEMProtocol
import Testing

@Suite struct ReplyParserTests {
    static let command = Command.readT2K(address: 0x0200, length: 4)
    static let data: [UInt8] = [0x41, 0xAA, 0x55, 0x00]
    static let reply = Frame.reply(to: command, from: 1, data: data).bytes
    let parser = ReplyParser(command: command, address: 1)

    @Test func wholeReply() throws {
        #expect(try parser.parse(Self.reply) == .reply(data: Self.data, consumed: Self.reply.count))
    }

    /// Fed byte by byte, the parser asks for more until the frame is complete, and never calls
    /// a byte of the reply skippable.
    @Test func byteByByte() throws {
        for n in 0..<Self.reply.count {
            #expect(try parser.parse(Array(Self.reply[..<n])) == .needMore(skippable: 0), "prefix of \(n)")
        }
        #expect(try parser.parse(Self.reply) == .reply(data: Self.data, consumed: Self.reply.count))
    }

    @Test func noiseBefore() throws {
        let noise: [UInt8] = [0x00, 0xFF, 0x13, 0x55, 0x02]
        #expect(try parser.parse(noise) == .needMore(skippable: noise.count))
        #expect(try parser.parse(noise + Self.reply) == .reply(data: Self.data, consumed: noise.count + Self.reply.count))
    }

    /// Stray start bytes before the reply are not taken for its header.
    @Test(arguments: [1, 2, 3])
    func leadingGarbageStartBytes(count: Int) throws {
        let garbage = [UInt8](repeating: 0xAA, count: count)
        let bytes = garbage + Self.reply
        #expect(try parser.parse(bytes) == .reply(data: Self.data, consumed: bytes.count))
        try feedByteByByte(parser, bytes, data: Self.data)
    }

    /// A stray 0xAA before a reply from meter 0x55 reads `AA AA 55 …`, which looks like a header
    /// from meter 0xAA; the real header follows one byte later.
    @Test(arguments: [0x55, 0xAA, 0x00, 0xFF] as [UInt8])
    func strayStartByteBeforeAnyAddress(address: UInt8) throws {
        let parser = ReplyParser(command: Self.command, address: address)
        let reply = Frame.reply(to: Self.command, from: address, data: Self.data).bytes
        for garbage in [[0xAA], [0xAA, 0xAA], [0x00, 0xAA]] as [[UInt8]] {
            try feedByteByByte(parser, garbage + reply, data: Self.data)
        }
    }

    @Test func echoedRequestBefore() throws {
        let echo = Frame.request(Self.command, to: 1).bytes
        let bytes = echo + Self.reply
        #expect(try parser.parse(echo) == .needMore(skippable: echo.count))
        #expect(try parser.parse(bytes) == .reply(data: Self.data, consumed: bytes.count))
        try feedByteByByte(parser, bytes, data: Self.data)
    }

    /// The echo of a request whose data holds 0xAA must be skipped whole, not parsed as a reply.
    @Test func echoedRequestContainingStartByte() throws {
        for command in [
            Command.readT2K(address: 0x00AA, length: 4), .readT2K(address: 0xAAAA, length: 4),
            .readFlash(address: 0xAAAA_AAAA, length: 4),
        ] {
            for address: UInt8 in [1, 0x55, 0xAA] {
                let parser = ReplyParser(command: command, address: address)
                let echo = Frame.request(command, to: address).bytes
                let reply = Frame.reply(to: command, from: address, data: Self.data).bytes
                try feedByteByByte(parser, [0x00] + echo + reply, data: Self.data)
            }
        }
    }

    @Test func badChecksum() {
        var bytes = Self.reply
        bytes[bytes.count - 1] ^= 0x01
        #expect(throws: ReplyError.checksum(expected: Self.reply.last!, got: bytes.last!)) { try parser.parse(bytes) }
    }

    @Test func corruptDataByteFailsChecksum() {
        var bytes = Self.reply
        bytes[FrameLayout.data] &+= 1
        #expect(throws: ReplyError.checksum(expected: Checksum.compute(bytes.dropLast()), got: Self.reply.last!)) {
            try parser.parse(bytes)
        }
    }

    @Test func addressMismatch() {
        let bytes = Frame.reply(to: Self.command, from: 2, data: Self.data).bytes
        #expect(throws: ReplyError.addressMismatch(expected: 1, got: 2)) { try parser.parse(bytes) }
    }

    /// The stray-0xAA rule does not hide a genuine reply from meter 0xAA when 0x55 was asked.
    @Test func replyFromAAWhenExpecting55() {
        let parser = ReplyParser(command: Self.command, address: 0x55)
        let bytes = Frame.reply(to: Self.command, from: 0xAA, data: Self.data).bytes
        #expect(throws: ReplyError.addressMismatch(expected: 0x55, got: 0xAA)) { try parser.parse(bytes) }
    }

    @Test func commandMismatch() {
        let bytes = Frame.reply(to: .readFlash(address: 0x200, length: 4), from: 1, data: Self.data).bytes
        #expect(throws: ReplyError.commandMismatch(expected: Self.command, group: 0x0F, command: 0x03)) {
            try parser.parse(bytes)
        }
    }

    @Test func wrongLength() {
        let bytes = Frame.reply(to: Self.command, from: 1, data: [1, 2, 3]).bytes
        #expect(throws: ReplyError.wrongLength(expected: 4, got: 3)) { try parser.parse(bytes) }
    }

    /// An 0xAA whose next two bytes are not ADDR, NOT ADDR is noise, not a header.
    @Test func startByteWithoutComplementIsNoise() throws {
        let bytes: [UInt8] = [0xAA, 0x02, 0x02, 0x0F, 0x01, 0x04] + Self.reply
        #expect(try parser.parse(bytes) == .reply(data: Self.data, consumed: bytes.count))
    }

    @Test func bytesAfterTheReplyAreNotConsumed() throws {
        #expect(try parser.parse(Self.reply + [0xAA, 0x01]) == .reply(data: Self.data, consumed: Self.reply.count))
    }

    @Test func identifyReply() throws {
        let name: [UInt8] = [0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36]
        let parser = ReplyParser(command: .identify, address: 1)
        let bytes = Frame.reply(to: .identify, from: 1, data: name).bytes
        #expect(try parser.parse(bytes) == .reply(data: name, consumed: bytes.count))
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [ReplyError] = [
            .checksum(expected: 0xAB, got: 0xAC), .addressMismatch(expected: 1, got: 2),
            .commandMismatch(expected: .identify, group: 0x0F, command: 0x01),
            .wrongLength(expected: 7, got: 3),
        ]
        #expect(
            errors.map(\.description) == [
                "bad checksum: expected AB, got AC", "reply from address 2, expected 1",
                "reply to command 0F 01, expected identify", "reply carries 3 data bytes, expected 7",
            ])
    }

    /// Feeds `bytes` one at a time, dropping skippable bytes as a client would: needMore until the
    /// last byte, then the reply.
    private func feedByteByByte(
        _ parser: ReplyParser, _ bytes: [UInt8], data: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var pending: [UInt8] = []
        for (i, byte) in bytes.enumerated() {
            pending.append(byte)
            switch try parser.parse(pending) {
            case let .needMore(skippable):
                #expect(i < bytes.count - 1, "still needs more after the last byte", sourceLocation: sourceLocation)
                pending.removeFirst(skippable)
            case let .reply(got, consumed):
                #expect(i == bytes.count - 1, "reply before the last byte", sourceLocation: sourceLocation)
                #expect(got == data, sourceLocation: sourceLocation)
                #expect(consumed == pending.count, sourceLocation: sourceLocation)
            }
        }
    }
}
