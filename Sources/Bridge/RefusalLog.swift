import Logging
import ModbusServer
import Platform
import Synchronization

/// Logs the Modbus clients the server refuses without flooding the log: the first refusal for
/// each reason (not in `allow`, `max_connections` reached) is logged at once; later ones within
/// `window` are only counted, and the count rides on the next line logged for that reason.
///
/// A PLC outside `allow` that reconnects every second shows up once a minute, not 60 times.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let window: UInt64
    private let last = Mutex<[Kind: (loggedAt: UInt64, suppressed: Int)]>([:])

    private enum Kind { case notAllowed, tooMany }

    /// `window` in nanoseconds of `MonotonicClock`.
    init(logger: Logger, window: UInt64 = 60_000_000_000) {
        self.logger = logger
        self.window = window
    }

    func report(_ refusal: ModbusTCPServer.Refusal, now: UInt64 = MonotonicClock.now()) {
        let kind: Kind = if case .notAllowed = refusal.reason { .notAllowed } else { .tooMany }
        let suppressed: Int? = last.withLock { last in
            let previous = last[kind]
            if let previous, now &- previous.loggedAt < window {
                last[kind]!.suppressed += 1
                return nil
            }
            last[kind] = (now, 0)
            return previous?.suppressed ?? 0
        }
        guard let suppressed else { return }
        logger.warning(
            "\(suppressed == 0 ? "\(refusal)" : "\(refusal) (and \(suppressed) more for this reason since the last such line)")")
    }
}
