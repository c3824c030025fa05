import Foundation
import Platform
import TEMLink
import TEMProtocol

/// Captures a `MeterDump` over a meter exchange: identify, the whole T2K area in 64-byte reads,
/// then either the whole Flash (`wholeFlash`) or the newest record of each archive kind (what
/// the `comma` check and a bug report need). A block that fails after the client's retries is
/// marked unread and the capture goes on.
public struct DumpCapture {
    /// The meter dumped.
    public let meter: AddressedMeter

    public init(client: MeterClient, address: UInt8) {
        meter = AddressedMeter(client: client, address: address)
    }

    /// The T2K part of a capture: identify and the 32 blocks. Throws only when the meter answers
    /// neither identify nor the first block (nothing there to dump).
    public func captureT2K(endpoint: String) throws(ExchangeError) -> MeterDump {
        var dump = MeterDump(endpoint: endpoint, address: meter.address, captured: Self.utcNow())
        var firstFailure: ExchangeError?
        do { dump.identify = try meter.perform(.identify) } catch { firstFailure = error }
        for start in stride(from: 0, to: T2KMap.size, by: MeterDump.blockSize) {
            do {
                dump.t2k[UInt32(start)] = try meter.perform(.readT2K(address: UInt16(start), length: UInt8(MeterDump.blockSize)))
            } catch {
                if start == 0, let firstFailure { throw firstFailure }
                dump.t2kUnread.insert(UInt32(start))
            }
        }
        dump.flashSize = layout(of: dump).map { $0.kib * 1024 }
        return dump
    }

    /// The Flash blocks to read: the six blocks of the newest record of each kind (none if
    /// `FLASH_TYPE` or a pointer is unusable), then with `wholeFlash` the rest of Flash in
    /// address order, so that an interrupted dump still holds what `read` needs.
    public func flashBlocks(of dump: MeterDump, wholeFlash: Bool) -> [UInt32] {
        guard let layout = layout(of: dump) else { return [] }
        var image = T2KImage()
        for (start, bytes) in dump.t2k { image.store(bytes, at: UInt16(start)) }
        let newest =
            ArchivePointers(image: image).map { pointers in
                ArchiveKind.allCases.flatMap { kind -> [UInt32] in
                    guard let newest = pointers.newestIndex(kind) else { return [] }
                    let start = layout.area(kind).address(ofRecord: newest)
                    return stride(from: 0, to: ArchiveRecord.size, by: MeterDump.blockSize).map { start + UInt32($0) }
                }
            } ?? []
        guard wholeFlash else { return newest }
        let first = Set(newest)
        return newest
            + stride(from: 0, to: layout.kib * 1024, by: MeterDump.blockSize).map(UInt32.init).filter { !first.contains($0) }
    }

    /// Reads one Flash block into `dump` (unread when it fails after the retries).
    public func readFlash(block start: UInt32, into dump: inout MeterDump) {
        do {
            dump.flash[start] = try meter.perform(.readFlash(address: start, length: UInt8(MeterDump.blockSize)))
        } catch {
            dump.flashUnread.insert(start)
        }
    }

    private func layout(of dump: MeterDump) -> FlashLayout? {
        guard let block = dump.t2k[UInt32(T2KMap.flashType) / 64 * 64] else { return nil }
        let at = Int(T2KMap.flashType) % 64
        return FlashLayout(flashType: UInt16(block[at]) << 8 | UInt16(block[at + 1]))
    }

    static func utcNow() -> String { Timestamp.iso8601(seconds: WallClock.seconds()) }
}
