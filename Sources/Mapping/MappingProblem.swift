/// One thing wrong with a mapping file, at the line and column (both 1-based) of the YAML node
/// it is about.
public struct MappingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COL: message`, the form editors and CI logs link to.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in a mapping file, in file order (line, then column). Never empty.
public struct MappingErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [MappingProblem]

    public init(_ problems: [MappingProblem]) {
        self.problems = problems
    }

    /// One problem per line, no trailing newline.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
