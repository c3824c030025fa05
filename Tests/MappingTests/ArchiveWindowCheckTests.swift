import Config
import Mapping
import TEMProtocol
import Testing

/// `check`'s rules for the archive window (docs/MAPPING.md, "The archive window").
struct ArchiveWindowCheckTests {
    static func yaml(_ entries: [String], store: Bool = true) -> String {
        var text = """
            lines:
              - { name: l, endpoint: "tcp://127.0.0.1:4001" }
            meters:
              - { name: m, address: 1, registers: w }
            register_sets:
              w:

            """
        for entry in entries { text += "    - { \(entry) }\n" }
        if store { text += "archive_store: { path: a.sqlite }\n" }
        return text
    }

    static let complete = [
        "address: 10, value: archive_window.year, type: uint16",
        "address: 11, value: archive_window.month, type: uint16",
        "address: 12, value: archive_window.day, type: uint16",
        "address: 13, value: archive_window.hour, type: uint16",
        "address: 14, value: archive_window.kind, type: uint16",
        "address: 15, value: archive_window.step, type: uint16",
        "address: 16, value: archive_window.status, type: uint16",
        "address: 20, value: archive_window.energy.1, type: float64",
    ]

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try MappingParser.parse(yaml: yaml, file: "map.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aCompleteWindowWithAStoreIsAccepted() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml(Self.complete), file: "map.yaml")
        let names = mapping.meters[0].registers.map(\.sourceName)
        #expect(names.contains("archive_window.energy.1") && names.contains("archive_window.step"))
        // Window registers come from the store, not the poll: served like status registers.
        #expect(mapping.meters[0].registers.allSatisfy { $0.isStatus })
    }

    @Test func kepwareTagsOfTheCursorAreReadWrite() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml(Self.complete), file: "map.yaml")
        let rows = KepwareTags.csv(mapping).split(separator: "\r\n").map { $0.split(separator: ",").map(String.init) }
        let access = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0[4]) })
        #expect(access["unit_1.archive_window_year"] == "R/W" && access["unit_1.archive_window_step"] == "R/W")
        #expect(access["unit_1.archive_window_status"] == "RO" && access["unit_1.archive_window_energy_1"] == "RO")
    }

    @Test func theWindowNeedsAStore() {
        #expect(
            Self.problems(Self.yaml(Self.complete, store: false)) == [
                "map.yaml:7:7: archive_window.year needs an 'archive_store:' section: the archive window serves records from the store"
            ])
    }

    @Test func cursorAndStatusRegistersAreUInt16() {
        var entries = Self.complete
        entries[0] = "address: 10, value: archive_window.year, type: int16"
        entries[6] = "address: 16, value: archive_window.status, type: int16"
        #expect(
            Self.problems(Self.yaml(entries)) == [
                "map.yaml:7:7: archive_window.year must be type uint16 (an archive window cursor or status register holds one number), not int16",
                "map.yaml:13:7: archive_window.status must be type uint16 (an archive window cursor or status register holds one number), not int16",
            ])
    }

    @Test func anIncompleteOrDoubledCursorIsRefused() {
        var entries = Array(Self.complete.dropFirst(3))  // no year, month, day
        entries.append("address: 30, value: archive_window.kind, type: uint16")
        #expect(
            Self.problems(Self.yaml(entries)) == [
                "map.yaml:7:7: the archive window needs archive_window.year, archive_window.month, archive_window.day too (a master writes the period there and reads what was found)",
                "map.yaml:12:7: archive_window.kind is already mapped at register 14 of this list",
            ])
    }
}
