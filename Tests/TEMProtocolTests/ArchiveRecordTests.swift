import TEMProtocol
import Testing

@Suite struct ArchiveRecordTests {
    typealias Offset = ArchiveRecord.Offset

    /// A record written 2015-03-20 08:00 for the hour from 07:00 (PROTOCOL-NOTES, test vectors),
    /// energy.1 = (L 1234567 + F 0.5) / 1000 with comma 4, temperature.1 = 70.5 °C.
    static func record() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: ArchiveRecord.size)
        func put(_ value: [UInt8], _ offset: Int) { bytes.replaceSubrange(offset..<(offset + value.count), with: value) }
        put([0x08, 0x20, 0x03, 0x15], Offset.written)
        put([0x07, 0x20, 0x03, 0x15], Offset.period)
        put(BigEndian.bytes(Float(0.5).bitPattern), Offset.energyFraction)
        put(BigEndian.bytes(UInt32(1_234_567)), Offset.energyWhole)
        put(BigEndian.bytes(UInt32(4321)), Offset.volumeWhole + 4)
        put([4, 0, 3, 0, 0, 0], Offset.comma)
        put(BigEndian.bytes(Float(70.5).bitPattern), Offset.temperature)
        put(BigEndian.bytes(Float(0.6).bitPattern), Offset.pressure + 4)
        put(BigEndian.bytes(UInt32(3600)), Offset.timePowered)
        put(BigEndian.bytes(UInt32(120)), Offset.timeFault + 8)
        put([0x81, 0, 0, 0, 0, 0x10], Offset.errors)
        bytes[0x17F] = 0x5C  // record checksum: not verified
        return bytes
    }

    @Test func decodesHandBuiltRecord() throws {
        let record = try ArchiveRecord(bytes: Self.record())
        #expect(record.written?.description == "2015-03-20T08:00:00")
        #expect(record.period?.description == "2015-03-20T07:00:00")
        #expect(!record.isDamaged)
        #expect(record.values["time"] == 1_426_838_400)
        #expect(record.values["period"] == 1_426_834_800)
        #expect(record.values["energy.1"] == 1_234.5675)
        #expect(record.values["energy.2"] == 0)
        #expect(record.values["volume.2"] == 4321)
        #expect(record.values["temperature.1"] == 70.5)
        #expect(record.values["pressure.2"] == Double(Float(0.6)))
        #expect(record.values["time.powered"] == 3600)
        #expect(record.values["time.fault.3"] == 120)
        #expect(record.values["errors.1"] == 0x81)
        #expect(record.errors == [0x81, 0, 0, 0, 0, 0x10])
        #expect(ArchiveRecord.errorWords(0x81) == ["G1<min", "power off"])
    }

    /// Every archive name the catalog publishes is a key of a decoded record.
    @Test func valuesMatchCatalogNames() throws {
        let record = try ArchiveRecord(bytes: Self.record())
        #expect(Set(record.values.keys) == Set(ValueCatalog.archiveRecordNames.map(\.name)))
    }

    @Test func neverWritten() {
        #expect(throws: ArchiveRecord.Empty.neverWritten) {
            try ArchiveRecord(bytes: [UInt8](repeating: 0xFF, count: ArchiveRecord.size))
        }
    }

    /// A stamp that is not a date damages the record but loses nothing else: every other field
    /// decodes, the stamp's value is NaN, and `damage` names the stamp and its bytes.
    @Test func badBCDWrittenStampKeepsTheRest() throws {
        var bytes = Self.record()
        bytes[Offset.written] = 0x0A  // hour digit over 9
        let record = try ArchiveRecord(bytes: bytes)
        #expect(record.isDamaged)
        #expect(record.damage == [.init(field: .written, stamp: [0x0A, 0x20, 0x03, 0x15])])
        #expect(record.written == nil)
        #expect(record.period?.description == "2015-03-20T07:00:00")
        #expect(record.values["time"]!.isNaN)
        #expect(record.values["period"] == 1_426_834_800)
        #expect(record.values["energy.1"] == 1_234.5675)
        #expect(record.values["temperature.1"] == 70.5)
        #expect(record.damage[0].description == "written stamp 0A 20 03 15 is not a date")
    }

    @Test func impossibleCalendarDates() throws {
        var bytes = Self.record()
        bytes[Offset.period + 2] = 0x13  // month 13
        var record = try ArchiveRecord(bytes: bytes)
        #expect(record.damage == [.init(field: .period, stamp: [0x07, 0x20, 0x13, 0x15])])
        #expect(record.period == nil && record.written != nil)
        #expect(record.values["period"]!.isNaN && record.values["volume.2"] == 4321)
        bytes = Self.record()
        bytes.replaceSubrange(Offset.written..<(Offset.written + 4), with: [0x00, 0x30, 0x02, 0x15])  // 30 February
        bytes.replaceSubrange(Offset.period..<(Offset.period + 4), with: [0x24, 0x01, 0x01, 0x15])  // hour 24
        record = try ArchiveRecord(bytes: bytes)
        #expect(record.damage.map(\.field) == [.written, .period])
        #expect(record.written == nil && record.period == nil)
        #expect(record.values["energy.1"] == 1_234.5675)
    }

    /// `volume_dop_l` F[2]@0x152 and `volume_dop_h` F[2]@0x15A are `volume.7` and `volume.8`:
    /// (H + F) / k with k from system 1's comma (here 4: k = 100), as the live values are scaled.
    @Test func extraFlowmeterVolumes() throws {
        var bytes = Self.record()
        func put(_ value: Float, _ offset: Int) {
            bytes.replaceSubrange(offset..<(offset + 4), with: BigEndian.bytes(value.bitPattern))
        }
        put(0.25, 0x152)
        put(0.5, 0x156)
        put(123_456, 0x15A)
        put(7, 0x15E)
        #expect(Offset.extraVolumeFraction == 0x152 && Offset.extraVolumeWhole == 0x15A)
        let record = try ArchiveRecord(bytes: bytes)
        #expect(record.values["volume.7"] == 1_234.5625)
        #expect(record.values["volume.8"] == 0.075)
        #expect(ValueCatalog.definition(named: "archive.hourly.volume.7") != nil)
        #expect(ValueCatalog.definition(named: "archive.monthly.volume.8")?.unit == "m³")
    }
}
