// Systemd: the sd_notify protocol (READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1) spoken to the
// datagram socket systemd names in NOTIFY_SOCKET, and the watchdog's interval from WATCHDOG_USEC.
// Plain POSIX; it must not import the bridge or anything above it: the executable wires it.
import Glibc

/// Sends sd_notify states to the service manager. One datagram per state; a failure to send is
/// ignored (systemd then acts on its own timeouts), as libsystemd's `sd_notify` does.
public final class SystemdNotifier: Sendable {
    /// The socket path; a leading `@` names an abstract socket (Linux).
    public let path: String

    /// The notifier for `environment["NOTIFY_SOCKET"]`, nil when unset or unusable.
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.hasPrefix("/") || path.hasPrefix("@"),
            path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        else { return nil }
        self.path = path
    }

    /// Sends `state` (e.g. `READY=1`); false if it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count + (bytes[0] == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), target, length) }
            }
        }
        return sent == message.count
    }

    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, when it is set for this process
    /// (`WATCHDOG_PID` absent or equal to our pid); nil otherwise.
    public static func watchdogInterval(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }
}
