// The MeterDump module owns the `tembridge dump` file: its format (versioned JSON with one hex
// line per 64-byte block, docs/DUMP.md), reading and writing it, capturing one over a
// `MeterClient`, and answering requests from it as the frozen meter would. It must not import
// the Modbus server, the mapping, the bridge or the simulator.
import Foundation
import JSONOutput
import Platform
import TEMProtocol

/// A snapshot of one meter's memory as `tembridge dump` captured it: the identify reply, the
/// whole T2K area and, with `--flash`, the whole Flash (else the newest record of each archive
/// kind). Bytes the meter did not give are absent: never zero-filled.
public struct MeterDump: Sendable, Hashable {
    /// The format name in the file's `format` field.
    public static let formatName = "tembridge-dump"
    /// The format version this code writes and reads.
    public static let version = 1
    /// Bytes per line of the file, and per read.
    public static let blockSize = Command.maxReadLength

    /// Where it was captured (an endpoint as typed) and the meter's network address.
    public var endpoint: String
    public var address: UInt8
    /// When, host UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    public var captured: String
    /// The identify reply's data bytes; nil if the meter did not answer it.
    public var identify: [UInt8]?
    /// T2K blocks by start address (0x0000, 0x0040, …); a block the meter did not answer is absent.
    public var t2k: [UInt32: [UInt8]] = [:]
    /// T2K blocks asked for and not answered after the retries.
    public var t2kUnread: Set<UInt32> = []
    /// Flash size in bytes from `FLASH_TYPE`, if known.
    public var flashSize: Int?
    /// Flash blocks read, by start address.
    public var flash: [UInt32: [UInt8]] = [:]
    /// Flash blocks asked for and not answered after the retries.
    public var flashUnread: Set<UInt32> = []
    /// True when the whole Flash was asked for (`--flash`).
    public var wholeFlash = false
    /// True when Ctrl-C stopped the capture: blocks not listed were never asked for.
    public var interrupted = false

    public init(endpoint: String, address: UInt8, captured: String) {
        self.endpoint = endpoint
        self.address = address
        self.captured = captured
    }

    // MARK: Answering as the meter

    /// The reply data the dumped meter gives to `command` sent to `address`, or nil where the
    /// dump holds no answer (another address, a byte not read, a length outside 1...64).
    public func reply(to command: Command, address: UInt8) -> [UInt8]? {
        guard address == self.address else { return nil }
        switch command {
        case .identify:
            return identify
        case let .readT2K(start, length):
            return Self.bytes(in: t2k, at: UInt32(start), length: Int(length))
        case let .readFlash(start, length):
            return Self.bytes(in: flash, at: start, length: Int(length))
        }
    }

    private static func bytes(in blocks: [UInt32: [UInt8]], at start: UInt32, length: Int) -> [UInt8]? {
        guard (1...Command.maxReadLength).contains(length) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var address = UInt64(start)
        let end = UInt64(start) + UInt64(length)
        while address < end {
            let base = UInt32(address - address % UInt64(blockSize))
            guard let block = blocks[base] else { return nil }
            let from = Int(address - UInt64(base))
            let to = min(block.count, from + Int(end - address))
            guard to > from else { return nil }
            out += block[from..<to]
            address += UInt64(to - from)
        }
        return out
    }

    // MARK: The file

    /// The file's text: JSON in the field order of docs/DUMP.md, one hex line per 64-byte block.
    public func encoded() -> String {
        func string(_ s: String?) -> String { s.map(JSONText.string) ?? "null" }
        func region(_ lines: [String], size: Int?, whole: Bool) -> String {
            let body = lines.map { "      \(JSONText.string($0))" }.joined(separator: ",\n")
            return """
                {
                    "size": \(size.map(String.init) ?? "null"),
                    "whole": \(whole),
                    "lines": [\(lines.isEmpty ? "" : "\n" + body + "\n    ")]
                  }
                """
        }
        let t2kLines = Self.lines(t2k, unread: t2kUnread, width: 4)
        let flashLines = Self.lines(flash, unread: flashUnread, width: 8)
        return """
            {
              "format": \(string(Self.formatName)),
              "version": \(Self.version),
              "captured": \(string(captured)),
              "endpoint": \(string(endpoint)),
              "address": \(address),
              "interrupted": \(interrupted),
              "identify": \(string(identify.map(hexDump))),
              "identity_text": \(string(identify.map(CP1251.decode))),
              "t2k": \(region(t2kLines, size: T2KMap.size, whole: true)),
              "flash": \(region(flashLines, size: flashSize, whole: wholeFlash))
            }

            """
    }

