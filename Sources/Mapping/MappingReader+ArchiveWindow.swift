import Config
import TEMProtocol

/// The archive window's rules (docs/MAPPING.md, "The archive window"): its cursor and status
/// registers are uint16, each mapped once per list, the cursor complete (year, month, day,
/// hour, kind and status; step optional), and the window needs an `archive_store:` to serve from.
extension MappingReader {
    /// Checks every register set and inline list holding `archive_window.*` entries.
    mutating func checkArchiveWindows(hasArchiveStore: Bool) {
        var reportedStore = false
        for list in lists {
            var seen: [String: Int] = [:]
            var first: ReadEntry?
            for item in list.entries {
                guard let entry = item.entry, case let .value(definition) = entry.source,
                    case let .archiveWindow(value) = definition.source
                else { continue }
                if first == nil { first = item }
                if let earlier = seen[definition.name] {
                    read.report("\(definition.name) is already mapped at register \(earlier) of this list", at: item.position)
                } else {
                    seen[definition.name] = Int(entry.address)
                }
                switch value {
                case .cursor, .status:
                    if entry.type != .uint16 {
                        read.report(
                            "\(definition.name) must be type uint16 (an archive window cursor or status register holds one number), not \(entry.type.rawValue)",
                            at: item.position)
                    }
                case .record:
                    break
                }
            }
            guard let first else { continue }
            let required = ["year", "month", "day", "hour", "kind", "status"].map { "archive_window.\($0)" }
            let missing = required.filter { seen[$0] == nil }
            if !missing.isEmpty {
                read.report(
                    "the archive window needs \(missing.joined(separator: ", ")) too (a master writes the period there and reads what was found)",
                    at: first.position)
            }
            if !hasArchiveStore, !reportedStore {
                reportedStore = true
                read.report(
                    "\(first.label) needs an 'archive_store:' section: the archive window serves records from the store",
                    at: first.position)
            }
        }
    }
}
