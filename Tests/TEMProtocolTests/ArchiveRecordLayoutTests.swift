import Foundation
import TEMProtocol
import Testing

@Suite struct ArchiveRecordLayoutTests {
    typealias Field = ArchiveRecordLayout.Field

    /// The record table of seed §5.2, verbatim (offset, name, type); `checksum` has no type there.
    static let seedRows: [(offset: Int, name: String, type: String)] = [
        (0x0000, "hour", "BCD"), (0x0001, "day", "BCD"), (0x0002, "month", "BCD"), (0x0003, "year", "BCD"),
        (0x0004, "lvolume", "F[6]"), (0x001C, "volume", "L[6]"), (0x0034, "lmass", "F[6]"), (0x004C, "mass", "L[6]"),
        (0x0064, "lenergy", "F[6]"), (0x007C, "energy", "L[6]"), (0x0094, "lenergyall", "F"),
        (0x0098, "energyall", "L"), (0x009C, "time_wrkall", "L"), (0x00A0, "time_wrk", "L[6]"),
        (0x00B8, "time_e1", "L[6]"), (0x00D0, "time_e2", "L[6]"), (0x00E8, "time_e3", "L[6]"),
        (0x0100, "time_e4", "L[6]"), (0x0118, "comma", "C[6]"), (0x011E, "mt", "F[7]"), (0x013A, "mp", "F[6]"),
        (0x0152, "volume_dop_l", "F[2]"), (0x015A, "volume_dop_h", "F[2]"), (0x016A, "error", "C[6]"),
        (0x175, "pred_hh", "BCD"), (0x176, "pred_dm", "BCD"), (0x177, "pred_my", "BCD"), (0x178, "pred_yc", "BCD"),
        (0x17F, "checksum", ""),
    ]

    /// The seed's letter for a type: F float32, L uint32, I uint16, C byte.
    static func seedType(_ type: FieldType) -> String {
        switch type {
        case .f32: "F"
        case .u32: "L"
        case .u16: "I"
        case .u8: "C"
        case .bcd: "BCD"
        case .i32, .i16: type.rawValue
        }
    }

    /// The seed rows a field stands for: four stamp bytes, an integrator's F and L, else one.
    static func seedRows(of field: Field) -> [(offset: Int, name: String, type: String)] {
        let n = field.count == 1 ? "" : "[\(field.count)]"
        switch field.coding {
        case .stamp:
            return field.seed.enumerated().map { (field.offset + $0.offset, $0.element, "BCD") }
        case let .integrator(whole, _):
            return [(field.offset, field.seed[0], "F" + n), (whole, field.seed[1], "L" + n)]
        case let .extraIntegrator(whole, _):
            return [(field.offset, field.seed[0], "F" + n), (whole, field.seed[1], "F" + n)]
        case let .number(type):
            return [(field.offset, field.seed[0], seedType(type) + n)]
        }
    }

    @Test func everySeedRowIsInTheTable() {
        let table = ArchiveRecordLayout.fields.flatMap(Self.seedRows).sorted { $0.offset < $1.offset }
        #expect(table.map(\.offset) == Self.seedRows.map(\.offset))
        #expect(table.map(\.name) == Self.seedRows.map(\.name))
        for (ours, seed) in zip(table, Self.seedRows) where !seed.type.isEmpty {
            #expect(ours.type == seed.type, "\(seed.name)")
        }
    }

