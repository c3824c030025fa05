import TEMLink
import TEMProtocol

/// Reads archive records over a meter exchange: a 384-byte record is six 64-byte Flash reads.
public struct ArchiveReader {
    public let client: MeterClient
    public let address: UInt8

    public init(client: MeterClient, address: UInt8) {
        self.client = client
        self.address = address
    }

    /// Reads `FLASH_TYPE` and the record pointers.
    public func pointers() throws(ExchangeError) -> ArchivePointers? {
        var image = T2KImage()
        for read in ReadPlanner.plan(ArchivePointers.t2kRanges).reads {
            guard case let .readT2K(at, length) = read else { continue }
            image.store(try client.readT2K(address: address, at: at, length: Int(length)), at: at)
        }
        return ArchivePointers(image: image)
    }

    /// The raw bytes of record `index` of `area`.
    public func recordBytes(in area: FlashLayout.Area, index: Int) throws(ExchangeError) -> [UInt8] {
        let start = area.address(ofRecord: index)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ArchiveRecord.size)
        for offset in stride(from: 0, to: ArchiveRecord.size, by: Command.maxReadLength) {
            bytes += try client.readFlash(address: address, at: start + UInt32(offset), length: Command.maxReadLength)
        }
        return bytes
    }
}
