import Foundation
import Glibc
import Platform
import Testing

@Suite struct BoundedInputTests {
    @Test func readsAWholeFileWithinItsLimit() throws {
        let path = try temporaryPath()
        try Data("a: 1\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(readFile(atPath: path, limit: 5) == .success(Array("a: 1\n".utf8)))
        #expect(readTextFile(atPath: path, limit: 5) == .success("a: 1\n"))
        #expect(readFile(atPath: path, limit: 4) == .failure(.tooLarge(limit: 4)))
    }

    @Test func saysWhyAFileCannotBeRead() throws {
        #expect(readFile(atPath: "/nonexistent/x", limit: 10) == .failure(.noSuchFile))
        #expect(readFile(atPath: "/tmp", limit: 10) == .failure(.isDirectory))
        let binary = try temporaryPath()
        try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
        #expect(readTextFile(atPath: binary, limit: 10) == .failure(.notText))
        #expect(FileReadFailure.tooLarge(limit: 16 << 20).description == "larger than 16 MiB (is it the right file?)")
    }

    /// A device that never ends is read only to its limit: memory stays flat.
    @Test func anEndlessDeviceIsRefusedAtTheLimit() {
        let before = residentKiB()
        #expect(readFile(atPath: "/dev/zero", limit: 4 << 20) == .failure(.tooLarge(limit: 4 << 20)))
        #expect(residentKiB() - before < 32 * 1024)
    }

    @Test func splitsLinesAndDropsCarriageReturns() throws {
        var reader = try LineReader(descriptor: pipeFed(Array("status\r\n\nfault none\nlast".utf8)), limit: 16)
        #expect(reader.next() == .text("status"))
        #expect(reader.next() == .text(""))
        #expect(reader.next() == .text("fault none"))
        #expect(reader.next() == .text("last"))
        #expect(reader.next() == nil)
    }

    /// A line of 64 MiB without a newline is reported once, skipped without being kept, and
    /// the next line is read as usual.
    @Test func anOverlongLineIsReportedOnceAndSkipped() throws {
        let fd = try pipeFed(
            chunks: 1024, of: [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024), then: Array("\nstatus\n".utf8))
        var reader = LineReader(descriptor: fd, limit: 1024)
        #expect(reader.next() == .tooLong(limit: 1024))
        #expect(reader.next() == .text("status"))
        #expect(reader.next() == nil)
        // The reader's own buffer, not the process's resident memory (other tests run beside
        // this one): never more than the limit and a read or two, for a 64 MiB line.
        #expect(reader.bufferCapacity < 16 * 1024, "\(reader.bufferCapacity) bytes buffered")
        // Exactly at the limit is fine; one byte more is not.
        var edge = try LineReader(
            descriptor: pipeFed(
                Array((String(repeating: "y", count: 8) + "\n" + String(repeating: "z", count: 9) + "\nok\n").utf8)),
            limit: 8)
        #expect(edge.next() == .text("yyyyyyyy"))
        #expect(edge.next() == .tooLong(limit: 8))
        #expect(edge.next() == .text("ok"))
        #expect(edge.next() == nil)
    }
}

private func temporaryPath() throws -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-bounded-\(UUID().uuidString)").path
}

/// The read end of a pipe that a thread fills with `bytes` and then closes.
private func pipeFed(_ bytes: [UInt8]) throws -> Int32 {
    try pipeFed(chunks: 1, of: bytes, then: [])
}

/// The read end of a pipe that a thread fills with `count` times `chunk`, then `tail`, then closes.
private func pipeFed(chunks count: Int, of chunk: [UInt8], then tail: [UInt8]) throws -> Int32 {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
    let writeEnd = ends[1]
    let thread = Thread {
        for _ in 0..<count { _ = writeAll(writeEnd, chunk, socket: false, stallLimit: .seconds(30)) }
        _ = writeAll(writeEnd, tail, socket: false, stallLimit: .seconds(30))
        close(writeEnd)
    }
    thread.start()
    return ends[0]
}

/// This process's resident memory (VmRSS) in KiB.
private func residentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
    }
    return 0
}
