import TEMProtocol

/// One meter on a `MeterClient`'s line, by its network address: what code that talks to a
/// single meter (the archive reader, a dump capture) holds, so that its reads name the meter
/// once. The reads are the client's, with the same errors.
public struct AddressedMeter {
    public let client: MeterClient
    /// The meter's network address.
    public let address: UInt8

    public init(client: MeterClient, address: UInt8) {
        self.client = client
        self.address = address
    }

    /// The reply payload of `command` (see `MeterClient.perform`).
    public func perform(_ command: Command) throws(ExchangeError) -> [UInt8] {
        try client.perform(command, address: address)
    }

    /// The image the reads of `plan` fill (see `MeterClient.read`).
    public func read(_ plan: ReadPlan) throws(ExchangeError) -> T2KImage {
        try client.read(plan, address: address)
    }

    /// `length` bytes of Flash from `start` (see `MeterClient.readFlash`).
    public func readFlash(at start: UInt32, length: Int) throws(ExchangeError) -> [UInt8] {
        try client.readFlash(address: address, at: start, length: length)
    }
}