    /// Reads a dump file's text. Throws `MeterDumpError` naming what is wrong and where.
    public init(text: String) throws(MeterDumpError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(text.utf8)) } catch {
            throw MeterDumpError("not a tembridge dump (JSON with format, version, address, t2k): \(Self.describe(error))")
        }
        guard file.format == Self.formatName else {
            throw MeterDumpError("format is '\(file.format)', expected '\(Self.formatName)'")
        }
        guard file.version == Self.version else {
            throw MeterDumpError("format version \(file.version) is not supported (this tembridge reads version \(Self.version))")
        }
        guard let address = UInt8(exactly: file.address) else { throw MeterDumpError("address \(file.address) is not 0...255") }
        self.init(endpoint: file.endpoint, address: address, captured: file.captured)
        interrupted = file.interrupted ?? false
        if let text = file.identify {
            guard let bytes = parseHexDump(text) else { throw MeterDumpError("identify: '\(text)' is not hex bytes") }
            identify = bytes
        }
        (t2k, t2kUnread) = try Self.parse(file.t2k.lines, region: "t2k", limit: UInt64(T2KMap.size))
        if let flashRegion = file.flash {
            flashSize = flashRegion.size
            wholeFlash = flashRegion.whole
            (flash, flashUnread) = try Self.parse(
                flashRegion.lines, region: "flash", limit: UInt64(flashRegion.size ?? 0x1_0000_0000))
        }
    }

    /// The largest dump file read: a dump of a whole 1 MiB Flash is about 3 MB of text; anything
    /// longer, or a device that never ends, is refused in one line instead of filling memory.
    public static let maxFileSize = 16 << 20

    /// The dump in the file at `path`.
    public init(path: String) throws(MeterDumpError) {
        let data: [UInt8]
        switch readFile(atPath: path, limit: Self.maxFileSize) {
        case let .success(contents): data = contents
        case .failure(.noSuchFile): throw MeterDumpError("\(path): cannot read: no such file or directory")
        case let .failure(failure): throw MeterDumpError("\(path): cannot read: \(failure)")
        }
        do { try self.init(text: String(decoding: data, as: UTF8.self)) } catch {
            throw MeterDumpError("\(path): \(error.description)")
        }
    }

    /// Writes the dump to `path` through a temporary file renamed into place, so the file at
    /// `path` is always a whole dump.
    public func write(to path: String) throws(MeterDumpError) {
        let temporary = path + ".partial"
        do {
            try Data(encoded().utf8).write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw MeterDumpError("\(path): cannot write: \(Self.describe(error))")
        }
    }

    // MARK: Private

    private struct File: Codable {
        var format: String
        var version: Int
        var endpoint: String
        var address: Int
        var captured: String
        var interrupted: Bool?
        var identify: String?
        var identityText: String?
        var t2k: Region
        var flash: Region?

        enum CodingKeys: String, CodingKey {
            case format, version, endpoint, address, captured, interrupted, identify, t2k, flash
            case identityText = "identity_text"
        }
    }

    private struct Region: Codable {
        var size: Int?
        var whole: Bool
        var lines: [String]
    }

    private static func lines(_ blocks: [UInt32: [UInt8]], unread: Set<UInt32>, width: Int) -> [String] {
        let addresses = Set(blocks.keys).union(unread).sorted()
        return addresses.map { a in
            "\(hex(a, width: width)): " + (blocks[a].map(hexDump) ?? "unread")
        }
    }

    private static func parse(_ lines: [String], region: String, limit: UInt64) throws(MeterDumpError) -> (
        [UInt32: [UInt8]], Set<UInt32>
    ) {
        var blocks: [UInt32: [UInt8]] = [:]
        var unread: Set<UInt32> = []
        for (n, line) in lines.enumerated() {
            func fail(_ why: String) -> MeterDumpError { MeterDumpError("\(region) line \(n + 1) '\(line.prefix(40))': \(why)") }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let address = UInt32(parts[0], radix: 16) else {
                throw fail("expected ADDRESS: HEX or ADDRESS: unread")
            }
            guard address % UInt32(blockSize) == 0 else { throw fail("address is not a multiple of 64") }
            guard blocks[address] == nil, !unread.contains(address) else { throw fail("block listed twice") }
            let body = parts[1].trimmingCharacters(in: .whitespaces)
            if body == "unread" {
                unread.insert(address)
                continue
            }
            guard let bytes = parseHexDump(body), (1...blockSize).contains(bytes.count) else {
                throw fail("expected up to 64 hex bytes")
            }
            guard UInt64(address) + UInt64(bytes.count) <= limit else { throw fail("past the end of the area") }
            blocks[address] = bytes
        }
        return (blocks, unread)
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? DecodingError {
            switch e {
            case let .keyNotFound(key, _): return "missing '\(key.stringValue)'"
            case let .typeMismatch(_, c), let .valueNotFound(_, c):
                return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
            case .dataCorrupted: return "not valid JSON"
            @unknown default: return "\(e)"
            }
        }
        if let e = error as? CocoaError, let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return "\(error.localizedDescription)"
    }
}

/// A dump file that cannot be read or written, in one line.
public struct MeterDumpError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
