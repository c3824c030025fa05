import Foundation
import Mapping
import Testing

/// Bad mapping files, each beside `NAME.expected`: the exact `FILE:LINE:COL: message` lines
/// `check` prints for it, FILE being the corpus file's name.
@Suite struct CorpusTests {
    static let directory = Bundle.module.url(forResource: "Corpus", withExtension: nil)!

    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func corpusIsComplete() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
        let yaml = Set(names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) })
        let expected = Set(names.filter { $0.hasSuffix(".expected") }.map { String($0.dropLast(9)) })
        #expect(yaml == expected)
        #expect(yaml.count >= 25)
    }

    @Test(arguments: files)
    func reportsExactly(file: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
        let expectedURL = Self.directory.appendingPathComponent(String(file.dropLast(5)) + ".expected")
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        do {
            _ = try MappingParser.parse(yaml: text, file: file)
            Issue.record("\(file) parsed without problems")
        } catch {
            let actual = error.problems.map(\.description)
            #expect(actual == expected)
        }
    }
}
