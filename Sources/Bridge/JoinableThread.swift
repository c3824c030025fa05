import Glibc

/// A POSIX thread running one long loop (a line's poller, the server, the renderer, a
/// command's stdin reader), joined when its owner stops it.
public final class JoinableThread: Sendable {
    private let thread: pthread_t

    public init(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            public init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, Unmanaged.passRetained(Box(body)).toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        self.thread = thread
    }

    /// Waits for the loop to return; call once, after telling it to stop.
    public func join() { pthread_join(thread, nil) }
}
