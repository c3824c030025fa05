import Config
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

    /// One meter whose register set `big` has `count` entries, line 5 onwards, `entry(i)` each.
    static func hugeMap(_ count: Int, entry: (Int) -> String) -> String {
        var yaml =
            "lines: [{ name: sim, endpoint: \"sim://\" }]\nmeters: [{ name: m, line: sim, address: 1, registers: big }]\n"
            + "register_sets:\n  big:\n"
        for i in 0..<count { yaml += "    - \(entry(i))\n" }
        return yaml
    }

    /// A huge bad file, generated here rather than committed: 20 000 register entries (about
    /// 1.7 MB), the first and the last of them wrong. Every problem is reported, first and last
    /// at their exact line and column.
    @Test func hugeFileReportsItsFirstAndLastProblem() {
        let count = 20_000
        let yaml = Self.hugeMap(count) { i in
            let type = i == 0 ? "uint17" : "uint16"
            let value = i == count - 1 ? "temprature.1" : "temperature.1"
            return "{ address: \(i), value: \(value), type: \(type), scale: 10, description: \"entry \(i)\" }"
        }
        #expect(yaml.utf8.count > 1_500_000)
        let problems = Self.problems(yaml)
        #expect(problems.count == 2)
        #expect(problems.first == "huge.yaml:5:49: unknown type 'uint17' (did you mean 'uint16'?)")
        #expect(problems.last == "huge.yaml:\(4 + count):32: unknown value 'temprature.1' (did you mean 'temperature.1'?)")
    }

    /// The same size with a YAML syntax error on its very last line (a tab in the indentation):
    /// one problem, at that line.
    @Test func hugeFileWithASyntaxErrorAtTheEnd() {
        let count = 20_000
        var yaml = Self.hugeMap(count) { i in "{ address: \(i), value: temperature.1, type: uint16, scale: 10 }" }
        yaml += "\t- { address: \(count), value: temperature.1 }\n"
        let problems = Self.problems(yaml)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("huge.yaml:\(5 + count):1: YAML syntax error: ") == true, "\(problems)")
    }

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try MappingParser.parse(yaml: yaml, file: "huge.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }
}
