// libFuzzer target `reply`: the meter-side decoding in TEMProtocol — the resynchronising
// `ReplyParser`, the archive record decoder and the BCD clock. Built by Tests/Fuzz/build.sh.
//
// The first input byte picks the mode (top two bits) and the command (low bits):
//   0  raw:        the rest is a command header, then the bytes "received" for it
//   1  synthetic:  the rest builds noise (no 0x55/0xAA), the request's echo, a valid reply frame
//                  and trailing bytes; the parser must find exactly that reply
//   2  archive:    the rest, padded with 0xFF, is a 384-byte archive record
//   3  clock:      the rest are T2K clock bytes and archive stamps
import TEMProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    var input = Input(Array(UnsafeBufferPointer(start: data, count: size)))
    let selector = input.byte()
    switch selector >> 6 {
    case 0: checkRaw(command: input.command(selector), address: input.byte(), received: input.rest())
    case 1: checkSynthetic(command: input.command(selector), address: input.byte(), &input)
    case 2: checkArchive(input.rest())
    default: checkClock(input.rest())
    }
    return 0
}

/// Stops the run with a message libFuzzer keeps next to the crashing input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// Reads the fuzzer's bytes front to back; past the end every byte is 0.
struct Input {
    private let bytes: [UInt8]
    private var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        defer { position += 1 }
        return position < bytes.count ? bytes[position] : 0
    }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return position < bytes.count ? Array(bytes[position...]) : []
    }

    /// One of the three commands, with any address and any length (the parser takes every
    /// `Command` value, not only the 1...64 lengths the planner asks for).
    mutating func command(_ selector: UInt8) -> Command {
        switch selector & 0x3F % 3 {
        case 0: .identify
        case 1: .readT2K(address: UInt16(byte()) << 8 | UInt16(byte()), length: byte())
        default: .readFlash(address: bytes(4).reduce(0) { $0 << 8 | UInt32($1) }, length: byte())
        }
    }
}

/// Whatever arrives: the parser never traps; a reply is one well-formed frame; `needMore` names a
/// prefix that is truly noise; and the result does not depend on how the bytes were split.
func checkRaw(command: Command, address: UInt8, received: [UInt8]) {
    let parser = ReplyParser(command: command, address: address)
    let result: ReplyParser.Result
    do throws(ReplyError) {
        result = try parser.parse(received)
    } catch {
        // A frame-level error is about bytes already received: more arriving cannot change it.
        do throws(ReplyError) {
            let later = try parser.parse(received + [0xAA, address, ~address])
            require(false, "error \(error) became \(later) once more bytes arrived")
        } catch let later {
            require(later == error, "error \(error) became \(later) once more bytes arrived")
        }
        return
    }
    switch result {
    case let .needMore(skippable):
        require((0...received.count).contains(skippable), "skippable \(skippable) outside 0...\(received.count)")
        // The skippable bytes are noise: dropping them leaves nothing else to skip.
        let again = try? parser.parse(Array(received[skippable...]))
        require(
            again == .needMore(skippable: 0),
            "after dropping \(skippable) skippable bytes the parser says \(String(describing: again))")
    case let .reply(replyData, consumed):
        checkReply(parser, replyData, consumed, in: received)
    }
}

func checkReply(_ parser: ReplyParser, _ replyData: [UInt8], _ consumed: Int, in received: [UInt8]) {
    let command = parser.command
    require(
        replyData.count == command.replyLength, "\(replyData.count) data bytes for \(command), expected \(command.replyLength)")
    let frameSize = FrameLayout.overhead + replyData.count
    require(consumed >= frameSize && consumed <= received.count, "consumed \(consumed) of \(received.count), frame \(frameSize)")
    let frame = Array(received[(consumed - frameSize)..<consumed])
    require(
        frame == Frame.reply(to: command, from: parser.address, data: replyData).bytes,
        "consumed frame \(hexDump(frame)) is not the reply of \(command) from \(parser.address) with that data")
    require(Checksum.compute(frame.dropLast()) == frame.last, "frame \(hexDump(frame)) does not re-checksum")
    // The framer contract: the same reply from exactly the consumed bytes, and "need more"
    // (never an error or another reply) from the stream cut one byte short.
    let exact = try? parser.parse(Array(received[..<consumed]))
    require(exact == .reply(data: replyData, consumed: consumed), "the consumed bytes alone give \(String(describing: exact))")
    let short = try? parser.parse(Array(received[..<(consumed - 1)]))
    if case .needMore = short {
    } else {
        require(false, "one byte short of the reply the parser says \(String(describing: short))")
    }
}

