import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct ArchiveRecordEncoderTests {
    /// Contents with a different number in every element, and every comma code of the seed.
    static func contents() -> ArchiveRecordEncoder.Contents {
        var t = Totals()
        for i in 0..<6 {
            t.energy[i] = Counter(units: 1_234_567.25 + Double(i) * 1000)
            t.volume[i] = Counter(units: 7654.5 + Double(i))
            t.mass[i] = Counter(units: 4321.75 + Double(i))
            t.timeNormal[i] = 3600 + Double(i)
            t.timeBelowGMin[i] = 100 + Double(i)
            t.timeAboveGMax[i] = 200 + Double(i)
            t.timeBelowDtMin[i] = 300 + Double(i)
            t.timeFault[i] = 400 + Double(i)
        }
        t.energyTotal = Counter(units: 9_876_543.125)
        t.extraVolume = [Counter(units: 11.5), Counter(units: 22.25)]
        t.timePowered = 86_400
        return .init(
            written: MeterClock(year: 2015, month: 3, day: 20, hour: 8, minute: 0, second: 0),
            period: MeterClock(year: 2015, month: 3, day: 20, hour: 7, minute: 0, second: 0),
            totals: t, comma: [6, 5, 4, 3, 2, 0],
            temperatures: [70.5, 50.25, 10.125, -5.5, 20, 30, 40], pressures: [0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
            errors: [0x81, 0x10, 0, 0x02, 0x60, 0xFF])
    }

    /// What each value name must decode to, written from the seed (§5.2, §6.2.2, §6.3), not from
    /// the layout table: energy k by comma 6→100000 … 2→10; volume and mass 5→1000 … 3→10.
    static func expectedValues(_ c: ArchiveRecordEncoder.Contents) -> [String: Double] {
        let energyK: [UInt8: Double] = [6: 100_000, 5: 10_000, 4: 1000, 3: 100, 2: 10]
        let volumeK: [UInt8: Double] = [5: 1000, 4: 100, 3: 10]
        func scaled(_ counter: Counter, _ k: Double?) -> Double { (Double(counter.whole) + Double(counter.fraction)) / (k ?? 1) }
        let t = c.totals
        var v: [String: Double] = [
            "time": Double(c.written.unixSeconds!), "period": Double(c.period.unixSeconds!),
            "energy.total": scaled(t.energyTotal, energyK[c.comma[0]]), "time.powered": t.timePowered,
        ]
        for n in 1...6 {
            v["energy.\(n)"] = scaled(t.energy[n - 1], energyK[c.comma[n - 1]])
            v["volume.\(n)"] = scaled(t.volume[n - 1], volumeK[c.comma[n - 1]])
            v["mass.\(n)"] = scaled(t.mass[n - 1], volumeK[c.comma[n - 1]])
            v["pressure.\(n)"] = Double(Float(c.pressures[n - 1]))
            v["time.normal.\(n)"] = t.timeNormal[n - 1]
            v["time.below_gmin.\(n)"] = t.timeBelowGMin[n - 1]
            v["time.above_gmax.\(n)"] = t.timeAboveGMax[n - 1]
            v["time.below_dtmin.\(n)"] = t.timeBelowDtMin[n - 1]
            v["time.fault.\(n)"] = t.timeFault[n - 1]
            v["errors.\(n)"] = Double(c.errors[n - 1])
        }
        for n in 1...7 { v["temperature.\(n)"] = Double(Float(c.temperatures[n - 1])) }
        // volume_dop_l F + volume_dop_h (whole parts as float32), scaled by system 1's comma.
        for n in 7...8 {
            let counter = t.extraVolume[n - 7]
            v["volume.\(n)"] = (Double(Float(counter.whole)) + Double(counter.fraction)) / (volumeK[c.comma[0]] ?? 1)
        }
        return v
    }

    /// Encoder → decoder gives back every field, and nothing else.
    @Test func everyFieldRoundTrips() throws {
        let c = Self.contents()
        let bytes = ArchiveRecordEncoder.encode(c)
        let record = try ArchiveRecord(bytes: bytes)
        #expect(record.written == c.written && record.period == c.period)
        #expect(record.errors == c.errors)
        let expected = Self.expectedValues(c)
        #expect(Set(record.values.keys) == Set(expected.keys))
        for (name, value) in expected {
            #expect(record.values[name]?.bitPattern == value.bitPattern, "\(name): \(record.values[name] ?? .nan) ≠ \(value)")
        }
    }

    /// The extra volumes and the fields nothing decodes sit at the seed's offsets too, and no byte
    /// outside the layout is written.
    @Test func unpublishedFieldsAndGaps() {
        let c = Self.contents()
        let bytes = ArchiveRecordEncoder.encode(c)
        func f32(_ offset: Int) -> Float { Float(bitPattern: BigEndian.uint32(bytes[...], at: offset)) }
        #expect(Array(bytes[0x118..<0x11E]) == c.comma)
        #expect(f32(0x152) == c.totals.extraVolume[0].fraction && f32(0x156) == c.totals.extraVolume[1].fraction)
        #expect(f32(0x15A) == Float(c.totals.extraVolume[0].whole) && f32(0x15E) == Float(c.totals.extraVolume[1].whole))
        #expect(bytes[0x17F] == ~bytes[..<0x17F].reduce(UInt8(0), &+))
        let used = Set(ArchiveRecordLayout.fields.flatMap(\.ranges).flatMap { $0 })
        let strays = (0..<ArchiveRecord.size).filter { !used.contains($0) && bytes[$0] != 0 }
        #expect(strays.isEmpty, "bytes written outside the layout: \(strays)")
    }

    /// Every `archive.*` name of the catalog decodes to a real number from the simulator's newest
    /// record of its kind: a name the decoder does not produce would be served as NaN.
    @Test(arguments: [true, false])
    func everyCatalogArchiveNameIsANumber(frozen: Bool) throws {
        var options = frozenOptions(seed: 3)
        options.frozen = frozen
        let meter = SimulatedMeter(address: 1, options: options)
        var records: [ArchiveKind: ArchiveRecord] = [:]
        for kind in ArchiveKind.allCases {
            records[kind] = try record(meter, kind, pointers(meter).newestIndex(kind)!)
        }
        var checked = 0
        for definition in ValueCatalog.all {
            guard case let .archive(kind, name) = definition.source else { continue }
            let value: Double? = records[kind]?.values[name]
            #expect(value?.isFinite == true, "\(definition.name) decodes to \(String(describing: value))")
            checked += 1
        }
        #expect(checked == 3 * ArchiveRecordLayout.values.count)
    }
}
