/// What a unit answers for meter-derived registers once its meter's data is stale (the mapping's
/// per-meter `on_stale`). Status registers are served whatever the policy.
public enum StalePolicy: String, Sendable, CaseIterable {
    /// Exception 0B (gateway target failed to respond): PLCs alarm on it.
    case exception
    /// The last good values, as they were (`status.online` 0 and `status.age` growing tell the
    /// client). A meter never read yet still answers 0B: there is no last value.
    case lastValue = "last_value"
    /// NaN in float registers, 0 in integer ones (`UnitImage.staleRegisters`).
    case nan
}
