import TEMProtocol
import Testing

@Suite struct ReadPlannerTests {
    /// True when every range lies wholly inside one read of the plan.
    static func covers(_ plan: ReadPlan, _ ranges: [ClosedRange<UInt16>]) -> Bool {
        ranges.allSatisfy { range in
            plan.reads.contains { read in
                read.address <= range.lowerBound && Int(range.upperBound) < Int(read.address) + Int(read.length)
            }
        }
    }

    static func lengths(_ plan: ReadPlan) -> [Int] { plan.reads.map(\.replyLength) }

    static func definitions(_ names: [String]) -> [ValueDefinition] {
        names.map { ValueCatalog.definition(named: $0)! }
    }

    /// Temperatures (0x0200, 28 bytes) and pressures (0x0234, 28 bytes) span 80 bytes: two reads,
    /// and of the two-read plans the one without the 24-byte gap between them.
    @Test func temperaturesAndPressures() {
        let values = Self.definitions((1...7).map { "temperature.\($0)" } + (1...7).map { "pressure.\($0)" })
        let plan = ReadPlanner.plan(values: values)
        #expect(plan.reads == [.readT2K(address: 0x0200, length: 28), .readT2K(address: 0x0234, length: 28)])
        #expect(Self.covers(plan, values.flatMap(\.t2kRanges)))
        #expect(Self.lengths(plan).allSatisfy { $0 <= Command.maxReadLength })
    }

    @Test func temperaturesAloneIsOneTrimmedRead() {
        let plan = ReadPlanner.plan(values: Self.definitions((1...7).map { "temperature.\($0)" }))
        #expect(plan.reads == [.readT2K(address: 0x0200, length: 28)])
        #expect(plan.description == "read T2K 0x0200 ×28")
    }

    /// The six energy integrators: F at 0x0360..., L at 0x0378...; each pair in one read, the
    /// comma bytes (0x02FA...) in another.
    @Test func energyIntegratorsNeverSplit() {
        let values = Self.definitions((1...6).map { "energy.\($0)" })
        let plan = ReadPlanner.plan(values: values)
        #expect(plan.reads.count == 2)
        for value in values {
            guard case let .integrator(i) = value.source else { Issue.record("not an integrator"); continue }
            let pair = min(i.fraction, i.whole)...(max(i.fraction, i.whole) + 3)
            #expect(Self.covers(plan, [pair, i.comma...i.comma]), "\(value.name)")
        }
    }

    @Test func everyT2KValueFits() {
        let values = ValueCatalog.all.filter(\.isFromT2K)
        let plan = ReadPlanner.plan(values: values)
        #expect(Self.covers(plan, values.flatMap(\.t2kRanges)))
        #expect(Self.lengths(plan).allSatisfy { (1...Command.maxReadLength).contains($0) })
        #expect(plan.wireBytes == plan.reads.count * (10 + 7) + plan.dataBytes)
    }

    @Test func emptyAndDuplicateRanges() {
        #expect(ReadPlanner.plan([]).reads.isEmpty)
        #expect(ReadPlanner.plan([0x10...0x13, 0x10...0x13]).reads == [.readT2K(address: 0x10, length: 4)])
        // A range of exactly 64 bytes is one read.
        #expect(ReadPlanner.plan([0x100...0x13F]).reads == [.readT2K(address: 0x100, length: 64)])
        // 65 bytes from the first to the last byte needed: two reads.
        #expect(ReadPlanner.plan([0x100...0x103, 0x13D...0x140]).reads.count == 2)
    }

    /// Against a brute-force minimum on random small inputs (short reads so that choices matter).
    @Test func optimalAgainstBruteForce() {
        var rng = SplitMix(seed: 0x7E_106)
        for trial in 0..<400 {
            let maxLength = Int(rng.next() % 8) + 4
            let count = Int(rng.next() % 7) + 1
            let ranges: [ClosedRange<UInt16>] = (0..<count).map { _ in
                let low = UInt16(rng.next() % 40)
                let size = UInt16(rng.next() % UInt64(maxLength))
                return low...(low + size)
            }
            let plan = ReadPlanner.plan(ranges, maxLength: maxLength)
            #expect(Self.covers(plan, ranges), "trial \(trial): \(ranges)")
            #expect(Self.lengths(plan).allSatisfy { $0 <= maxLength }, "trial \(trial)")
            #expect(
                plan.reads.count == Self.bruteForceMinimum(ranges, maxLength: maxLength),
                "trial \(trial): \(ranges) max \(maxLength) → \(plan)")
        }
    }

    /// The fewest reads of `maxLength` covering every range, by trying every set of read starts.
    /// Some optimal plan starts each read at a range's lower bound, so only those are tried.
    static func bruteForceMinimum(_ ranges: [ClosedRange<UInt16>], maxLength: Int) -> Int {
        let starts = Array(Set(ranges.map { Int($0.lowerBound) })).sorted()
        var best = Int.max
        for mask in 1..<(1 << starts.count) {
            let chosen = starts.indices.filter { mask & (1 << $0) != 0 }.map { starts[$0] }
            guard chosen.count < best else { continue }
            let ok = ranges.allSatisfy { r in
                chosen.contains { s in s <= Int(r.lowerBound) && Int(r.upperBound) < s + maxLength }
            }
            if ok { best = chosen.count }
        }
        return best
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
