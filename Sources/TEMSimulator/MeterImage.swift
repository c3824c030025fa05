import MeterDump
import TEMProtocol

/// A `tembridge dump` file served by a `sim://?image=FILE` line: the dumped meter, frozen as
/// captured. It answers identify, T2K and Flash reads from the dump; where the dump holds no
/// bytes (not read, unread, another address) it stays silent, as the meter did.
public struct MeterImage: Sendable, Hashable {
    /// The file, as given.
    public let path: String
    public let dump: MeterDump

    /// Reads the dump at `path`.
    public init(path: String) throws(MeterDumpError) {
        self.path = path
        dump = try MeterDump(path: path)
    }

    /// The reply data for `command` to `address`, or nil for silence.
    public func reply(to command: Command, address: UInt8) -> [UInt8]? { dump.reply(to: command, address: address) }
}
