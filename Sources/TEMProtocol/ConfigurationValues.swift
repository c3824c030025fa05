/// The programmed configuration a billing check needs, by name (issue 19): which channels each
/// system uses, the sensors used, the programmed temperatures and pressures, pulse weights, the
/// extra flowmeters' limits and diameters. All are configuration (`isConfiguration`): read with
/// the configuration tier, not every poll.
///
/// Addresses are the seed's §5.1 (`T2KMap`). Bytes the seed calls bit fields are served as
/// they are (a uint16 register holds the byte; bit 0 = channel 1). Where the seed gives no
/// encoding (`used_*`, `rshm`) the byte is served raw.
enum ConfigurationValues {
    static let definitions: [ValueDefinition] = build()

    /// `f_max` F[6]: the channel each element belongs to. The seed: "the first two elements
    /// are the frequency of channels 7 and 8 (extra flowmeters), then channels 3 to 6".
    static let fMaxChannels = [7, 8, 3, 4, 5, 6]

    private static func build() -> [ValueDefinition] {
        var out: [ValueDefinition] = []
        func add(_ name: String, _ unit: String, _ description: String, _ source: ValueSource) {
            out.append(ValueDefinition(name: name, unit: unit, description: description, source: source, isConfiguration: true))
        }
        func byte(_ base: UInt16, _ n: Int) -> ValueSource { .field(address: base + UInt16(n - 1), type: .u8) }
        func f32(_ base: UInt16, _ n: Int) -> ValueSource { .field(address: base + UInt16(4 * (n - 1)), type: .f32) }

        let kinds: [(name: String, seed: String, address: UInt16)] = [
            ("flow", "sys_g", T2KMap.systemFlowChannels),
            ("temperature", "sys_t", T2KMap.systemTemperatureChannels),
            ("pressure", "sys_p", T2KMap.systemPressureChannels),
        ]
        for kind in kinds {
            for n in 1...6 {
                add(
                    "channels.\(kind.name).\(n)", "",
                    "\(kind.name) channels system \(n) uses (\(kind.seed), bit field: bit 0 = channel 1)",
                    byte(kind.address, n))
            }
        }
        add(
            "sensors_used.flow", "", "flow sensors used (used_g, raw byte; tells frequency or pulse sensors)",
            byte(T2KMap.usedFlowSensors, 1))
        add("sensors_used.temperature", "", "temperature sensors used (used_t, raw byte)", byte(T2KMap.usedTemperatureSensors, 1))
        add("sensors_used.pressure", "", "pressure sensors used (used_p, raw byte)", byte(T2KMap.usedPressureSensors, 1))
        for n in 1...6 {
            add(
                "flowmeter_binding.\(n)", "", "binding of the flowmeters to the systems, element \(n) (rshm, raw byte)",
                byte(T2KMap.flowmeterBinding, n))
        }
        for n in 1...8 {
            add(
                "programmed_temperature.\(n)", "°C", "programmed temperature \(n), used without a sensor (t_p)",
                f32(T2KMap.programmedTemperature, n))
        }
        for n in 1...8 {
            add(
                "programmed_pressure.\(n)", "MPa", "programmed pressure \(n), used without a sensor (p_p)",
                f32(T2KMap.programmedPressure, n))
        }
        for n in 1...6 { add("pulse_weight.\(n)", "", "pulse weight, flow channel \(n) (Weight)", f32(T2KMap.pulseWeight, n)) }
        for n in 7...8 {
            add("gmax.\(n)", "m³/h", "maximum flow Gmax, extra flowmeter \(n) (g_max78)", f32(T2KMap.gMax78, n - 6))
        }
        for (i, channel) in fMaxChannels.enumerated().sorted(by: { $0.element < $1.element }) {
            add(
                "fmax.\(channel)", "kHz", "maximum frequency, flow channel \(channel) (f_max element \(i + 1))",
                f32(T2KMap.fMax, i + 1))
        }
        for n in 7...8 {
            add(
                "diameter.\(n)", "mm",
                "flow channel diameter, extra flowmeter \(n) (diam78; only where comma is proven at 0x02E8)",
                .sharedWithComma(address: T2KMap.diameter78 + UInt16(2 * (n - 7)), type: .u16))
        }
        return out
    }
}

/// PROTOCOL-NOTES decision 1: the seed lists `diam78` I[2] and `comma` C[6] both at 0x02FA.
/// The bytes there are `diam78` only where `comma` is known to live at 0x02E8; otherwise they
/// are the `comma` codes, and `diameter.7`/`diameter.8` are missing (NaN, exception 0B).
public enum SharedCommaBytes {
    /// True when `decision` proves `comma` lives at 0x02E8, so 0x02FA holds `diam78`: the
    /// newest archive record's `comma` agrees with 0x02E8's codes, or the map or command line
    /// fixed 0x02E8, or the live integrators scaled with 0x02E8's codes carry on from the newest
    /// record's (`continuousWithRecord`). A guess (`fallbackValid`, `neitherValid`) proves nothing,
    /// nor do both locations holding the same bytes (`sameEitherWay`). The switch is exhaustive so
    /// that a new reason is decided here.
    public static func readable(under decision: CommaDecision) -> Bool {
        guard decision.address == .hole else { return false }
        switch decision.reason {
        case .agreesWithRecord, .continuousWithRecord, .override: return true
        case .sameEitherWay, .fallbackValid, .neitherValid: return false
        }
    }
}
