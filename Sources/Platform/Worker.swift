import Synchronization

/// One long-running loop on its own thread, with the signal that ends it: the loop waits on
/// `stopSignal` (sleeps, descriptor waits) and returns once it fires; `stop()` fires it and
/// joins the thread. The pollers and the simulator's servers are workers.
public final class Worker: Sendable {
    /// Ends the loop's waits at once; the loop checks it between steps.
    public let stopSignal = StopSignal()
    private let thread = Mutex<PosixThread?>(nil)

    public init() {}

    /// Starts `body` on a new thread; false if the system cannot create one.
    public func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        guard let started = PosixThread(body) else { return false }
        thread.withLock { $0 = started }
        return true
    }

    /// Starts `body` on a thread the process cannot run without; exits 1 with one line if the
    /// system cannot create it (see `PosixThread.essential`).
    public func startEssential(_ what: String, _ body: @escaping @Sendable () -> Void) {
        let started = PosixThread.essential(what, body)
        thread.withLock { $0 = started }
    }

    /// True once `signalStop()` or `stop()` was called.
    public var isStopping: Bool { stopSignal.isSignalled }

    /// Tells the loop to end and returns at once.
    public func signalStop() { stopSignal.signal() }

    /// Waits for the loop's thread to end (after `signalStop()`).
    public func join() {
        thread.withLock { t in
            defer { t = nil }; return t
        }?.join()
    }

    /// Signals and joins. True for the call that stopped it first, so its owner releases what
    /// the loop used exactly once.
    @discardableResult
    public func stop() -> Bool {
        let first = stopSignal.signal()
        join()
        return first
    }
}
