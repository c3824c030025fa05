import Glibc

/// What a simulated meter measures: a two-system substation (system 1 an open heating circuit on
/// flow channels 1–2, system 2 hot water with circulation on channels 3–4, cold water on
/// temperature channel 5, a make-up flowmeter on extra channel 7).
///
/// Every reading is a smooth function of the meter's time, with amplitudes and phases drawn from
/// the seed: the same seed and time give the same readings.
struct HeatingProcess: Sendable, Hashable {
    /// The readings at one instant, by channel (index 0 = channel 1).
    struct Readings: Sendable {
        /// `t_n`, °C (7 channels).
        var temperatures = [Double](repeating: 0, count: 7)
        /// `p_n`, MPa (7 channels).
        var pressures = [Double](repeating: 0, count: 7)
        /// `rashod_v`, m³/h.
        var flows = [Double](repeating: 0, count: 6)
        /// `gv_78`, m³/h (extra flowmeters 7, 8).
        var extraFlows = [Double](repeating: 0, count: 2)
        /// `rashod_m`, t/h.
        var massFlows = [Double](repeating: 0, count: 6)
        /// `freqan_v`, Hz.
        var frequencies = [Double](repeating: 0, count: 6)
        /// Thermal power of each system, MW.
        var power = [Double](repeating: 0, count: 6)
    }

    /// Configuration the readings depend on (also written to T2K).
    static let gMax: [Double] = [36, 36, 9, 9, 0, 0]
    static let fMaxKHz: [Double] = [1, 1, 1, 1, 0, 0]

    private let phases: [Double]
    private let flowScale: Double
    private let waterScale: Double

    init(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        phases = (0..<16).map { _ in random.double(in: 0...(2 * .pi)) }
        flowScale = random.double(in: 0.8...1.2)
        waterScale = random.double(in: 0.7...1.3)
    }

    /// The readings at meter time `t` (Unix seconds).
    func readings(at t: Double) -> Readings {
        func wave(_ period: Double, _ phase: Int) -> Double { sin(2 * .pi * t / period + phases[phase]) }
        let hour = 3600.0, day = 86_400.0
        var r = Readings()
        // Heating circuit: supply ~70–90 °C, return ~40–60 °C, following one slow load cycle.
        r.temperatures[0] = 80 + 7 * wave(6 * hour, 0) + 1.5 * wave(47 * 60, 1)
        r.temperatures[1] = 50 + 7 * wave(6 * hour, 0) * 0.9 + 1.5 * wave(53 * 60, 2)
        // Hot water supply and circulation return, cold water.
        r.temperatures[2] = 62 + 2 * wave(2 * hour, 3)
        r.temperatures[3] = 52 + 2 * wave(2 * hour, 4)
        r.temperatures[4] = 8 + 1 * wave(day, 5)
        r.pressures[0] = 0.55 + 0.04 * wave(3 * hour, 6)
        r.pressures[1] = 0.35 + 0.04 * wave(3 * hour, 7)
        r.pressures[2] = 0.45 + 0.03 * wave(hour, 8)
        r.pressures[3] = 0.42 + 0.03 * wave(hour, 9)
        r.flows[0] = flowScale * (12 + 2 * wave(4 * hour, 10))
        r.flows[1] = r.flows[0] * (0.97 + 0.01 * wave(5 * hour, 11))
        // Hot water supply = circulation return + what is drawn off (most by day).
        r.flows[3] = waterScale * (1.8 + 0.2 * wave(90 * 60, 13))
        r.flows[2] = r.flows[3] + waterScale * (1.0 + 0.8 * wave(day, 12))
        r.extraFlows[0] = 0.6 + 0.3 * wave(day, 14)
        for ch in 0..<4 {
            r.massFlows[ch] = r.flows[ch] * Self.density(r.temperatures[ch]) / 1000
            r.frequencies[ch] = r.flows[ch] / Self.gMax[ch] * Self.fMaxKHz[ch] * 1000
        }
        // Power, MW: mass flow (t/h) × specific heat 4.19 kJ/(kg·K) × ΔT over cold water / 3600.
        let cold = r.temperatures[4]
        r.power[0] = max(
            0, (r.massFlows[0] * (r.temperatures[0] - cold) - r.massFlows[1] * (r.temperatures[1] - cold)) * 4.19 / 3600)
        r.power[1] = max(
            0, (r.massFlows[2] * (r.temperatures[2] - cold) - r.massFlows[3] * (r.temperatures[3] - cold)) * 4.19 / 3600)
        return r
    }

    /// Water density, kg/m³ (a fit good to a few kg/m³ between 4 and 100 °C).
    static func density(_ celsius: Double) -> Double {
        1000 * (1 - (celsius - 4) * (celsius - 4) * 4.7e-6)
    }
}
