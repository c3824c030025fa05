import Glibc

/// A POSIX thread running one long loop (a line's poller, a server's accept loop, a renderer),
/// joined when its owner stops it — or detached, for per-connection threads whose stacks the
/// system reclaims as soon as they return.
///
/// The servers and the poller run blocking loops with real timeouts (poll, termios, libmodbus's
/// select), so they use plain threads rather than Swift concurrency's cooperative pool.
public final class PosixThread: Sendable {
    private let thread: pthread_t

    /// Starts `body` on a new joinable thread; nil if the system cannot create one.
    public convenience init?(_ body: @escaping @Sendable () -> Void) {
        guard let thread = Self.create(detached: false, stackSize: nil, body) else { return nil }
        self.init(thread: thread)
    }

    private init(thread: pthread_t) { self.thread = thread }

    /// Starts `body` on a joinable thread for a loop the process cannot run without (a poller,
    /// the server); if the system cannot create one, says so in one line on stderr and exits 1.
    public static func essential(_ what: String, _ body: @escaping @Sendable () -> Void) -> PosixThread {
        if let thread = PosixThread(body) { return thread }
        let message = "tembridge: cannot start the \(what) thread: \(String(cString: strerror(errno)))\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(1)
    }

    /// Waits for the body to return; call once, after telling it to stop.
    public func join() { pthread_join(thread, nil) }

    /// Starts `body` on a detached thread with a small stack; false if it could not be created.
    ///
    /// The default stack suits a connection's request path: a 260-byte frame buffer plus
    /// libmodbus's own of the same size.
    public static func detach(stackSize: Int = 256 * 1024, _ body: @escaping @Sendable () -> Void) -> Bool {
        create(detached: true, stackSize: stackSize, body) != nil
    }

    private static func create(detached: Bool, stackSize: Int?, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, &attributes,
            { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        return thread
    }
}
