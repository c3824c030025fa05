import Foundation
import Testing

/// `tembridge check --mapping` on bad files of the mapping corpus (Tests/MappingTests/Corpus):
/// the binary prints exactly the `.expected` lines, nothing else, and exits 1.
@Suite struct CheckCorpusEndToEndTests {
    static let corpus = repositoryRoot.appendingPathComponent("Tests/MappingTests/Corpus")

    @Test(arguments: [
        "syntax-error", "syntax-error-flow", "tab-indentation", "unterminated-quote", "wrong-types",
        "wrong-types-keys", "unknown-keys", "overlap", "durations", "empty", "rtu-ports",
    ])
    func checkPrintsExactlyTheExpectedLines(name: String) throws {
        // Run from the corpus directory so FILE in `FILE:LINE:COL` is the bare name, as in `.expected`.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["check", "--mapping", name + ".yaml"]
        p.currentDirectoryURL = Self.corpus
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: killer)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        killer.cancel()
        let expected = try String(contentsOf: Self.corpus.appendingPathComponent(name + ".expected"), encoding: .utf8)
        #expect(p.terminationStatus == 1)
        #expect(stdout == expected, "stderr: \(stderr)")
        #expect(stderr.isEmpty)
    }
}
