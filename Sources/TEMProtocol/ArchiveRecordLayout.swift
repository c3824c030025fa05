/// The 384-byte archive record (seed §5.2) as one table: where each field lies, how it is stored,
/// how it becomes a value, and the value's name, unit and meaning. `ArchiveRecord(bytes:)`
/// decodes by it, `ValueCatalog` publishes `archive.KIND.*` names from it, the simulator encodes
/// by it and docs/MAPPING.md shows it (a test keeps that table equal to this one).
public enum ArchiveRecordLayout {
    /// Every field of the record, in the order its values are listed (catalog, export columns);
    /// `offset` places each one. Fields without a value name are stored but not published.
    public static let fields: [Field] = [
        .init(
            .written, at: 0x000, .stamp, seed: ["hour", "day", "month", "year"],
            value: "time", unit: "s", "when the record was written, Unix seconds (meter local time as UTC)"),
        .init(
            .period, at: 0x175, .stamp, seed: ["pred_hh", "pred_dm", "pred_my", "pred_yc"],
            value: "period", unit: "s", "start of the hour/day the record covers, Unix seconds"),
        .init(
            .energy, at: 0x064, .integrator(whole: 0x07C, .energy), count: 6, seed: ["lenergy", "energy"],
            value: "energy", unit: "MWh", "energy, system N"),
        // PROTOCOL-NOTES decision 3: energyall is scaled by system 1's comma.
        .init(
            .energyTotal, at: 0x094, .integrator(whole: 0x098, .energy), seed: ["lenergyall", "energyall"],
            value: "energy.total", unit: "MWh", "total energy"),
        .init(
            .volume, at: 0x004, .integrator(whole: 0x01C, .volume), count: 6, seed: ["lvolume", "volume"],
            value: "volume", unit: "m³", "volume, channel N"),
        // `volume_dop_l` (F parts) and `volume_dop_h` (whole parts, float32 too): the extra
        // flowmeters 7 and 8, scaled like the live `volume.7`/`volume.8` by system 1's comma.
        .init(
            .extraVolume, at: 0x152, .extraIntegrator(whole: 0x15A, .volume), count: 2, first: 7,
            seed: ["volume_dop_l", "volume_dop_h"], value: "volume", unit: "m³",
            "volume, extra flowmeter N (scaled by system 1's comma)"),
        .init(
            .mass, at: 0x034, .integrator(whole: 0x04C, .volume), count: 6, seed: ["lmass", "mass"],
            value: "mass", unit: "t", "mass, channel N"),
        .init(
            .temperature, at: 0x11E, .number(.f32), count: 7, seed: ["mt"],
            value: "temperature", unit: "°C", "temperature, channel N"),
        .init(
            .pressure, at: 0x13A, .number(.f32), count: 6, seed: ["mp"],
            value: "pressure", unit: "MPa", "pressure, channel N"),
        .init(
            .timePowered, at: 0x09C, .number(.u32), seed: ["time_wrkall"],
            value: "time.powered", unit: "s", "seconds powered"),
        .init(
            .timeNormal, at: 0x0A0, .number(.u32), count: 6, seed: ["time_wrk"], listed: .bySystem,
            value: "time.normal", unit: "s", "seconds system N ran without error"),
        .systemSeconds(.timeBelowGMin, at: 0x0B8, seed: "time_e1", value: "time.below_gmin", "with flow below minimum"),
        .systemSeconds(.timeAboveGMax, at: 0x0D0, seed: "time_e2", value: "time.above_gmax", "with flow above maximum"),
        .systemSeconds(.timeBelowDtMin, at: 0x0E8, seed: "time_e3", value: "time.below_dtmin", "with ΔT below minimum"),
        .systemSeconds(.timeFault, at: 0x100, seed: "time_e4", value: "time.fault", "with a technical fault"),
        .init(
            .errors, at: 0x16A, .number(.u8), count: 6, seed: ["error"],
            value: "errors", "error bits of system N"),
        .init(
            .comma, at: commaOffset, .number(.u8), count: 6, seed: ["comma"],
            "scaling code of system N's integrators: k of (L + F) / k"),
        .init(
            .checksum, at: 0x17F, .number(.u8), seed: ["checksum"],
            "record checksum (one byte; the seed gives no type); not verified, the seed gives no algorithm"),
    ]

