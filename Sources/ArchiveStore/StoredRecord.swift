import TEMProtocol

/// One archive record as the store keeps it: whose it is, which ring, the record itself and
/// its flags. The store keeps every record the meter wrote once: its key is the record's own
/// 384 bytes (serial number, kind, raw), so a record read again is not doubled while two
/// records with one period (a clock set back) or with no readable period (damaged) are both
/// kept. See docs/ARCHIVE-STORE.md.
public struct StoredRecord: Sendable, Hashable {
    /// What is doubtful about a record; empty for an intact one.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// A time stamp of the record (written or period) is not a date: kept with its raw bytes
        /// and every field that decodes.
        public static let damaged = Flags(rawValue: 1)
        /// A second record with the period of one already stored (the meter's clock was set
        /// back): the later written of the two, by `time.powered`.
        public static let duplicatePeriod = Flags(rawValue: 2)

        /// Every flag with its text name, in bit order.
        public static let named: [(flag: Flags, name: String)] = [(.damaged, "damaged"), (.duplicatePeriod, "duplicate_period")]

        /// The text names of the flags set, in bit order (`damaged`, `duplicate_period`).
        public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }
    }

    /// The meter's factory serial number (`Number`): a replaced meter starts its own history.
    public var serialNumber: UInt32
    public var kind: ArchiveKind
    /// The mapping's name for the meter when the record was stored.
    public var meter: String
    public var record: ArchiveRecord
    /// The 384 bytes as read from Flash.
    public var raw: [UInt8]
    public var flags: Flags
    /// The period the record is filed under, Unix seconds (meter local time read as UTC): its
    /// period stamp, or for a damaged period stamp the period its place in the ring gives it.
    public var period: Int

    /// - Parameters:
    ///   - place: the period a record whose period stamp is not a date is filed under (the
    ///     walk gives it from the record's neighbours in the ring); ignored when the stamp is a
    ///     date. Without it, the period before the written stamp (the period that had just ended).
    ///   - flags: flags known besides `damaged`, which the record's own stamps decide.
    public init(
        serialNumber: UInt32, kind: ArchiveKind, meter: String, raw: [UInt8], place: Int? = nil, flags: Flags = []
    ) throws(ArchiveRecord.Empty) {
        self.serialNumber = serialNumber
        self.kind = kind
        self.meter = meter
        self.raw = raw
        record = try ArchiveRecord(bytes: raw)
        self.flags = record.isDamaged ? flags.union(.damaged) : flags.subtracting(.damaged)
        // Without a place, a damaged period is the one that ended when the record was written.
        period =
            record.period?.unixSeconds ?? place ?? record.written.flatMap { ArchivePeriods.previous($0.unixSeconds!, kind) }
            ?? 0
    }

    /// When the meter wrote it, Unix seconds (meter local time read as UTC); nil if that stamp
    /// is not a date.
    public var written: Int? { record.written?.unixSeconds }
    /// `time.powered` of the record: the order the meter wrote records in, whatever its clock says.
    public var powered: Double { record.values["time.powered"] ?? 0 }
    /// The flags as text (`damaged`, `duplicate_period`).
    public var flagNames: [String] { flags.names }
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
