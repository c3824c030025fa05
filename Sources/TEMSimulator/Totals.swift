import Glibc

/// An integrator as the meter keeps it: a whole part L (uint32, wraps) and a float fraction F in
/// [0, 1), both in units of 1/k, so that the value is (L + F) / k.
struct Counter: Sendable, Hashable {
    /// Whole units of 1/k since the counter started (L is its low 32 bits).
    private(set) var wholeUnits: UInt64 = 0
    /// The fraction, kept in [0, 1).
    private(set) var fractionUnits: Double = 0

    init(units: Double = 0) { add(units) }

    /// Adds `units` (≥ 0) of 1/k: F grows and rolls over into L.
    mutating func add(_ units: Double) {
        guard units > 0, units.isFinite else { return }
        fractionUnits += units
        if fractionUnits >= 1 {
            let carry = fractionUnits.rounded(.down)
            wholeUnits &+= UInt64(carry)
            fractionUnits -= carry
        }
    }

    /// The counter `units` earlier, not below zero.
    func minus(_ units: Double) -> Counter {
        Counter(units: max(0, Double(wholeUnits) + fractionUnits - units))
    }

    /// L as the meter stores it.
    var whole: UInt32 { UInt32(truncatingIfNeeded: wholeUnits) }
    /// F as the meter stores it: float32, rounded down so it never reaches 1.
    var fraction: Float { min(Float(fractionUnits), Float(1).nextDown) }
}

/// Everything a meter integrates: energy, volume and mass integrators and the time counters.
struct Totals: Sendable, Hashable {
    /// `lvolume`/`volume` per flow channel (units of 1/kV).
    var volume = [Counter](repeating: Counter(), count: 6)
    /// `lmass`/`mass` per flow channel (units of 1/kV).
    var mass = [Counter](repeating: Counter(), count: 6)
    /// `lenergy`/`energy` per system (units of 1/kQ).
    var energy = [Counter](repeating: Counter(), count: 6)
    /// `lenergyall`/`energyall` (units of 1/kQ of system 1).
    var energyTotal = Counter()
    /// `lvolume_78`/`volume_78` (units of 1/kV of channel 1).
    var extraVolume = [Counter](repeating: Counter(), count: 2)
    /// `time_wrkall`, seconds.
    var timePowered: Double = 0
    /// `time_wrk`, `time_e1` … `time_e4` per system, seconds.
    var timeNormal = [Double](repeating: 0, count: 6)
    var timeBelowGMin = [Double](repeating: 0, count: 6)
    var timeAboveGMax = [Double](repeating: 0, count: 6)
    var timeBelowDtMin = [Double](repeating: 0, count: 6)
    var timeFault = [Double](repeating: 0, count: 6)

    /// Adds `seconds` of an error-free or erroneous run of one system to the counter its error
    /// bits (archive `error` byte) select.
    mutating func addTime(_ seconds: Double, system s: Int, errors: UInt8) {
        if errors == 0 { timeNormal[s] += seconds }
        if errors & 0x03 != 0 { timeBelowGMin[s] += seconds }
        if errors & 0x0C != 0 { timeAboveGMax[s] += seconds }
        if errors & 0x10 != 0 { timeBelowDtMin[s] += seconds }
        if errors & 0x60 != 0 { timeFault[s] += seconds }
    }

    /// The totals `seconds` earlier, integrators lowered by `unitsPerSecond` (same shape as
    /// `Totals`), never below zero. Used to write plausible monthly records before the history.
    func earlier(by seconds: Double, unitsPerSecond rate: Totals) -> Totals {
        var t = self
        for i in 0..<6 {
            t.volume[i] = volume[i].minus(rate.volume[i].value * seconds)
            t.mass[i] = mass[i].minus(rate.mass[i].value * seconds)
            t.energy[i] = energy[i].minus(rate.energy[i].value * seconds)
            t.timeNormal[i] = max(0, timeNormal[i] - seconds)
        }
        for i in 0..<2 { t.extraVolume[i] = extraVolume[i].minus(rate.extraVolume[i].value * seconds) }
        t.energyTotal = energyTotal.minus(rate.energyTotal.value * seconds)
        t.timePowered = max(0, timePowered - seconds)
        return t
    }

    /// The totals with every integrator's units multiplied by its channel's factor (`volume`
    /// for volume and mass, `energy` for energy; `energy.total` and the extra flowmeters by
    /// channel 1's), as when the meter's `comma` codes change and its totals do not.
    func rescaled(volume v: [Double], energy q: [Double]) -> Totals {
        var t = self
        for i in 0..<6 {
            t.volume[i] = Counter(units: volume[i].value * v[i])
            t.mass[i] = Counter(units: mass[i].value * v[i])
            t.energy[i] = Counter(units: energy[i].value * q[i])
        }
        t.energyTotal = Counter(units: energyTotal.value * q[0])
        for i in 0..<2 { t.extraVolume[i] = Counter(units: extraVolume[i].value * v[0]) }
        return t
    }

    /// Seconds as the meter stores them (uint32).
    static func seconds(_ value: Double) -> UInt32 { UInt32(truncatingIfNeeded: UInt64(max(0, value))) }
}

extension Counter {
    /// L + F in units of 1/k, as one number.
    var value: Double { Double(wholeUnits) + fractionUnits }
}