    /// `comma` C[6]: the record's own scaling codes. An integrator of system N is scaled by the
    /// byte at `commaOffset + N - 1`; `energyall` (one value) by system 1's.
    public static let commaOffset = 0x118

    /// The field `id` names.
    public static func field(_ id: Field.ID) -> Field { byID[id]! }

    private static let byID = Dictionary(uniqueKeysWithValues: fields.map { ($0.id, $0) })

    /// The published values in listing order, as `ArchiveRecord.values` keys them (without
    /// `archive.KIND.`). A run of rows listed `bySystem` goes system by system
    /// (`time.normal.1`, `time.below_gmin.1`, …, `time.normal.2`, …), as the live values do.
    public static let values: [Value] = {
        var out: [Value] = []
        let published = fields.filter { $0.value != nil }
        var row = 0
        while row < published.count {
            var run = [published[row]]
            while run[0].listed == .bySystem, row + run.count < published.count,
                published[row + run.count].listed == .bySystem
            {
                run.append(published[row + run.count])
            }
            for n in 1...run[0].count {
                for field in run { out.append(Value(field: field, index: n)) }
            }
            row += run.count
        }
        return out
    }()

    /// One published value: element `index` (1-based) of `field`.
    public struct Value: Sendable, Hashable {
        public let field: Field
        public let index: Int
        /// `energy.1`, `energy.total`, `time`.
        public let name: String
        public let description: String
        public var unit: String { field.unit }

        init(field: Field, index: Int) {
            self.field = field
            self.index = index
            self.name = field.name(index)!
            self.description = field.description(index)
        }
    }

    /// One row of `ArchiveRecordLayout.fields`: one seed array (two for an integrator's F and L).
    public struct Field: Sendable, Hashable {
        /// Which field: one case per row.
        public enum ID: String, Sendable, Hashable, CaseIterable {
            case written, period, energy, energyTotal, volume, mass, temperature, pressure, timePowered
            case timeNormal, timeBelowGMin, timeAboveGMax, timeBelowDtMin, timeFault, errors
            case comma, extraVolume, checksum
        }

        /// How the bytes become a value.
        public enum Coding: Sendable, Hashable {
            /// Four BCD bytes hour, day, month, year (2 digits); the value is Unix seconds.
            case stamp
            /// `count` numbers of one type, one after another.
            case number(FieldType)
            /// (L + F) / k: float32 fractions F at `offset`, uint32 wholes L at `whole`, k from the
            /// record's `comma` byte of the same system (`ArchiveRecordLayout.commaOffset`).
            case integrator(whole: Int, Integrator.Scaling)
            /// (H + F) / k with both parts float32 (`volume_dop_h`, `volume_dop_l`): fractions F at
            /// `offset`, wholes H at `whole`, k from system 1's `comma` byte (the seed gives the extra
            /// flowmeters none; the live `volume.7`/`volume.8` are scaled the same way).
            case extraIntegrator(whole: Int, Integrator.Scaling)
        }

        /// How the field's values are listed.
        public enum Listing: Sendable, Hashable {
            /// All of this field's values, then the next field's.
            case byField
            /// With the neighbouring `bySystem` rows, system by system.
            case bySystem
        }

        public let id: ID
        /// Record offset of the first byte (of the F array for an integrator).
        public let offset: Int
        public let coding: Coding
        /// Elements: systems or channels. One gives a bare name (`energy.total`), more `NAME.N`.
        public let count: Int
        /// The number of the first element in names (`volume.7` for the extra flowmeters).
        public let first: Int
        /// The seed's names of the arrays: four stamp bytes, an integrator's F and L, else one.
        public let seed: [String]
        public let listed: Listing
        /// The value name (`energy`, `time.powered`), or nil for a field that is not published.
        public let value: String?
        public let unit: String
        /// Meaning; `N` stands for the system or channel number.
        public let descriptionTemplate: String

