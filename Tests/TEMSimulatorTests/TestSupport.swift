import Glibc
import TEMProtocol

@testable import TEMSimulator

/// Options of a frozen line (fixed start 2024-03-01T10:30:00 unless `start` is given): exactly
/// repeatable values.
func frozenOptions(
    seed: UInt64 = 1, history: Int = 48, flash: FlashLayout = .kib512, rate: Double = 1,
    addresses: [UInt8] = [1, 2]
) -> SimulatorOptions {
    var o = SimulatorOptions()
    o.frozen = true
    o.seed = seed
    o.historyHours = history
    o.flash = flash
    o.integratorRate = rate
    o.addresses = addresses
    return o
}

/// Every T2K value of the catalog decoded from a full image.
func decode(_ t2k: [UInt8]) -> [String: Double] {
    var image = T2KImage()
    image.store(t2k, at: 0)
    var values: [String: Double] = [:]
    for definition in ValueCatalog.all where definition.isFromT2K {
        values[definition.name] = image.value(of: definition)
    }
    return values
}

/// The request bytes of `command` to `address`.
func request(_ command: Command, to address: UInt8 = 1) -> [UInt8] {
    Frame.request(command, to: address).bytes
}

/// The reply data in `bytes` for `command`, parsed as the bridge will.
func replyData(_ bytes: [UInt8], for command: Command, from address: UInt8 = 1) throws -> [UInt8]? {
    if case let .reply(data, _) = try ReplyParser(command: command, address: address).parse(bytes) { return data }
    return nil
}

/// The archive record of `kind` at ring index `index`, decoded (throws for an empty slot).
func record(_ meter: SimulatedMeter, _ kind: ArchiveKind, _ index: Int) throws -> ArchiveRecord {
    let address = meter.flashLayout.area(kind).address(ofRecord: index)
    return try ArchiveRecord(bytes: meter.flash(at: address, count: ArchiveRecord.size)!)
}

/// The ring pointers as the bridge reads them from T2K.
func pointers(_ meter: SimulatedMeter) -> ArchivePointers {
    var image = T2KImage()
    image.store(meter.t2k(), at: 0)
    return ArchivePointers(image: image)!
}

/// Reads from `fd` until `count` bytes arrived or `timeout` passed.
func readBytes(_ fd: Int32, count: Int, timeout: Duration) -> [UInt8] {
    var out: [UInt8] = []
    let deadline = ContinuousClock.now + timeout
    while out.count < count {
        let left = deadline - .now
        guard left > .zero else { break }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard
            poll(&pfd, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))) > 0
        else { break }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { break }
        out += buffer[..<n]
    }
    return out
}
