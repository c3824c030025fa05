import Glibc
import TEMProtocol
import Testing

@testable import TEMSimulator

@Suite struct SimulatedMeterTests {
    @Test func configurationDecodesAsDocumented() {
        let one = SimulatedMeter(address: 1, options: frozenOptions())
        let two = SimulatedMeter(address: 2, options: frozenOptions())
        let v = decode(one.t2k())
        #expect(v["systems"] == 2)
        #expect(v["system_type.1"] == 4)
        #expect(v["system_type.2"] == 7)
        #expect(v["network_address"] == 1)
        #expect(decode(two.t2k())["network_address"] == 2)
        #expect(v["flash_kib"] == 512)
        #expect(v["diameter.1"] == 50)
        #expect(v["gmax.1"] == 36)
        #expect(v["dt_min.1"] == 3)
        #expect(v["gmax_set.1"] == 36)
        #expect(abs(v["gmin_set.1"]! - 0.72) < 1e-6)
        #expect(v["serial_number"] == Double(one.serialNumber))
        #expect(one.serialNumber != two.serialNumber)
        #expect(Array(one.t2k()[0x2FA..<0x300]) == [3, 4, 3, 3, 3, 3])
        #expect(
            Array(one.t2k()[0x0007..<0x001C]) == [
                0x03, 0x0C, 0, 0, 0, 0, 0x13, 0x1C, 0, 0, 0, 0, 0x03, 0x0C, 0, 0, 0, 0, 0x0F, 0x1F, 0x0F,
            ])
        let big = SimulatedMeter(address: 1, options: frozenOptions(flash: .mib1))
        #expect(decode(big.t2k())["flash_kib"] == 1024)
        #expect(Array(big.t2k()[0x168...0x169]) == [0x1F, 0x25])
        #expect(Array(one.t2k()[0x168...0x169]) == [0x1F, 0x24])
    }

    @Test func readingsAreInRealisticRanges() {
        var meter = SimulatedMeter(address: 1, options: frozenOptions())
        for _ in 0..<48 {
            meter.advance(by: 1800)
            let v = decode(meter.t2k())
            #expect((70...90).contains(v["temperature.1"]!))
            #expect((40...60).contains(v["temperature.2"]!))
            #expect(v["temperature.1"]! > v["temperature.2"]!)
            for n in 1...4 { #expect((0.3...0.6).contains(v["pressure.\(n)"]!)) }
            #expect(v["flow.1"]! > 5 && v["flow.1"]! < 36)
            #expect(v["mass_flow.1"]! < v["flow.1"]!)
            #expect(v["mass_flow.1"]! > 0.9 * v["flow.1"]!)
            #expect(v["frequency.1"]! > 0)
            #expect(v["flow.7"]! > 0)
            #expect(v["flow.5"] == 0)
        }
    }

    @Test func sameSeedSameBytesOtherSeedOtherValues() {
        let a = SimulatedMeter(address: 1, options: frozenOptions(seed: 5))
        let b = SimulatedMeter(address: 1, options: frozenOptions(seed: 5))
        let c = SimulatedMeter(address: 1, options: frozenOptions(seed: 6))
        #expect(a.t2k() == b.t2k())
        #expect(decode(a.t2k())["energy.1"] != decode(c.t2k())["energy.1"])
        #expect(decode(a.t2k())["temperature.1"] != decode(c.t2k())["temperature.1"])
    }

    @Test func valuesMoveWithTime() {
        var meter = SimulatedMeter(address: 1, options: frozenOptions())
        let before = decode(meter.t2k())
        meter.advance(by: 600)
        let after = decode(meter.t2k())
        for name in ["temperature.1", "temperature.2", "pressure.1", "flow.1", "mass_flow.1", "frequency.1"] {
            #expect(before[name] != after[name], "\(name) did not move")
        }
        for name in ["energy.1", "energy.2", "energy.total", "volume.1", "volume.3", "mass.1", "volume.7"] {
            #expect(after[name]! > before[name]!, "\(name) did not grow")
        }
        #expect(after["time.powered"]! - before["time.powered"]! == 600)
        #expect(after["clock"]! - before["clock"]! == 600)
        let system1 = ["time.normal.1", "time.below_gmin.1", "time.above_gmax.1", "time.below_dtmin.1", "time.fault.1"]
        #expect(system1.reduce(0) { $0 + after[$1]! - before[$1]! } == 600)
        #expect(after["serial_number"] == before["serial_number"])
    }

    @Test func fractionRollsIntoWholePartAndTheIntegratorNeverFalls() {
        var meter = SimulatedMeter(address: 1, options: frozenOptions(history: 0, rate: 50))
        let definition = ValueCatalog.definition(named: "energy.1")!
        var lastValue = decode(meter.t2k())["energy.1"]!
        var lastWhole = BigEndian.uint32(meter.t2k()[...], at: 0x378)
        var rollovers = 0, fractionGrew = 0
        var lastFraction = Float(bitPattern: BigEndian.uint32(meter.t2k()[...], at: 0x360))
        for _ in 0..<400 {
            meter.advance(by: 0.5)
            let image = meter.t2k()
            let whole = BigEndian.uint32(image[...], at: 0x378)
            let fraction = Float(bitPattern: BigEndian.uint32(image[...], at: 0x360))
            #expect(fraction >= 0 && fraction < 1)
            if whole > lastWhole { rollovers += 1 } else if fraction > lastFraction { fractionGrew += 1 }
            #expect(whole >= lastWhole)
            var t2k = T2KImage()
            t2k.store(image, at: 0)
            let value = t2k.value(of: definition)!
            #expect(value >= lastValue)
            #expect(value == (Double(whole) + Double(fraction)) / 100, "comma 3 on system 1 divides energy by 100")
            (lastValue, lastWhole, lastFraction) = (value, whole, fraction)
        }
        #expect(rollovers > 50)
        #expect(fractionGrew > 50)
    }

    @Test func energyOfSystemTwoIsScaledByItsOwnComma() {
        let meter = SimulatedMeter(address: 1, options: frozenOptions())
        let image = meter.t2k()
        let whole = Double(BigEndian.uint32(image[...], at: 0x37C))
        let fraction = Double(Float(bitPattern: BigEndian.uint32(image[...], at: 0x364)))
        #expect(decode(image)["energy.2"] == (whole + fraction) / 1000)
        #expect(
            decode(image)["volume.2"]
                == (Double(BigEndian.uint32(image[...], at: 0x31C))
                    + Double(Float(bitPattern: BigEndian.uint32(image[...], at: 0x304)))) / 100)
    }

    @Test func clockTicksInValidBCD() throws {
        var meter = SimulatedMeter(address: 1, options: frozenOptions())
        let start = MeterClock(unixSeconds: SimulatorOptions.frozenStart)
        #expect(Array(meter.t2k()[0x482...0x487]) == [0x00, 0x30, 0x10, 0x01, 0x03, 0x24])
        for step: Double in [1, 59, 3600, 2_678_400, 0.25, 0.75] {
            meter.advance(by: step)
            let bytes = Array(meter.t2k()[0x482...0x487])
            #expect(bytes.allSatisfy { $0 >> 4 <= 9 && $0 & 0x0F <= 9 })
            let clock = try #require(MeterClock(t2k: bytes))
            #expect(clock.isValid)
            #expect(clock == meter.clock)
        }
        #expect(meter.clock.unixSeconds! - start.unixSeconds! == 1 + 59 + 3600 + 86_400 * 31 + 1)
    }

    @Test func restartChangesSerialAndZeroesIntegrators() {
        var meter = SimulatedMeter(address: 1, options: frozenOptions())
        let before = decode(meter.t2k())
        meter.restart()
        meter.advance(by: 60)
        let after = decode(meter.t2k())
        #expect(after["serial_number"] != before["serial_number"])
        #expect(after["energy.1"]! < 0.1 && after["energy.1"]! > 0)
        #expect(after["time.powered"] == 60)
        #expect(after["clock"]! - before["clock"]! == 60)
        #expect(meter.restarts == 1)
    }
}
