// Platform: every POSIX detail tembridge needs, in one place — waiting on a descriptor and
// writing all of a buffer (Descriptor.swift), TCP sockets (Sockets.swift), the monotonic clock
// and deadlines (MonotonicClock.swift, Deadline.swift), Duration conversions for system calls
// (Duration+System.swift), a wakeable stop signal (StopSignal.swift) and threads (Threads.swift).
//
// It must not import any tembridge module (TEMProtocol, Config, TEMLink, …) nor libmodbus: it
// knows descriptors, not meters or Modbus. swift-system's `Errno` and `FileDescriptor` are used
// where they fit.

import Glibc
@_exported import SystemPackage

extension Errno {
    /// `strerror` text with its first letter lowered, to follow `endpoint: ` in a message:
    /// `connection refused`.
    public var message: String {
        let text = description
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// The calling thread's current `errno`.
    public static var current: Errno { Errno(rawValue: errno) }
}
