import Glibc

// The one place tembridge waits on a descriptor and writes all of a buffer to one.

/// Waits up to `timeout` for `events` on `fd`, retrying after signals; with `stop`, returns at
/// once (revents 0) when it is signalled. Returns the `revents` (zero when the time ran out or
/// `stop` fired) or the errno of a failed `poll()`.
public func waitFor(_ fd: Int32, events: Int16, timeout: Duration, orStop stop: StopSignal? = nil) -> Result<Int16, Errno> {
    let deadline = Deadline(after: timeout)
    while true {
        var fds = [pollfd(fd: fd, events: events, revents: 0)]
        if let stop { fds.append(pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), deadline.remaining.pollMilliseconds)
        if n >= 0 {
            if n > 0, fds.count > 1, fds[1].revents != 0 { return .success(0) }
            return .success(n == 0 ? 0 : fds[0].revents)
        }
        guard errno == EINTR else { return .failure(.current) }
    }
}

/// Why `writeAll` stopped short.
public enum WriteFailure: Error, Equatable {
    /// The descriptor's queue stayed full for the whole stall limit.
    case stalled
    case failed(Errno)
}

/// Writes all of `bytes` to `fd`, retrying after signals and waiting up to `stallLimit` whenever
/// the queue is full (EAGAIN on a non-blocking descriptor). A socket is written with
/// MSG_NOSIGNAL, so a closed peer is an error, not SIGPIPE.
public func writeAll(_ fd: Int32, _ bytes: [UInt8], socket: Bool, stallLimit: Duration = .seconds(1)) -> Result<
    Void, WriteFailure
> {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { raw in
            socket ? send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) : write(fd, raw.baseAddress, raw.count)
        }
        if n >= 0 {
            offset += n
            continue
        }
        let code = errno
        if code == EINTR { continue }
        guard code == EAGAIN || code == EWOULDBLOCK else { return .failure(.failed(Errno(rawValue: code))) }
        if case .success(0) = waitFor(fd, events: Int16(POLLOUT), timeout: stallLimit) { return .failure(.stalled) }
    }
    return .success(())
}
