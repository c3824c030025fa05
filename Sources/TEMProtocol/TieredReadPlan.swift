/// The reads of one meter split by how often their bytes change: configuration (read on first
/// contact, after the meter was offline or reset, and every `config_interval`) and the values
/// that move (read every poll).
///
/// A configuration poll reads `full`, and its image is kept; a steady poll reads `steady` and
/// copies `configurationRanges` from the kept image (`T2KImage.copy(_:from:)`), so every served
/// value decodes as before. An integrator's L and F parts still come from one reply; only its
/// `comma` byte, which is configuration, comes from the kept image.
public struct TieredReadPlan: Sendable, Hashable {
    /// Every range, as an untiered poll reads them.
    public let full: ReadPlan
    /// The configuration ranges alone (for reports; a configuration poll reads `full`).
    public let configuration: ReadPlan
    /// The changing ranges only: the steady poll.
    public let steady: ReadPlan
    /// The ranges a steady poll takes from the last configuration poll's image.
    public let configurationRanges: [ClosedRange<UInt16>]
    /// The ranges a steady poll reads.
    public let changingRanges: [ClosedRange<UInt16>]
}

extension ReadPlanner {
    /// Splits the ranges of `values` (plus `extraRanges`, such as the archive pointers) into
    /// configuration and changing ones, with the `comma` codes at `comma`, and plans each.
    ///
    /// Configuration: every range of a value marked `isConfiguration`, the `comma` byte of each
    /// integrator, and any extra range that lies inside a configuration value's range (the
    /// `FLASH_TYPE` word the archive pointers need). Everything else changes.
    public static func tiered(
        values: [ValueDefinition], extraRanges: [ClosedRange<UInt16>] = [], comma: CommaAddress = .listed
    ) -> TieredReadPlan {
        var configuration: [ClosedRange<UInt16>] = []
        var changing: [ClosedRange<UInt16>] = []
        for value in values {
            let ranges = value.t2kRanges(comma: comma)
            if value.isConfiguration {
                configuration += ranges
            } else if case let .integrator(i) = value.source {
                let code = i.comma(at: comma)
                configuration += ranges.filter { $0 == code...code }
                changing += ranges.filter { $0 != code...code }
            } else {
                changing += ranges
            }
        }
        let known = knownConfigurationRanges(comma: comma)
        for range in extraRanges {
            if known.contains(where: { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound }) {
                configuration.append(range)
            } else {
                changing.append(range)
            }
        }
        let configurationSet = Set(configuration).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        let changingSet = Set(changing).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        return TieredReadPlan(
            full: plan(configuration + changing), configuration: plan(configuration), steady: plan(changing),
            configurationRanges: configurationSet, changingRanges: changingSet)
    }

    /// The ranges of every configuration value of the catalog, and the six `comma` codes.
    private static func knownConfigurationRanges(comma: CommaAddress) -> [ClosedRange<UInt16>] {
        ValueCatalog.all.filter(\.isConfiguration).flatMap { $0.t2kRanges(comma: comma) } + [comma.range]
    }
}
