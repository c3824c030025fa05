/// The second `comma` witness (issue 19), independent of what the codes look like: the live
/// integrators, scaled with a candidate location's codes, must continue the newest archive
/// record's integrators (scaled with the record's own `comma` at 0x118).
///
/// Integrators only grow, so a right scaling gives a live value equal to or a little larger than
/// the record's; a wrong code scales by 10^n (n ≠ 0). A live value `v` continues a record value
/// `r > 0` when `r × (1 − 10⁻⁶) ≤ v < r × √10`: √10 is the geometric midpoint between two powers
/// of ten, so at most one of `v`, `10v`, `v/10`, … can pass. A record an hour old on a meter that
/// has run for more than a few hours passes easily; a meter whose totals grew more than √10-fold
/// since the record (brand new, or a record months old) gives no answer rather than a wrong one.
/// Record values of 0 tell nothing about scaling and are not compared.
public struct IntegratorContinuity: Sendable, Hashable {
    /// The kind of the record compared with.
    public var kind: ArchiveKind
    /// Each live integrator's L + F (units of 1/k, before scaling), by value name (`energy.1`,
    /// `volume.3`, `mass.2`, `energy.total`).
    public var live: [String: Double]
    /// The same integrators in the record, scaled with the record's own `comma`.
    public var record: [String: Double]

    /// How much larger than the record's a live value may be: √10.
    public static let growthLimit = 10.0.squareRoot()
    /// How much smaller a live value may be (float rounding): a millionth.
    public static let shrinkTolerance = 1e-6

    public init(kind: ArchiveKind, live: [String: Double], record: [String: Double]) {
        self.kind = kind
        self.live = live
        self.record = record
    }

    /// The integrator definitions the witness can compare: energy, volume and mass of channels
    /// 1...6 and `energy.total` (the ones an archive record carries at 0x004...0x09B).
    public static let integrators: [(name: String, integrator: Integrator)] = ValueCatalog.all.compactMap { definition in
        guard case let .integrator(i) = definition.source, i.whole < T2KMap.volume78Whole else { return nil }
        return (definition.name, i)
    }

    /// The names compared: live and record both known, the record's value finite and above 0.
    public var compared: [String] {
        Self.integrators.map(\.name).filter { name in
            guard let r = record[name], r.isFinite, r > 0, let l = live[name], l.isFinite else { return false }
            return true
        }
    }

    /// Whether the live integrators scaled with `codes` (the six `comma` codes of one location)
    /// continue the record's; nil when nothing can be compared.
    public func isContinuous(codes: [UInt8]) -> Bool? {
        let names = Set(compared)
        guard !names.isEmpty, codes.count >= 6 else { return nil }
        for (name, integrator) in Self.integrators where names.contains(name) {
            let code = codes[Int(integrator.comma - T2KMap.comma)]
            let v = live[name]! / integrator.scaling.divisor(comma: code), r = record[name]!
            guard v >= r * (1 - Self.shrinkTolerance), v < r * Self.growthLimit else { return false }
        }
        return true
    }
}