        init(
            _ id: ID, at offset: Int, _ coding: Coding, count: Int = 1, first: Int = 1, seed: [String],
            listed: Listing = .byField,
            value: String? = nil, unit: String = "", _ description: String
        ) {
            self.id = id
            self.offset = offset
            self.coding = coding
            self.count = count
            self.first = first
            self.seed = seed
            self.listed = listed
            self.value = value
            self.unit = unit
            self.descriptionTemplate = description
        }

        /// A row like `time.below_gmin`: six u32 counters (one per system), listed system by system,
        /// each the seconds of system N spent in `state` (`with flow below minimum`).
        static func systemSeconds(_ id: ID, at offset: Int, seed: String, value: String, _ state: String) -> Field {
            Field(
                id, at: offset, .number(.u32), count: 6, seed: [seed], listed: .bySystem, value: value, unit: "s",
                "seconds of system N \(state)")
        }

        /// Bytes one element occupies (per array, for an integrator).
        public var stride: Int {
            switch coding {
            case .stamp: 4
            case let .number(type): type.size
            case .integrator, .extraIntegrator: 4
            }
        }

        /// The byte ranges the field occupies: one array, or an integrator's F and L arrays.
        public var ranges: [Range<Int>] {
            let length = stride * count
            switch coding {
            case let .integrator(whole, _), let .extraIntegrator(whole, _):
                return [offset..<(offset + length), whole..<(whole + length)]
            default: break
            }
            return [offset..<(offset + length)]
        }

        /// Element `n` (1-based) decoded from a whole `record`: a stamp as Unix seconds (nil if it
        /// is not a real date), a number, or an integrator scaled by the record's own `comma`.
        public func value(_ n: Int, in record: ArraySlice<UInt8>) -> Double? {
            let base = record.startIndex, at = base + offset + stride * (n - 1)
            switch coding {
            case .stamp:
                guard let clock = MeterClock(archiveStamp: Array(record[at..<(at + 4)])), clock.isValid else { return nil }
                return clock.unixSeconds.map(Double.init)
            case let .number(type):
                return type.decode(record[at...])
            case let .integrator(whole, scaling):
                let l = BigEndian.uint32(record, at: base + whole + 4 * (n - 1))
                let f = Float(bitPattern: BigEndian.uint32(record, at: at))
                return scaling.value(whole: l, fraction: f, comma: record[base + ArchiveRecordLayout.commaOffset + n - 1])
            case let .extraIntegrator(whole, scaling):
                let h = Float(bitPattern: BigEndian.uint32(record, at: base + whole + 4 * (n - 1)))
                let f = Float(bitPattern: BigEndian.uint32(record, at: at))
                return (Double(h) + Double(f)) / scaling.divisor(comma: record[base + ArchiveRecordLayout.commaOffset])
            }
        }

        /// The value name of element `n` (1-based): bare for a one-element field, else `NAME.M`
        /// with M = n + `first` − 1.
        public func name(_ n: Int) -> String? {
            guard let value else { return nil }
            return count == 1 ? value : "\(value).\(n + first - 1)"
        }

        /// The meaning of element `n`: the template with `N` replaced by its number.
        public func description(_ element: Int) -> String {
            let n = element + first - 1
            var out = ""
            let characters = Array(descriptionTemplate)
            for (i, c) in characters.enumerated() {
                let standsAlone =
                    (i == 0 || !characters[i - 1].isLetter) && (i + 1 == characters.count || !characters[i + 1].isLetter)
                out += c == "N" && standsAlone ? "\(n)" : String(c)
            }
            return out
        }
    }
}
