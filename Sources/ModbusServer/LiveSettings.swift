import Config
import Platform
import Synchronization

/// The settings a running connection reads on every request, so that `update` reaches
/// connections that are already open.
final class LiveSettings: Sendable {
    let inputRegisters: Atomic<Bool>
    let idleTimeoutNanoseconds: Atomic<Int64>

    init(_ configuration: ServerConfiguration) {
        inputRegisters = Atomic(configuration.inputRegisters)
        idleTimeoutNanoseconds = Atomic(configuration.idleTimeout.nanoseconds)
    }

    func apply(_ configuration: ServerConfiguration) {
        inputRegisters.store(configuration.inputRegisters, ordering: .relaxed)
        idleTimeoutNanoseconds.store(configuration.idleTimeout.nanoseconds, ordering: .relaxed)
    }
}
