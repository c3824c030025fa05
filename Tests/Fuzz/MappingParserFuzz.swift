// libFuzzer target `mapping`: `MappingParser.parse(yaml:file:)` over Yams/libyaml, the
// checks, and the register table export. Built by Tests/Fuzz/build.sh.
//
// The input is the file's text (invalid UTF-8 is repaired, as `String(decoding:)` does).
import Config
import Mapping

let fileName = "fuzz.yaml"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMappingParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
    do throws(MappingErrors) {
        let mapping = try MappingParser.parse(yaml: text, file: fileName)
        checkMapping(mapping)
    } catch {
        checkProblems(error.problems, in: text)
    }
    return 0
}

/// Stops the run with a message libFuzzer keeps next to the crashing input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

/// Never empty; each problem names the file, a 1-based line and column inside the text (or
/// just past its end) and a message; in file order.
func checkProblems(_ problems: [MappingProblem], in text: String) {
    require(!problems.isEmpty, "MappingErrors without a problem")
    // Lines as libyaml counts them: \n, \r\n, a lone \r, and the Unicode line breaks it knows.
    let lineCount =
        1
        + text.unicodeScalars.reduce(into: (count: 0, afterCR: false)) { state, scalar in
            switch scalar {
            case "\n": if !state.afterCR { state.count += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": state.count += 1
            default: break
            }
            state.afterCR = scalar == "\r"
        }.count
    for problem in problems {
        require(problem.file == fileName, "problem under file '\(problem.file)': \(problem)")
        require(problem.line >= 1 && problem.column >= 1, "position below 1:1: \(problem)")
        require(problem.line <= lineCount + 1, "line \(problem.line) of a \(lineCount)-line text: \(problem)")
        require(!problem.message.isEmpty && !problem.message.allSatisfy(\.isWhitespace), "empty message: \(problem)")
        require(
            problem.description.hasPrefix("\(fileName):\(problem.line):\(problem.column): "), "description \(problem.description)"
        )
    }
    let positions = problems.map { [$0.line, $0.column] }
    require(positions == positions.sorted { $0.lexicographicallyPrecedes($1) }, "problems not in file order: \(positions)")
}

/// What `Mapping` promises: references resolve, unit ids are unique, registers of one unit never
/// overlap and stay inside 0...65535; and the register table exports it.
func checkMapping(_ mapping: Mapping) {
    var unitIDs = Set<UInt8>()
    for meter in mapping.meters {
        require(mapping.line(named: meter.line) != nil, "meter '\(meter.name)' on unknown line '\(meter.line)'")
        require(!meter.unitIDs.isEmpty, "meter '\(meter.name)' without a unit id")
        for id in meter.unitIDs {
            require(unitIDs.insert(id).inserted, "unit id \(id) used twice")
            require(mapping.meter(unitID: id)?.name == meter.name, "unit id \(id) resolves to another meter")
        }
        let entries = meter.registers.sorted { $0.address < $1.address }
        for (entry, next) in zip(entries, entries.dropFirst()) {
            require(
                entry.lastAddress < Int(next.address),
                "meter '\(meter.name)': registers \(entry.address)...\(entry.lastAddress) and \(next.address) overlap")
        }
        for entry in entries {
            require(entry.lastAddress <= 65535, "meter '\(meter.name)': register \(entry.address) runs past 65535")
            require(entry.scale == nil || entry.type.isInteger, "scale on \(entry.type) at \(entry.address)")
        }
    }
    let csv = RegisterTable.csv(mapping), markdown = RegisterTable.markdown(mapping)
    let rows = mapping.meters.reduce(0) { $0 + $1.unitIDs.count * $1.registers.count }
    require(
        markdown.split(separator: "\n", omittingEmptySubsequences: false).count == rows + 3,
        "markdown table of \(rows) rows has \(markdown.split(separator: "\n").count) lines")
    require(csv.hasSuffix("\r\n") && csv.hasPrefix(RegisterTable.columns.joined(separator: ",")), "csv header/ending")
}