    @Test func fieldsFitTheRecordWithoutOverlapping() {
        let ranges = ArchiveRecordLayout.fields.flatMap(\.ranges).sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.first!.lowerBound >= 0 && ranges.last!.upperBound <= ArchiveRecord.size)
        for (a, b) in zip(ranges, ranges.dropFirst()) {
            #expect(a.upperBound <= b.lowerBound, "\(a) overlaps \(b)")
        }
    }

    @Test func oneRowPerFieldAndOneValuePerName() {
        #expect(
            ArchiveRecordLayout.fields.map(\.id).sorted { $0.rawValue < $1.rawValue }
                == Field.ID.allCases.sorted { $0.rawValue < $1.rawValue })
        let names = ArchiveRecordLayout.values.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == ArchiveRecordLayout.fields.filter { $0.value != nil }.map(\.count).reduce(0, +))
    }

    /// Integrators are scaled by the record's own `comma` byte of the same system (seed §6.3.3).
    @Test func integratorsAreScaledByTheRecordsComma() {
        let comma = ArchiveRecordLayout.field(.comma)
        #expect(comma.offset == ArchiveRecordLayout.commaOffset && comma.coding == .number(.u8))
        for field in ArchiveRecordLayout.fields {
            if case .integrator = field.coding { #expect(field.count <= comma.count, "\(field.id)") }
        }
    }

    /// The listing order is the export's column order; the time counters go system by system.
    @Test func listingOrder() {
        let names = ArchiveRecordLayout.values.map(\.name)
        #expect(Array(names.prefix(4)) == ["time", "period", "energy.1", "energy.2"])
        #expect(names.firstIndex(of: "energy.total") == names.firstIndex(of: "energy.6")! + 1)
        let counters = names.drop { $0 != "time.normal.1" }.prefix(6)
        #expect(
            Array(counters) == [
                "time.normal.1", "time.below_gmin.1", "time.above_gmax.1", "time.below_dtmin.1", "time.fault.1",
                "time.normal.2",
            ])
        #expect(names.last == "errors.6")
        #expect(names.firstIndex(of: "volume.7") == names.firstIndex(of: "volume.6")! + 1)
        #expect(names.firstIndex(of: "volume.8") == names.firstIndex(of: "volume.7")! + 1)
        #expect(
            ArchiveRecordLayout.values.first { $0.name == "time.fault.3" }?.description
                == "seconds of system 3 with a technical fault")
    }

    /// Every `archive.KIND.NAME` of the catalog is a value of the table, and every value of the table
    /// is published for every kind.
    @Test func catalogArchiveNamesComeFromTheTable() {
        let tableNames = ArchiveRecordLayout.values.map(\.name)
        for kind in ArchiveKind.allCases {
            let published = ValueCatalog.all.compactMap { definition -> String? in
                if case let .archive(k, name) = definition.source, k == kind {
                    #expect(definition.name == "archive.\(kind.rawValue).\(name)")
                    return name
                }
                return nil
            }
            #expect(published == tableNames)
        }
    }

    // MARK: The docs table

    static let docsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/MAPPING.md").standardized.path
    static let begin =
        "<!-- archive record table: generated from ArchiveRecordLayout.fields, checked by ArchiveRecordLayoutTests -->"
    static let end = "<!-- end of archive record table -->"

    /// The table docs/MAPPING.md shows, in offset order.
    static func markdown() -> String {
        func hex(_ offset: Int) -> String { String(format: "0x%03X", offset) }
        var lines = [
            "| offset | seed | stored as | value names | unit | meaning |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for field in ArchiveRecordLayout.fields.sorted(by: { $0.offset < $1.offset }) {
            let rows = seedRows(of: field)
            let stored: String
            switch field.coding {
            case .stamp: stored = "BCD ×4 → Unix seconds"
            case .integrator:
                stored = "\(rows[0].type), \(rows[1].type): (L + F) / k, k by `comma` \(field.count == 1 ? "1" : "N")"
            case .extraIntegrator:
                stored = "\(rows[0].type), \(rows[1].type): (H + F) / k, k by `comma` 1"
            case .number: stored = rows[0].type.isEmpty ? "" : rows[0].type
            }
            let names =
                field.value == nil
                ? "—" : field.count == 1 ? "`\(field.name(1)!)`" : "`\(field.name(1)!)` … `\(field.name(field.count)!)`"
            let offsets = field.ranges.map { hex($0.lowerBound) }.joined(separator: ", ")
            let seed = field.seed.map { "`\($0)`" }.joined(separator: ", ")
            let cells = [offsets, seed, stored, names, field.unit, field.descriptionTemplate]
            lines.append("|" + cells.map { $0.isEmpty ? " |" : " \($0) |" }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// docs/MAPPING.md shows this table; with TEMBRIDGE_WRITE_DOCS=1 the test writes it there.
    @Test func docsShowTheTable() throws {
        var docs = try String(contentsOfFile: Self.docsPath, encoding: .utf8)
        let generated = Self.begin + "\n" + Self.markdown() + "\n" + Self.end
        let start = try #require(docs.range(of: Self.begin), "docs/MAPPING.md lacks the line \(Self.begin)")
        let stop = try #require(docs.range(of: Self.end, range: start.upperBound..<docs.endIndex))
        let shown = String(docs[start.lowerBound..<stop.upperBound])
        if shown != generated, ProcessInfo.processInfo.environment["TEMBRIDGE_WRITE_DOCS"] == "1" {
            docs.replaceSubrange(start.lowerBound..<stop.upperBound, with: generated)
            try docs.write(toFile: Self.docsPath, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            shown == generated, "docs/MAPPING.md's archive record table is not the code's: TEMBRIDGE_WRITE_DOCS=1 rewrites it")
    }
}