/// Noise without start bytes, optionally the echo of the request, a valid reply, trailing bytes:
/// the parser must return exactly that reply, consuming exactly up to its checksum.
func checkSynthetic(command: Command, address: UInt8, _ input: inout Input) {
    let flags = input.byte()
    let noise = input.bytes(Int(flags & 0x1F)).map { $0 == 0x55 || $0 == 0xAA ? $0 ^ 0x01 : $0 }
    let echo = flags & 0x20 != 0 ? Frame.request(command, to: address).bytes : []
    let replyData = input.bytes(command.replyLength)
    let frame = Frame.reply(to: command, from: address, data: replyData).bytes
    let prefix = noise + echo
    let received = prefix + frame + input.rest()
    let result: ReplyParser.Result
    do {
        result = try ReplyParser(command: command, address: address).parse(received)
    } catch {
        require(false, "valid reply \(hexDump(frame)) after \(hexDump(prefix)) rejected: \(error)")
        return
    }
    require(
        result == .reply(data: replyData, consumed: prefix.count + frame.count),
        "valid reply \(hexDump(frame)) after \(hexDump(prefix)) read as \(result)")
    checkRaw(command: command, address: address, received: received)
    // Cut anywhere, the bytes received so far give "need more" before the reply is complete
    // and the same reply after; never an error.
    let cut = Int(flags) * (received.count + 1) / 256
    let first = try? ReplyParser(command: command, address: address).parse(Array(received[..<cut]))
    switch first {
    case .needMore where cut < prefix.count + frame.count: break
    case result where cut >= prefix.count + frame.count: break
    default: require(false, "first \(cut) bytes of \(hexDump(received)) read as \(String(describing: first))")
    }
}

/// Any 384 bytes decode or throw `Empty` (never written); a decoded record's stamps are valid
/// dates or named in `damage` (the record kept, issue 19), and its `time` is its written stamp's.
func checkArchive(_ rest: [UInt8]) {
    let bytes = Array((rest + Array(repeating: 0xFF, count: ArchiveRecord.size)).prefix(ArchiveRecord.size))
    do throws(ArchiveRecord.Empty) {
        let record = try ArchiveRecord(bytes: bytes)
        for (clock, field) in [(record.written, ArchiveRecordLayout.Field.ID.written), (record.period, .period)] {
            let damaged = record.damage.contains { $0.field == field }
            if let clock {
                require(clock.isValid && !damaged, "\(field) stamp both a date and damaged")
            } else {
                require(damaged, "\(field) stamp missing without damage")
            }
        }
        for damage in record.damage {
            require(damage.stamp.count == 4, "stamp of \(damage.stamp.count) bytes")
            let clock = MeterClock(archiveStamp: damage.stamp)
            require(clock == nil || !clock!.isValid, "stamp \(hexDump(damage.stamp)) is a valid date")
        }
        require(record.errors == Array(bytes[ArchiveRecord.Offset.errors..<(ArchiveRecord.Offset.errors + 6)]), "errors bytes")
        if let written = record.written {
            require(record.values["time"] == Double(written.unixSeconds!), "time value")
        }
        for n in 1...6 { _ = ArchiveRecord.errorWords(record.errors[n - 1]) }
    } catch {
        switch error {
        case .neverWritten:
            require(bytes.allSatisfy { $0 == 0xFF }, "neverWritten for a written slot")
        }
    }
}

/// BCD clocks: a valid one converts to Unix time and back unchanged, and its bytes round-trip.
func checkClock(_ rest: [UInt8]) {
    let t2k = Array(rest.prefix(6)), stamp = Array(rest.dropFirst(6).prefix(4))
    if let clock = MeterClock(t2k: t2k) {
        require(clock.t2kBytes == t2k, "T2K bytes \(hexDump(t2k)) re-encode as \(hexDump(clock.t2kBytes))")
        roundTrip(clock)
    }
    if let clock = MeterClock(archiveStamp: stamp) {
        require(clock.archiveStampBytes == stamp, "stamp \(hexDump(stamp)) re-encodes as \(hexDump(clock.archiveStampBytes))")
        roundTrip(clock)
    }
    // Any Unix time (± a few thousand years) is a valid clock that converts back.
    if rest.count >= 16 {
        let seconds = rest[10..<16].reduce(0) { $0 << 8 | Int($1) } - (1 << 47)
        let clock = MeterClock(unixSeconds: seconds)
        require(
            clock.isValid && clock.unixSeconds == seconds, "unix \(seconds) → \(clock) → \(String(describing: clock.unixSeconds))"
        )
    }
}

func roundTrip(_ clock: MeterClock) {
    guard let seconds = clock.unixSeconds else {
        require(!clock.isValid, "valid clock \(clock) without Unix time")
        return
    }
    require(MeterClock(unixSeconds: seconds) == clock, "\(clock) → \(seconds) → \(MeterClock(unixSeconds: seconds))")
}
