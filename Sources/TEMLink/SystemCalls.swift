import Glibc

// The few POSIX calls both links share: waiting on a descriptor and naming an errno.

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
