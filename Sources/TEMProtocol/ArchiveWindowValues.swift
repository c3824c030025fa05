/// The archive window (issue 22): a block of registers through which a Modbus master reads any
/// stored archive record. It writes the period it wants to the cursor registers (or steps to the
/// next or previous stored record), then reads the record's values and a status register.
/// Names: `archive_window.year` … `archive_window.step` (the cursor), `archive_window.status`,
/// and `archive_window.NAME` for every archive record value (`archive_window.energy.1`, …).
public enum ArchiveWindowValue: Sendable, Hashable {
    /// A cursor register: written by the master, read back as the cursor's period.
    case cursor(ArchiveWindowField)
    /// What the cursor found (`ArchiveWindowStatus`).
    case status
    /// A value of the record under the cursor, named as in `ArchiveRecord.values`.
    case record(String)
}

/// The cursor registers, each a uint16.
public enum ArchiveWindowField: String, Sendable, Hashable, CaseIterable {
    /// Year (4 digits), month (1…12), day (1…31), hour (0…23) of the period wanted.
    case year, month, day, hour
    /// 1 hourly, 2 daily, 3 monthly (`ArchiveKind.windowCode`).
    case kind
    /// Write 1: the next stored record (later period); 2: the previous one. Reads 0.
    case step

    /// The values a master may write.
    public var valid: ClosedRange<UInt16> {
        switch self {
        case .year: 2000...2099
        case .month: 1...12
        case .day: 1...31
        case .hour: 0...23
        case .kind: 1...3
        case .step: 1...2
        }
    }
}

/// The `archive_window.status` register.
public enum ArchiveWindowStatus: UInt16, Sendable, Hashable, CaseIterable {
    /// Nothing asked yet: year, month, day and kind not all written.
    case none = 0
    /// The record of the period is stored: its values are shown.
    case found = 1
    /// No record of that period is stored (a gap, or not read from the meter yet).
    case missing = 2
    /// The record is stored but flagged damaged (a time stamp was invalid): its values are shown.
    case damaged = 3
    /// A step found no further record in that direction; the cursor stays where it was.
    case end = 4
    /// The archive store could not be read (see the log); write again to retry.
    case storeError = 5
}

extension ArchiveKind {
    /// The `archive_window.kind` code: 1 hourly, 2 daily, 3 monthly.
    public var windowCode: UInt16 {
        switch self {
        case .hourly: 1
        case .daily: 2
        case .monthly: 3
        }
    }

    /// The kind of a `archive_window.kind` code, nil for any other number.
    public init?(windowCode: UInt16) {
        guard let kind = Self.allCases.first(where: { $0.windowCode == windowCode }) else { return nil }
        self = kind
    }
}

enum ArchiveWindowValues {
    static let definitions: [ValueDefinition] = build()

    private static func build() -> [ValueDefinition] {
        var out: [ValueDefinition] = []
        func add(_ name: String, _ unit: String, _ description: String, _ value: ArchiveWindowValue) {
            out.append(
                ValueDefinition(
                    name: "archive_window.\(name)", unit: unit, description: description, source: .archiveWindow(value),
                    isConfiguration: false))
        }
        add("year", "", "archive window cursor: year of the period (writable, uint16)", .cursor(.year))
        add("month", "", "archive window cursor: month 1…12 (writable, uint16)", .cursor(.month))
        add("day", "", "archive window cursor: day 1…31 (writable, uint16)", .cursor(.day))
        add("hour", "", "archive window cursor: hour 0…23 (writable, uint16)", .cursor(.hour))
        add("kind", "", "archive window cursor: 1 hourly, 2 daily, 3 monthly (writable, uint16)", .cursor(.kind))
        add("step", "", "archive window: write 1 = next stored record, 2 = previous (uint16)", .cursor(.step))
        add(
            "status", "",
            "archive window: 0 nothing asked, 1 found, 2 missing (gap), 3 damaged, 4 no further record, 5 store error",
            .status)
        for field in ValueCatalog.archiveRecordNames {
            add(field.name, field.unit, "record under the archive window cursor: \(field.description)", .record(field.name))
        }
        return out
    }
}
