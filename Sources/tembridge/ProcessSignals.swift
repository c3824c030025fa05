import Glibc
import Platform
import Synchronization

/// The one way tembridge's commands take signals (docs/ARCHITECTURE.md, "Stopping").
///
/// A command that runs until told to stop (`serve`, `demo`, `simulate`) calls `take` before it
/// starts any thread: the signals are blocked in every thread started afterwards and the main
/// thread waits for them with `next()` (synchronously, `sigwait`), so a signal never interrupts a
/// system call mid-way and no handler runs on an arbitrary thread. A command that runs to its end
/// but may be cut short (`archive`, `dump`) calls `watchInterrupt()` and checks
/// `interruptRequested` between steps.
///
/// swift-service-lifecycle does this for Swift concurrency services; the bridge's pollers and
/// servers are threads with blocking waits (a `Worker` each), so its `ServiceGroup` would only
/// wrap this same `sigwait` in a task. The console, which is a Hummingbird service, runs in its
/// own `ServiceGroup` and is stopped from here.
struct ProcessSignals: Sendable {
    private let set: SignalSet

    /// Blocks `signals` for this thread and every thread it starts later, and ignores SIGPIPE (a
    /// closed peer is an error on the write, not the end of the process).
    static func take(_ signals: [Int32]) -> ProcessSignals {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
        return ProcessSignals(set: SignalSet(set))
    }

    /// Waits for the next of the taken signals and returns it.
    func next() -> Int32 {
        var set = self.set.value
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// Takes SIGINT on a thread of its own that sets `interruptRequested` (Ctrl-C during an
    /// export: finish the current record, close the output, exit 130).
    static func watchInterrupt() {
        let signals = take([SIGINT])
        _ = PosixThread.detach {
            _ = signals.next()
            interrupted.store(true, ordering: .relaxed)
        }
    }

    /// True once SIGINT arrived after `watchInterrupt()`.
    static var interruptRequested: Bool { interrupted.load(ordering: .relaxed) }
}

/// A `sigset_t`, which is plain bits, as a Sendable value.
private struct SignalSet: @unchecked Sendable {
    let value: sigset_t
    init(_ value: sigset_t) { self.value = value }
}

private let interrupted = Atomic<Bool>(false)
