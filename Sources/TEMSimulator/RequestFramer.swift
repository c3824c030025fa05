import Platform
import TEMProtocol

/// Cuts the bytes a master writes into request frames, as a meter's receiver does: bytes before a
/// `0x55` whose ADDR and NOT ADDR agree are skipped, and a frame left incomplete for longer than
/// the seed's 0.5 s inter-byte gap is dropped. Pure apart from the instants it is given.
public struct RequestFramer: Sendable {
    /// The longest pause allowed between two bytes of one frame (seed §2).
    public static let interByteGap: Duration = .milliseconds(500)
    /// The longest LEN the seed allows in a request (0x40).
    static let maxRequestLength = 0x40

    private var buffer: [UInt8] = []
    private var lastByte: MonotonicClock.Instant?

    public init() {}

    /// Adds bytes received at `now` and returns the complete frames they finish (checksums not
    /// checked here: `MeterLine.respond` ignores a frame whose checksum is wrong).
    public mutating func append(_ bytes: [UInt8], at now: MonotonicClock.Instant = .now) -> [[UInt8]] {
        if let last = lastByte, now - last > Self.interByteGap { buffer.removeAll() }
        if !bytes.isEmpty { lastByte = now }
        buffer += bytes
        var frames: [[UInt8]] = []
        while true {
            if let start = buffer.firstIndex(of: FrameLayout.requestStart) {
                buffer.removeFirst(start)
            } else {
                buffer.removeAll()
            }
            guard buffer.count >= FrameLayout.headerSize else { break }
            let length = Int(buffer[FrameLayout.length])
            guard buffer[FrameLayout.address] == ~buffer[FrameLayout.addressComplement], length <= Self.maxRequestLength else {
                buffer.removeFirst()
                continue
            }
            let size = FrameLayout.overhead + length
            guard buffer.count >= size else { break }
            frames.append(Array(buffer[..<size]))
            buffer.removeFirst(size)
        }
        return frames
    }
}

/// A request frame read back: the address it names and, if it is one of the three commands with
/// the right LEN, the command.
struct DecodedRequest: Sendable, Hashable {
    var address: UInt8
    var command: Command?

    /// Nil unless `frame` is one well-formed request: `0x55`, ADDR/NOT ADDR agreeing, LEN matching
    /// the frame's size and a right checksum.
    init?(_ frame: [UInt8]) {
        typealias L = FrameLayout
        guard frame.count >= L.overhead, frame[L.start] == L.requestStart,
            frame[L.address] == ~frame[L.addressComplement],
            frame.count == L.overhead + Int(frame[L.length]),
            Checksum.compute(frame.dropLast()) == frame.last
        else { return nil }
        address = frame[L.address]
        let data = Array(frame[L.data..<(frame.count - 1)])
        switch (frame[L.group], frame[L.command], data.count) {
        case (0x00, 0x00, 0):
            command = .identify
        case (0x0F, 0x01, 3):
            command = .readT2K(address: UInt16(data[0]) << 8 | UInt16(data[1]), length: data[2])
        case (0x0F, 0x03, 5):
            command = .readFlash(address: BigEndian.uint32(data[1...], at: 1), length: data[0])
        default:
            command = nil
        }
    }
}
