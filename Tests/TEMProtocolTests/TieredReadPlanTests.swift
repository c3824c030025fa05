import TEMProtocol
import Testing

@Suite struct TieredReadPlanTests {
    static let t2kValues = ValueCatalog.all.filter(\.isFromT2K)

    @Test func configurationValuesAreMarked() {
        let marked = Set(ValueCatalog.all.filter(\.isConfiguration).map(\.name))
        for name in [
            "systems", "serial_number", "flash_kib", "network_address", "system_type.3", "dt_min.1", "gmax.6",
            "gmax_set.2", "gmin_set.2", "diameter.4",
        ] {
            #expect(marked.contains(name), "\(name)")
        }
        for name in ["energy.1", "temperature.1", "clock", "time.powered", "volume.7", "flow.1"] {
            #expect(!marked.contains(name), "\(name)")
        }
    }

    @Test func steadyPlanReadsNoConfigurationByte() {
        for comma in CommaAddress.candidates {
            let tiered = ReadPlanner.tiered(values: Self.t2kValues, extraRanges: ArchivePointers.t2kRanges, comma: comma)
            let configurationBytes = Set(tiered.configurationRanges.flatMap { Array($0) })
            for range in tiered.changingRanges {
                #expect(configurationBytes.isDisjoint(with: Array(range)), "\(range) at \(comma)")
            }
            // comma codes and FLASH_TYPE are configuration; the pointers are not.
            #expect(configurationBytes.isSuperset(of: comma.range))
            #expect(configurationBytes.contains(T2KMap.flashType))
            #expect(!configurationBytes.contains(T2KMap.nextHourlyRecord))
            // Each range lies inside one read of its plan.
            for (ranges, plan) in [(tiered.changingRanges, tiered.steady), (tiered.configurationRanges, tiered.configuration)] {
                for range in ranges {
                    #expect(plan.reads.contains { covers($0, range) }, "\(range)")
                }
            }
            for range in tiered.changingRanges + tiered.configurationRanges {
                #expect(tiered.full.reads.contains { covers($0, range) })
            }
            #expect(tiered.full == ReadPlanner.plan(values: Self.t2kValues, extraRanges: ArchivePointers.t2kRanges, comma: comma))
            #expect(tiered.steady.reads.count < tiered.full.reads.count)
            #expect(tiered.steady.wireBytes < tiered.full.wireBytes)
        }
    }

    @Test func steadyPollWithKeptConfigurationDecodesAsAFullPoll() {
        // A full T2K image of arbitrary bytes: every value decodes the same from a steady read
        // plus the configuration bytes kept from a full one.
        var bytes = [UInt8](repeating: 0, count: T2KMap.size)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
        for (i, code) in [3, 4, 3, 3, 3, 3].enumerated() { bytes[Int(T2KMap.comma) + i] = UInt8(code) }
        bytes[Int(T2KMap.clock)..<Int(T2KMap.clock) + 6] = [0x33, 0x15, 0x14, 0x02, 0x03, 0x16]
        var full = T2KImage()
        full.store(bytes, at: 0)
        let tiered = ReadPlanner.tiered(values: Self.t2kValues)
        var steady = T2KImage()
        for read in tiered.steady.reads {
            steady.store(Array(bytes[Int(read.address)..<Int(read.address) + Int(read.length)]), at: read.address)
        }
        #expect(Self.t2kValues.contains { steady.value(of: $0) == nil })
        steady.copy(tiered.configurationRanges, from: full)
        for value in Self.t2kValues {
            // As text, so that NaN equals NaN; nil (an unknown FLASH_TYPE) must be nil in both.
            #expect(String(describing: steady.value(of: value)) == String(describing: full.value(of: value)), "\(value.name)")
        }
    }

    func covers(_ read: T2KRead, _ range: ClosedRange<UInt16>) -> Bool {
        read.address <= range.lowerBound && range.upperBound <= read.range.upperBound
    }
}
