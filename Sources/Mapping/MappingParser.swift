import Config
import Foundation
import Platform
import Yams

/// Reads and checks a mapping file (see docs/MAPPING.md). Every problem is collected, not just
/// the first, each at the line and column of the YAML node it is about.
public enum MappingParser {
    /// Parses and checks `yaml`; `file` is the name problems are reported under.
    /// - Throws: `MappingErrors` with every problem found, in file order.
    public static func parse(yaml: String, file: String) throws(MappingErrors) -> Mapping {
        let root: Node?
        do {
            // The basic resolver tags every scalar as a string: the reader interprets scalars
            // itself, and the default resolver's regular expressions (run for every key Yams
            // hashes to find duplicates) would make a 10 000-entry file take seconds.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch {
            throw MappingErrors([syntaxProblem(error, file: file)])
        }
        var reader = MappingReader(file: file)
        let mapping = reader.readMapping(root)
        let problems = reader.problems
        guard problems.isEmpty, let mapping else {
            throw MappingErrors(
                problems.isEmpty
                    ? [MappingProblem(file: file, line: 1, column: 1, message: "internal error: mapping not built")]
                    : problems)
        }
        return mapping
    }

    /// Reads the file at `path` and parses it; problems are reported under `path` as given.
    /// - Throws: `MappingErrors`; a file that cannot be read gives one problem at 1:1,
    ///   `cannot read: REASON`.
    public static func load(path: String) throws(MappingErrors) -> Mapping {
        let text: String
        switch readTextFile(atPath: path, limit: maxFileSize) {
        case let .success(contents): text = contents
        case let .failure(failure):
            throw MappingErrors([MappingProblem(file: path, line: 1, column: 1, message: "cannot read: \(failure)")])
        }
        return try parse(yaml: text, file: path)
    }

    /// The largest mapping file read (a 10 000-meter mapping is about 1 MB): anything longer,
    /// or a device that never ends, is refused with one problem instead of filling memory.
    public static let maxFileSize = 16 << 20

    /// A YAML syntax error as a problem at the position libyaml reports.
    private static func syntaxProblem(_ error: any Error, file: String) -> MappingProblem {
        func problem(_ line: Int, _ column: Int, _ message: String) -> MappingProblem {
            MappingProblem(file: file, line: max(line, 1), column: max(column, 1), message: message)
        }
        func syntax(_ context: YamlError.Context?, _ text: String, _ mark: Mark) -> MappingProblem {
            let during = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return problem(mark.line, mark.column, "YAML syntax error: \(text)\(during)")
        }
        switch error as? YamlError {
        case let .scanner(context, text, mark, _), let .parser(context, text, mark, _),
            let .composer(context, text, mark, _):
            return syntax(context, text, mark)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return problem(context.mark.line, context.mark.column, "duplicate key \(keys) (a key may appear once per mapping)")
        case let .reader(text, offset, _, yaml):
            let (line, column) = offset.map { position(ofCharacter: $0, in: yaml) } ?? (1, 1)
            return problem(line, column, "cannot read YAML: \(text)")
        default:
            return problem(1, 1, "YAML error: \(error)")
        }
    }

    /// 1-based line and column of the `offset`-th character of `text`.
    private static func position(ofCharacter offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
