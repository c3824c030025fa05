import TEMProtocol

/// One archive record as the store keeps it: whose it is, which ring, and the record itself.
/// The key is (serial number, kind, period).
public struct StoredRecord: Sendable, Hashable {
    /// The meter's factory serial number (`Number`): a replaced meter starts its own history.
    public var serialNumber: UInt32
    public var kind: ArchiveKind
    /// The mapping's name for the meter when the record was stored.
    public var meter: String
    public var record: ArchiveRecord
    /// The 384 bytes as read from Flash.
    public var raw: [UInt8]

    public init(serialNumber: UInt32, kind: ArchiveKind, meter: String, raw: [UInt8]) throws(ArchiveRecord.Empty) {
        self.serialNumber = serialNumber
        self.kind = kind
        self.meter = meter
        self.raw = raw
        record = try ArchiveRecord(bytes: raw)
    }

    /// The period, Unix seconds (meter local time read as UTC).
    public var period: Int { record.period.unixSeconds! }
    /// When the meter wrote it, Unix seconds (meter local time read as UTC).
    public var written: Int { record.written.unixSeconds! }
}

/// The decoded fields every row holds, one column each: the names `archive` writes
/// (`energy.1`, `time.normal.3`, …), as SQL columns with `_` for `.` (`energy_1`).
public enum RecordColumns {
    /// Value names in `archive`'s column order (without `time` and `period`, which are columns
    /// of their own).
    public static let names: [String] = ValueCatalog.archiveRecordNames.map(\.name).filter {
        $0 != "time" && $0 != "period"
    }

    /// `energy.1` → `energy_1`.
    public static func column(_ name: String) -> String { name.replacingDots }

    /// The SQL column names of the values, in order.
    public static let sqlNames: [String] = names.map(column)
}

extension String {
    fileprivate var replacingDots: String { String(map { $0 == "." ? "_" : $0 }) }
}
