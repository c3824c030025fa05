import TEMProtocol

/// Writes 384-byte archive records (seed §5.2): the inverse of `ArchiveRecord(bytes:)`, at the
/// same `ArchiveRecord.Offset`s.
enum ArchiveRecordEncoder {
    /// Offsets the decoder does not read.
    enum ExtraOffset {
        /// `volume_dop_l` F[2]: fraction parts of the extra flowmeters' volume.
        static let extraVolumeFraction = 0x152
        /// `volume_dop_h` F[2]: their whole parts, stored as float32 too.
        static let extraVolumeWhole = 0x15A
        /// `checksum`: its algorithm is not given by the seed; here the frame checksum of the bytes before it.
        static let checksum = 0x17F
    }

    /// What a record holds.
    struct Contents {
        /// When the meter wrote the record (only hour, day, month, year are kept).
        var written: MeterClock
        /// The start of the hour/day/month the record covers.
        var period: MeterClock
        var totals: Totals
        var comma: [UInt8]
        /// Mean temperatures (7) and pressures (6) over the period.
        var temperatures: [Double]
        var pressures: [Double]
        /// Error bits of each system during the period (OR of the bits seen).
        var errors: [UInt8]
    }

    static func encode(_ c: Contents) -> [UInt8] {
        typealias O = ArchiveRecord.Offset
        var r = [UInt8](repeating: 0, count: ArchiveRecord.size)
        let t = c.totals
        r.store(bytes: c.written.archiveStampBytes, at: O.written)
        r.store(counters: t.volume, fraction: O.volumeFraction, whole: O.volumeWhole)
        r.store(counters: t.mass, fraction: O.massFraction, whole: O.massWhole)
        r.store(counters: t.energy, fraction: O.energyFraction, whole: O.energyWhole)
        r.store(counters: [t.energyTotal], fraction: O.energyTotalFraction, whole: O.energyTotalWhole)
        r.store(Totals.seconds(t.timePowered), at: O.timePowered)
        r.store(words: t.timeNormal.map(Totals.seconds), at: O.timeNormal)
        r.store(words: t.timeBelowGMin.map(Totals.seconds), at: O.timeBelowGMin)
        r.store(words: t.timeAboveGMax.map(Totals.seconds), at: O.timeAboveGMax)
        r.store(words: t.timeBelowDtMin.map(Totals.seconds), at: O.timeBelowDtMin)
        r.store(words: t.timeFault.map(Totals.seconds), at: O.timeFault)
        r.store(bytes: c.comma, at: O.comma)
        r.store(floats: c.temperatures, at: O.temperature)
        r.store(floats: c.pressures, at: O.pressure)
        for (i, v) in t.extraVolume.enumerated() {
            r.store(v.fraction, at: ExtraOffset.extraVolumeFraction + 4 * i)
            r.store(Float(v.whole), at: ExtraOffset.extraVolumeWhole + 4 * i)
        }
        r.store(bytes: c.errors, at: O.errors)
        r.store(bytes: c.period.archiveStampBytes, at: O.period)
        var sum: UInt8 = 0
        for i in 0..<ExtraOffset.checksum { sum &+= r[i] }
        r[ExtraOffset.checksum] = ~sum
        return r
    }
}
