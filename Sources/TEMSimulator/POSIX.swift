import Glibc
import Synchronization

// The little POSIX the serving code needs: sleeping, polling and writing descriptors.

/// Blocks the calling thread for `duration` (no-op for zero or negative).
func blockingSleep(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
}

/// Sleeps `duration` in slices, returning early (false) once `stop` is set.
func sleep(_ duration: Duration, unless stop: borrowing Atomic<Bool>) -> Bool {
    let deadline = ContinuousClock.now + duration
    while !stop.load(ordering: .relaxed) {
        let left = deadline - .now
        if left <= .zero { return true }
        blockingSleep(min(left, .milliseconds(50)))
    }
    return false
}

/// Waits up to `timeout` for `fd` to become readable (or hang up). True if it did.
func waitReadable(_ fd: Int32, timeout: Duration) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    return poll(&pfd, 1, max(0, ms)) > 0
}

/// Writes all of `bytes` to `fd` (a socket gets MSG_NOSIGNAL: a closed peer is an error, not
/// SIGPIPE). False on failure.
func writeAll(_ fd: Int32, _ bytes: [UInt8], socket: Bool) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { raw in
            socket ? send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) : write(fd, raw.baseAddress, raw.count)
        }
        if n < 0, errno == EINTR || errno == EAGAIN { continue }
        guard n > 0 else { return false }
        offset += n
    }
    return true
}

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
