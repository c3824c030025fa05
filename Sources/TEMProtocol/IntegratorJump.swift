/// When a poll must re-verify where `comma` lives before it is served (issue 19): an integrator
/// that went backwards, or grew tenfold, since the previous poll. A meter reprogrammed one
/// decimal finer keeps its totals but multiplies L + F by 10; read with the old code its
/// integrators jump ×10 (coarser: ÷10, backwards).
public enum IntegratorJump {
    /// The growth factor that counts as a jump: √10, not 10, because a rescaled L + F (its float
    /// fraction rounded) may come out a hair under ten times the old value; no meter's total grows
    /// √10-fold between two polls unless it started near 0.
    public static let factor = 10.0.squareRoot()
    /// How far below the previous value a value may read without counting as backwards: the
    /// float32 fraction F holds < 1 unit to about 6·10⁻⁸, and k ≥ 1, so a meter rescaling L + F
    /// (reprogrammed `comma`) can round a value that much lower.
    public static let roundingTolerance = 1e-7

    /// The first integrator of `values` read in both images (each scaled with its own poll's
    /// `comma` location) that went backwards (by more than `roundingTolerance`) or grew at least `factor`-fold from a value above 0, as
    /// `energy.1 went from 1234.5 to 12345 MWh`; nil when none did.
    public static func first(
        _ image: T2KImage, comma: CommaAddress, previous: T2KImage, previousComma: CommaAddress,
        values: [ValueDefinition] = ValueCatalog.all
    ) -> String? {
        for value in values {
            guard case .integrator = value.source, let now = image.value(of: value, comma: comma),
                let before = previous.value(of: value, comma: previousComma), now.isFinite, before.isFinite
            else { continue }
            if now < before - roundingTolerance || (before > 0 && now >= before * factor) {
                return "\(value.name) went from \(before) to \(now) \(value.unit)"
            }
        }
        return nil
    }
}
