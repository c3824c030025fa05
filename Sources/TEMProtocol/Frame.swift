/// Byte offsets of the fields of a TEM-106 frame (request and reply share the layout).
///
/// | 0 | 1 | 2 | 3 | 4 | 5 | 6 ..< 6+LEN | 6+LEN |
/// | start | ADDR | NOT ADDR | CGRP | CMD | LEN | data | CS |
public enum FrameLayout {
    public static let start = 0
    public static let address = 1
    public static let addressComplement = 2
    public static let group = 3
    public static let command = 4
    public static let length = 5
    public static let data = 6
    /// Header bytes before the data.
    public static let headerSize = 6
    /// Header plus checksum: a frame is `overhead + LEN` bytes.
    public static let overhead = 7

    /// The first byte of a request (master → meter).
    public static let requestStart: UInt8 = 0x55
    /// The first byte of a reply (meter → master).
    public static let replyStart: UInt8 = 0xAA
}

/// One frame as it travels on the line: request (`0x55 …`) or reply (`0xAA …`).
public struct Frame: Sendable, Hashable {
    public var start: UInt8
    public var address: UInt8
    public var group: UInt8
    public var command: UInt8
    public var data: [UInt8]

    public init(start: UInt8, address: UInt8, group: UInt8, command: UInt8, data: [UInt8]) {
        self.start = start
        self.address = address
        self.group = group
        self.command = command
        self.data = data
    }

    /// The request frame that sends `command` to the meter at `address`.
    public static func request(_ command: Command, to address: UInt8) -> Frame {
        Frame(
            start: FrameLayout.requestStart, address: address, group: command.group,
            command: command.code, data: command.requestData)
    }

    /// The reply frame a meter at `address` sends for `command` with `data`.
    public static func reply(to command: Command, from address: UInt8, data: [UInt8]) -> Frame {
        Frame(
            start: FrameLayout.replyStart, address: address, group: command.group,
            command: command.code, data: data)
    }

    /// The frame's bytes, checksum included.
    public var bytes: [UInt8] {
        precondition(data.count <= 255, "frame data longer than LEN can say")
        var out: [UInt8] = [start, address, ~address, group, command, UInt8(data.count)]
        out.reserveCapacity(FrameLayout.overhead + data.count)
        out += data
        out.append(Checksum.compute(out))
        return out
    }
}
