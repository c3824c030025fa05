import Glibc

// The few POSIX calls both links share: waiting on a descriptor, writing all of a request and
// naming an errno.

/// Waits up to `timeout` for `events` on `fd`, retrying after signals. Returns the `revents`
/// (zero when the time ran out) or the errno of a failed `poll()`.
func waitFor(_ fd: Int32, events: Int16, timeout: Duration) -> Result<Int16, Errno> {
    let deadline = Deadline(after: timeout)
    while true {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let n = poll(&pfd, 1, deadline.remaining.pollMilliseconds)
        if n >= 0 { return .success(n == 0 ? 0 : pfd.revents) }
        guard errno == EINTR else { return .failure(Errno(errno)) }
    }
}

/// Why `writeAll` stopped short.
enum WriteFailure: Error {
    /// The descriptor's queue stayed full for the whole stall limit.
    case stalled
    case failed(Errno)
}

/// Writes all of `bytes` to `fd` with `put` (`write` or `send`; returns the count or -1),
/// retrying after signals and waiting up to `stallLimit` whenever the queue is full.
func writeAll(
    _ fd: Int32, _ bytes: [UInt8], stallLimit: Duration = .seconds(1), put: (Int32, UnsafeRawPointer?, Int) -> Int
) -> Result<Void, WriteFailure> {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { put(fd, $0.baseAddress, $0.count) }
        if n >= 0 {
            offset += n
            continue
        }
        let code = errno
        if code == EINTR { continue }
        guard code == EAGAIN || code == EWOULDBLOCK else { return .failure(.failed(Errno(code))) }
        if case .success(0) = waitFor(fd, events: Int16(POLLOUT), timeout: stallLimit) { return .failure(.stalled) }
    }
    return .success(())
}

/// An `errno` value that says itself in lower case: `connection refused`.
struct Errno: Error, Equatable {
    let code: Int32

    init(_ code: Int32) { self.code = code }

    /// `strerror` text with its first letter lowered, to follow `endpoint: ` in a message.
    var message: String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
