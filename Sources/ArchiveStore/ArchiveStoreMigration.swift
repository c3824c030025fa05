import TEMProtocol

/// Brings a store file made by an earlier tembridge to the current schema, in place and in the
/// open transaction: nothing stored is lost, record ids (the forwarding order) are kept.
///
/// - Before `flags` (records keyed by period, `written NOT NULL`): the table is rebuilt with the
///   current key (serial number, kind, raw) and every row copied, flags 0.
/// - A value column the file lacks (`volume_7`, `volume_8` …) is added and filled by decoding
///   each row's raw bytes again.
extension ArchiveStore {
    static func migrate(_ db: SQLiteConnection, path: String) throws(StoreError) {
        let old = try columns(of: "records", in: db)
        guard !old.isEmpty else { return }  // a new file: the schema creates everything
        let operation = "migrate the archive store \(path)"
        let missing = RecordColumns.sqlNames.filter { !old.contains($0) }
        if !old.contains("flags") {
            let kept =
                (["id", "serial_number", "kind", "period", "written", "meter", "stored_at", "raw"]
                + RecordColumns.sqlNames.filter(old.contains)).joined(separator: ", ")
            try db.execute(
                """
                ALTER TABLE records RENAME TO records_before_flags;
                DROP INDEX IF EXISTS records_by_meter;
                \(recordsTable);
                INSERT INTO records (\(kept), flags) SELECT \(kept), 0 FROM records_before_flags;
                DROP TABLE records_before_flags
                """, operation: operation)
        } else {
            for column in missing {
                try db.execute("ALTER TABLE records ADD COLUMN \(column) REAL", operation: operation)
            }
        }
        guard !missing.isEmpty else { return }
        let names = RecordColumns.names.filter { missing.contains(RecordColumns.column($0)) }
        let update = try db.prepare(
            "UPDATE records SET \(missing.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?", operation: operation)
        let rows = try db.prepare("SELECT id, raw FROM records", operation: operation)
        try rows.bind([])
        var filled: [(id: Int, values: [Double?])] = []
        while try rows.step() {
            let raw = rows.blob(1)
            guard raw.count == ArchiveRecord.size, let record = try? ArchiveRecord(bytes: raw) else { continue }
            filled.append((rows.int(0), names.map { record.values[$0] }))
        }
        for row in filled { try update.run(row.values.map { .double($0) } + [.int(row.id)]) }
    }

    /// The column names of `table` (empty when there is no such table).
    static func columns(of table: String, in db: SQLiteConnection) throws(StoreError) -> Set<String> {
        let s = try db.prepare("SELECT name FROM pragma_table_info('\(table)')", operation: "read the schema")
        try s.bind([])
        var out: Set<String> = []
        while try s.step() { out.insert(s.text(0)) }
        return out
    }
}
