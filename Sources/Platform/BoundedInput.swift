import Glibc

// The one way tembridge reads input that ends at a delimiter or at the end of a file: never more
// than a stated limit, so an endless stream (`< /dev/zero`, a FIFO, a file that keeps growing)
// costs a bounded buffer and one line of error instead of the machine's memory.

/// Why `readFile(atPath:limit:)` returned no contents: one phrase that follows `PATH: cannot
/// read: ` in a message.
public enum FileReadFailure: Error, Equatable, CustomStringConvertible {
    case noSuchFile
    case isDirectory
    case permissionDenied
    /// More than `limit` bytes (a device or FIFO that never ends counts as larger).
    case tooLarge(limit: Int)
    case failed(Errno)
    /// Read whole, but not UTF-8 text (`readTextFile` only).
    case notText

    public var description: String {
        switch self {
        case .noSuchFile: "no such file"
        case .isDirectory: "is a directory"
        case .permissionDenied: "permission denied"
        case let .tooLarge(limit): "larger than \(byteCount(limit)) (is it the right file?)"
        case let .failed(errno): errno.message
        case .notText: "not UTF-8 text"
        }
    }
}

/// The whole contents of the file at `path`, or why not: a regular file larger than `limit` is
/// refused before it is read, anything else (a device, a FIFO) is read until its end or until
/// `limit` bytes were exceeded, whichever comes first.
public func readFile(atPath path: String, limit: Int) -> Result<[UInt8], FileReadFailure> {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
        let code = errno
        switch code {
        case ENOENT, ENOTDIR: return .failure(.noSuchFile)
        case EACCES, EPERM: return .failure(.permissionDenied)
        default: return .failure(.failed(Errno(rawValue: code)))
        }
    }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else { return .failure(.failed(.current)) }
    switch status.st_mode & S_IFMT {
    case S_IFDIR: return .failure(.isDirectory)
    case S_IFREG where Int(status.st_size) > limit: return .failure(.tooLarge(limit: limit))
    default: break
    }
    // Blocking from here on: a FIFO waits for its writer like `cat` would.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n == 0 { return .success(contents) }
        if n < 0 {
            if errno == EINTR { continue }
            return .failure(errno == EISDIR ? .isDirectory : .failed(.current))
        }
        guard contents.count + n <= limit else { return .failure(.tooLarge(limit: limit)) }
        contents += chunk[..<n]
    }
}

/// The file at `path` as UTF-8 text, read as `readFile(atPath:limit:)` reads it.
public func readTextFile(atPath path: String, limit: Int) -> Result<String, FileReadFailure> {
    readFile(atPath: path, limit: limit).flatMap { bytes in
        String(validating: bytes, as: UTF8.self).map { .success($0) } ?? .failure(.notText)
    }
}

/// Lines read from a descriptor (stdin of `simulate`), none longer than a limit: a longer line
/// is answered once with `.tooLong` and the rest of it is skipped, up to the next newline,
/// without being kept. The buffer never holds more than `limit` bytes plus one read.
public struct LineReader {
    /// One line of input.
    public enum Line: Equatable, Sendable {
        /// A line without its newline (and without a trailing carriage return).
        case text(String)
        /// A line longer than `limit` bytes, skipped.
        case tooLong(limit: Int)
    }

    private let descriptor: Int32
    public let limit: Int
    private var buffer: [UInt8] = []
    private var skipping = false
    private var ended = false

    /// The bytes the reader has room for now: at most about `limit` plus one read, however long
    /// a line the input sends (what keeps `simulate < /dev/zero` small).
    public var bufferCapacity: Int { buffer.capacity }

    /// Reads `descriptor` (blocking) in lines of at most `limit` bytes.
    public init(descriptor: Int32, limit: Int) {
        self.descriptor = descriptor
        self.limit = limit
    }

    /// The next line; nil at the end of the input (a last line without newline is returned first)
    /// or when reading fails.
    public mutating func next() -> Line? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if skipping {
                    skipping = false
                    continue
                }
                return line.count > limit ? .tooLong(limit: limit) : .text(Self.text(line))
            }
            if buffer.count > limit || (skipping && !buffer.isEmpty) {
                buffer.removeAll(keepingCapacity: true)
                if !skipping {
                    skipping = true
                    return .tooLong(limit: limit)
                }
            }
            if ended {
                guard !buffer.isEmpty, !skipping else { return nil }
                defer { buffer.removeAll() }
                return .text(Self.text(buffer))
            }
            let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                ended = true
            } else {
                buffer += chunk[..<n]
            }
        }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}

/// `bytes` as a person reads a limit: `16 MiB`, `4 KiB`, `300 bytes`.
func byteCount(_ bytes: Int) -> String {
    if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) bytes"
}
