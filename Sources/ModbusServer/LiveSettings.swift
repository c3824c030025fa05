import Synchronization

/// The settings a running connection reads on every request, so that `update` reaches
/// connections that are already open.
final class LiveSettings: Sendable {
    let inputRegisters: Atomic<Bool>
    let idleTimeoutNanoseconds: Atomic<Int64>

    init(_ configuration: ServerConfiguration) {
        inputRegisters = Atomic(configuration.inputRegisters)
        idleTimeoutNanoseconds = Atomic(Self.nanoseconds(configuration.idleTimeout))
    }

    func apply(_ configuration: ServerConfiguration) {
        inputRegisters.store(configuration.inputRegisters, ordering: .relaxed)
        idleTimeoutNanoseconds.store(Self.nanoseconds(configuration.idleTimeout), ordering: .relaxed)
    }

    /// `duration` in whole nanoseconds, saturating at `Int64.max`.
    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow || carry ? (seconds < 0 ? .min : .max) : sum
    }
}
