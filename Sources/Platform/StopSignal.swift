import Glibc
import Synchronization

/// A one-way "stop now" that ends every wait at once: threads sleep on it (`sleep(for:)`) or
/// poll its descriptor beside their own (`waitFor(_:events:timeout:orStop:)`), and `signal()`
/// from any thread wakes them all. Once signalled it stays signalled.
///
/// It is a pipe whose read end turns readable on the first `signal()` and stays so (nobody
/// reads it), so waking costs one write and waiting costs nothing while nobody stops. Should the
/// system refuse descriptors, waits fall back to 20 ms slices that check the flag: slower to
/// stop, never stuck.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Readable once signalled; -1 if the system gave no descriptor.
    public let descriptor: Int32
    private let writeEnd: Int32

    public init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)  // signal() never blocks
            }
        } else {
            ends = [-1, -1]
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if writeEnd >= 0 { close(writeEnd) }
    }

    /// Stops every present and future wait. Idempotent, from any thread; true for the call
    /// that signalled it first.
    @discardableResult
    public func signal() -> Bool {
        guard !flag.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        var byte: UInt8 = 1
        if writeEnd >= 0 { _ = write(writeEnd, &byte, 1) }
        return true
    }

    public var isSignalled: Bool { flag.load(ordering: .acquiring) }

    /// Sleeps for `duration` unless signalled first. True if the whole time passed.
    @discardableResult
    public func sleep(for duration: Duration) -> Bool {
        let deadline = Deadline(after: duration)
        while !isSignalled {
            let left = deadline.remaining
            if left == .zero { return true }
            if descriptor >= 0 {
                var fd = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&fd, 1, left.pollMilliseconds)
            } else {
                blockingSleep(min(left, .milliseconds(20)))
            }
        }
        return false
    }

    /// Sleeps until the monotonic instant `deadline` (nanoseconds) unless signalled first.
    /// True if it was reached.
    @discardableResult
    public func sleep(until deadline: UInt64) -> Bool {
        let now = MonotonicClock.now()
        guard deadline > now else { return !isSignalled }
        return sleep(for: .nanoseconds(Int64(clamping: deadline - now)))
    }
}

/// Blocks the calling thread for `duration` (no-op for zero or negative), resuming after signals.
public func blockingSleep(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
}
