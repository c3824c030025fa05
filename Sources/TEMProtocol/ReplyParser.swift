/// Why bytes received for a request are not a valid reply.
public enum ReplyError: Error, Sendable, Hashable, CustomStringConvertible {
    case checksum(expected: UInt8, got: UInt8)
    case addressMismatch(expected: UInt8, got: UInt8)
    case commandMismatch(expected: Command, group: UInt8, command: UInt8)
    case wrongLength(expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .checksum(expected, got):
            "bad checksum: expected \(hex(expected, width: 2)), got \(hex(got, width: 2))"
        case let .addressMismatch(expected, got):
            "reply from address \(got), expected \(expected)"
        case let .commandMismatch(expected, group, command):
            "reply to command \(hex(group, width: 2)) \(hex(command, width: 2)), expected \(expected)"
        case let .wrongLength(expected, got):
            "reply carries \(got) data bytes, expected \(expected)"
        }
    }
}

/// Finds and validates the reply to one request in the bytes received so far. Pure: no I/O.
///
/// It resynchronises: bytes before a plausible reply header (`0xAA`, ADDR, NOT ADDR) are
/// noise and skipped, and the request itself, echoed back by an RS-485 adapter, is skipped.
public struct ReplyParser: Sendable {
    public let command: Command
    public let address: UInt8
    /// The request's bytes, to recognise its echo.
    public let request: [UInt8]

    public init(command: Command, address: UInt8) {
        self.command = command
        self.address = address
        self.request = Frame.request(command, to: address).bytes
    }

    /// What the received bytes amount to.
    public enum Result: Sendable, Hashable {
        /// More bytes are needed; `skippable` leading bytes are known not to start the reply.
        case needMore(skippable: Int)
        /// A valid reply; `consumed` bytes (noise, echo and the frame) were used.
        case reply(data: [UInt8], consumed: Int)
    }

    /// Parses `bytes`. Returns `.needMore` when the reply is not complete yet and throws
    /// `ReplyError` when a reply header was found but the frame is invalid.
    public func parse(_ bytes: [UInt8]) throws(ReplyError) -> Result {
        var i = 0
        while i < bytes.count {
            // The echo of our own request: skip it whole (it may contain 0xAA in its data).
            if bytes[i] == FrameLayout.requestStart {
                let available = min(request.count, bytes.count - i)
                if bytes[i..<(i + available)].elementsEqual(request[0..<available]) {
                    if available < request.count { return .needMore(skippable: i) }
                    i += request.count
                    continue
                }
            }
            guard bytes[i] == FrameLayout.replyStart else { i += 1; continue }
            let header = bytes[i...]
            guard header.count >= FrameLayout.headerSize else { return .needMore(skippable: i) }
            let addr = header[i + FrameLayout.address]
            // ADDR and NOT ADDR disagree: this 0xAA is noise, not a frame start.
            guard addr == ~header[i + FrameLayout.addressComplement] else { i += 1; continue }
            // A stray 0xAA before a reply from address 0x55 reads `AA AA 55 AA`: a header from
            // 0xAA in appearance, while the true header (`AA 55 AA`) starts one byte later.
            if addr == FrameLayout.replyStart, ~addr == address, header[i + FrameLayout.group] == ~address {
                i += 1
                continue
            }
            guard addr == address else { throw .addressMismatch(expected: address, got: addr) }
            let group = header[i + FrameLayout.group], code = header[i + FrameLayout.command]
            guard group == command.group, code == command.code else {
                throw .commandMismatch(expected: command, group: group, command: code)
            }
            let length = Int(header[i + FrameLayout.length])
            guard length == command.replyLength else {
                throw .wrongLength(expected: command.replyLength, got: length)
            }
            let frameSize = FrameLayout.overhead + length
            guard header.count >= frameSize else { return .needMore(skippable: i) }
            let expected = Checksum.compute(bytes[i..<(i + frameSize - 1)])
            let got = bytes[i + frameSize - 1]
            guard expected == got else { throw .checksum(expected: expected, got: got) }
            let dataStart = i + FrameLayout.data
            return .reply(data: Array(bytes[dataStart..<(dataStart + length)]), consumed: i + frameSize)
        }
        return .needMore(skippable: bytes.count)
    }
}
