/// Addresses of the timer memory "T2K" (2 KiB, read with command 0F 01), from §5.1 of the seed.
///
/// The seed's names are kept here, each next to its English meaning; everything above this
/// file speaks of value names (`temperature.1`) instead.
public enum T2KMap {
    /// The size of T2K memory.
    public static let size = 0x800

    // Configuration
    /// `systems` C: number of heat systems configured (1...6).
    public static let systems: UInt16 = 0x0000
    /// `system_t` C[6]: scheme type of each system (0 supply, 1 return, …, 9 temperature).
    public static let systemType: UInt16 = 0x0001
    /// `sys_g` C[6]: the flow channels each system uses, a bit field (0x05 = channels 1 and 3).
    public static let systemFlowChannels: UInt16 = 0x0007
    /// `sys_t` C[6]: the temperature channels each system uses, a bit field.
    public static let systemTemperatureChannels: UInt16 = 0x000D
    /// `sys_p` C[6]: the pressure channels each system uses, a bit field.
    public static let systemPressureChannels: UInt16 = 0x0013
    /// `used_g` C: the flow sensors used (§6.1.8: their type, frequency or pulse, can be told
    /// from it; the seed gives no encoding).
    public static let usedFlowSensors: UInt16 = 0x0019
    /// `used_t` C: the temperature sensors used.
    public static let usedTemperatureSensors: UInt16 = 0x001A
    /// `used_p` C: the pressure sensors used.
    public static let usedPressureSensors: UInt16 = 0x001B
    /// `t_p` F[8]: programmed temperatures, °C (used where a channel has no sensor).
    public static let programmedTemperature: UInt16 = 0x0024
    /// `dt_min` F[6]: minimum temperature difference per system, °C.
    public static let dtMin: UInt16 = 0x0044
    /// `p_p` F[8]: programmed pressures, MPa.
    public static let programmedPressure: UInt16 = 0x0074
    /// `Weight` F[6]: pulse weight per flow channel (the seed gives no unit).
    public static let pulseWeight: UInt16 = 0x00D0
    /// `g_max78` F[2]: maximum flow of the extra flowmeters 7 and 8, m³/h.
    public static let gMax78: UInt16 = 0x00F0
    /// `f_max` F[6]: maximum frequency, kHz. The seed: "the first two elements are the frequency
    /// of channels 7 and 8 (extra flowmeters), then channels 3 to 6".
    public static let fMax: UInt16 = 0x0104
    /// `g_max` F[6]: maximum flow per channel, m³/h.
    public static let gMax: UInt16 = 0x0134
    /// `g_pcmt_max` C[6]: the set Gmax as a percentage of `g_max`.
    public static let gMaxPercent: UInt16 = 0x014C
    /// `Number` L: factory serial number.
    public static let serialNumber: UInt16 = 0x0152
    /// `FLASH_TYPE` I: installed Flash, 0x1F24 = 512 KiB, 0x1F25 = 1 MiB.
    public static let flashType: UInt16 = 0x0168
    /// `net_num` C: the meter's network address.
    public static let networkAddress: UInt16 = 0x0172

    // Current values
    /// `t_n` F[7]: temperatures, °C.
    public static let temperature: UInt16 = 0x0200
    /// `p_n` F[7]: pressures, MPa.
    public static let pressure: UInt16 = 0x0234
    /// `gv_78` F[2]: volume flow of the extra flowmeters 7 and 8, m³/h.
    public static let flow78: UInt16 = 0x0280
    /// `rashod_v` F[6]: volume flow, m³/h.
    public static let volumeFlow: UInt16 = 0x0288
    /// `rashod_m` F[6]: mass flow, t/h.
    public static let massFlow: UInt16 = 0x02A0
    /// `freqan_v` F[6]: flowmeter frequency, Hz.
    public static let frequency: UInt16 = 0x02D0
    /// `diam` I[6]: flow channel diameter, mm.
    public static let diameter: UInt16 = 0x02EE
    /// `diam78` I[2]: diameter of the extra flowmeters 7 and 8, mm. The seed lists it at the
    /// same address as `comma`; see PROTOCOL-NOTES decision 1 and `SharedCommaBytes`.
    public static let diameter78: UInt16 = 0x02FA
    /// `comma` C[6]: decimal-point code that scales each channel's integrators.
    /// The seed also lists `diam78` here; see PROTOCOL-NOTES decision 1.
    public static let comma: UInt16 = 0x02FA
    /// `lvolume` F[6] / `volume` L[6]: volume integrator, fraction and whole parts, m³.
    public static let volumeFraction: UInt16 = 0x0300
    public static let volumeWhole: UInt16 = 0x0318
    /// `lmass` F[6] / `mass` L[6]: mass integrator, t.
    public static let massFraction: UInt16 = 0x0330
    public static let massWhole: UInt16 = 0x0348
    /// `lenergy` F[6] / `energy` L[6]: energy integrator, MWh.
    public static let energyFraction: UInt16 = 0x0360
    public static let energyWhole: UInt16 = 0x0378
    /// `lenergyall` F / `energyall` L: total energy, MWh.
    public static let energyTotalFraction: UInt16 = 0x0390
    public static let energyTotalWhole: UInt16 = 0x0394
    /// `time_wrkall` L: seconds powered.
    public static let timePowered: UInt16 = 0x0400
    /// `time_wrk` L[6]: seconds each system ran without error.
    public static let timeNormal: UInt16 = 0x0404
    /// `time_e1` L[6]: seconds with flow below minimum.
    public static let timeBelowGMin: UInt16 = 0x041C
    /// `time_e2` L[6]: seconds with flow above maximum.
    public static let timeAboveGMax: UInt16 = 0x0434
    /// `time_e3` L[6]: seconds with ΔT below minimum.
    public static let timeBelowDtMin: UInt16 = 0x044C
    /// `time_e4` L[6]: seconds with a technical fault.
    public static let timeFault: UInt16 = 0x0464
    /// `rtc_*_2k` BCD ×6: the clock, seconds, minutes, hours, day, month, year (2 digits).
    public static let clock: UInt16 = 0x0482
    /// `rshm` C[6]: "binding of the flowmeters to the systems" (the seed gives no encoding).
    public static let flowmeterBinding: UInt16 = 0x0488
    /// `g_pcmt_min` C[6]: the set Gmin in units of 0.05 % of `g_max`.
    public static let gMinPermille: UInt16 = 0x04BE
    /// `lvolume_78` F[2] / `volume_78` L[2]: volume of the extra flowmeters 7 and 8, m³.
    public static let volume78Fraction: UInt16 = 0x04DC
    public static let volume78Whole: UInt16 = 0x04E4
    /// `adr_hour`, `adr_day`, `adr_month` L: Flash address (+ 0x200000) of the record written next.
    public static let nextHourlyRecord: UInt16 = 0x04F4
    public static let nextDailyRecord: UInt16 = 0x04F8
    public static let nextMonthlyRecord: UInt16 = 0x04FC
}
