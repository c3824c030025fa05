import TEMProtocol

/// Writes 384-byte archive records (seed §5.2): the inverse of `ArchiveRecord(bytes:)`. Both read
/// `ArchiveRecordLayout.fields`: this file only says what goes into each field; where it lies and
/// how it is stored come from the table.
enum ArchiveRecordEncoder {
    /// What a record holds.
    struct Contents {
        /// When the meter wrote the record (only hour, day, month, year are kept).
        var written: MeterClock
        /// The start of the hour/day/month the record covers.
        var period: MeterClock
        var totals: Totals
        var comma: [UInt8]
        /// Temperatures (7) and pressures (6) of the period (`mt`, `mp`; the simulator writes the means).
        var temperatures: [Double]
        var pressures: [Double]
        /// Error bits of each system during the period (OR of the bits seen).
        var errors: [UInt8]
    }

    /// What one field holds, element by element.
    enum FieldContents {
        case stamp(MeterClock)
        /// Numbers stored as the field's type (exact for every number the simulator writes).
        case numbers([Double])
        case integrators([Counter])
        /// Computed over the record when the other fields are in place.
        case checksum
    }

    static func encode(_ c: Contents) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: ArchiveRecord.size)
        for field in fieldsByOffset { r.store(contents(of: field.id, c), in: field) }
        return r
    }

    /// The fields in offset order, so that the checksum sees every byte before it.
    private static let fieldsByOffset = ArchiveRecordLayout.fields.sorted { $0.offset < $1.offset }

    /// The contents of field `id`; the switch covers every field of the layout.
    static func contents(of id: ArchiveRecordLayout.Field.ID, _ c: Contents) -> FieldContents {
        let t = c.totals
        func seconds(_ values: [Double]) -> FieldContents { .numbers(values.map { Double(Totals.seconds($0)) }) }
        switch id {
        case .written: return .stamp(c.written)
        case .period: return .stamp(c.period)
        case .energy: return .integrators(t.energy)
        case .energyTotal: return .integrators([t.energyTotal])
        case .volume: return .integrators(t.volume)
        case .mass: return .integrators(t.mass)
        case .temperature: return .numbers(c.temperatures)
        case .pressure: return .numbers(c.pressures)
        case .timePowered: return seconds([t.timePowered])
        case .timeNormal: return seconds(t.timeNormal)
        case .timeBelowGMin: return seconds(t.timeBelowGMin)
        case .timeAboveGMax: return seconds(t.timeAboveGMax)
        case .timeBelowDtMin: return seconds(t.timeBelowDtMin)
        case .timeFault: return seconds(t.timeFault)
        case .errors: return .numbers(c.errors.map(Double.init))
        case .comma: return .numbers(c.comma.map(Double.init))
        // `volume_dop_l`/`volume_dop_h`: the extra flowmeters' fractions, and their wholes as float32 too.
        case .extraVolume: return .integrators(t.extraVolume)
        // Its algorithm is not given by the seed; here the frame checksum of the bytes before it.
        case .checksum: return .checksum
        }
    }
}

extension Array where Element == UInt8 {
    /// Stores `contents` where and as `field` says; the contents must fit the field's coding.
    fileprivate mutating func store(_ contents: ArchiveRecordEncoder.FieldContents, in field: ArchiveRecordLayout.Field) {
        switch (contents, field.coding) {
        case let (.stamp(clock), .stamp):
            store(bytes: clock.archiveStampBytes, at: field.offset)
        case let (.integrators(counters), .integrator(whole, _)):
            precondition(counters.count == field.count, "\(field.id): \(field.count) integrators")
            store(counters: counters, fraction: field.offset, whole: whole)
        case let (.integrators(counters), .extraIntegrator(whole, _)):
            precondition(counters.count == field.count, "\(field.id): \(field.count) integrators")
            for (i, c) in counters.enumerated() {
                store(c.fraction, at: field.offset + 4 * i)
                store(Float(c.whole), at: whole + 4 * i)
            }
        case let (.numbers(values), .number(type)):
            precondition(values.count == field.count, "\(field.id): \(field.count) numbers")
            for (i, v) in values.enumerated() {
                let at = field.offset + type.size * i
                switch type {
                case .f32: store(Float(v), at: at)
                case .u32: store(UInt32(v), at: at)
                case .u8: self[at] = UInt8(v)
                default: preconditionFailure("\(field.id): the simulator writes no \(type) fields")
                }
            }
        case (.checksum, .number(.u8)):
            var sum: UInt8 = 0
            for i in 0..<field.offset { sum &+= self[i] }
            self[field.offset] = ~sum
        default:
            preconditionFailure("\(field.id): \(contents) does not fit \(field.coding)")
        }
    }
}
