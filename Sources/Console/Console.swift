import Bridge
// Console: the read-only operations console over HTTP (Hummingbird 2): /metrics (Prometheus text
// via swift-metrics + swift-prometheus), /health, /api/status, /api/registers.csv, /api/trace
// (Server-Sent Events), /api/history (the archive store, read-only) and the embedded status page.
// It reads the bridge only through `Bridge.status()`, the line monitors' observers and the
// counters, and the archive store only read-only; it must not import CModbus or touch
// libmodbus, and it is not part of the fuzz builds.
import Config
import Dispatch
import Glibc
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The console's HTTP server, run beside the bridge's threads: Hummingbird under a
/// swift-service-lifecycle `ServiceGroup` on Swift concurrency's own threads. `start` returns
/// once the port is bound (or throws the one-line reason it could not be); `stop` ends open
/// `/api/trace` streams, shuts the server down gracefully and waits for it.
public final class ConsoleServer: Sendable {
    public let configuration: HTTPConfiguration
    /// The bound port (the one the system chose for port 0).
    public let port: UInt16
    private let group: ServiceGroup
    private let done: DispatchSemaphore
    private let trace: TraceHub

    /// Binds `configuration.host:port` and starts serving `instruments` and `bridge`.
    public init(
        configuration: HTTPConfiguration, bridge: Bridge, instruments: ConsoleInstruments, version: String
    ) throws(ConsoleError) {
        self.configuration = configuration
        trace = instruments.trace
        trace.reopen()
        var logger = Logger(label: "tembridge.console")
        logger.logLevel = .critical
        let responder = ConsoleResponder(
            bridge: bridge, instruments: instruments, allow: configuration, version: version)
        let bound = BoundPort()
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: Int(configuration.port)), serverName: "tembridge"),
            onServerRunning: { channel in bound.set(.success(UInt16(channel.localAddress?.port ?? 0))) },
            logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger))
        let done = DispatchSemaphore(value: 0)
        let address = "\(configuration.host):\(configuration.port)"
        Task.detached {
            do {
                try await group.run()
            } catch {
                bound.set(.failure(ConsoleError(message: "cannot serve HTTP on \(address): \(Self.reason(error))")))
            }
            bound.set(.failure(ConsoleError(message: "cannot serve HTTP on \(address)")))
            done.signal()
        }
        switch bound.wait() {
        case let .success(port):
            self.port = port
            self.group = group
            self.done = done
        case let .failure(error):
            done.wait()
            throw error
        }
    }

    /// Ends the trace streams, stops the server and waits until it has stopped (at most 3 s: a
    /// client that stopped reading mid-response must not hold up tembridge's exit). Call once.
    public func stop() {
        trace.finishAll()
        let group = self.group
        Task.detached { await group.triggerGracefulShutdown() }
        _ = done.wait(timeout: .now() + 3)
    }

    /// The system's words for a bind failure, without NIO's decoration.
    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }
}

/// Why the console could not start: one line.
public struct ConsoleError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The first outcome of binding, handed from the server's task to the thread waiting in `init`.
private final class BoundPort: Sendable {
    private let outcome = Mutex<Result<UInt16, ConsoleError>?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func set(_ result: Result<UInt16, ConsoleError>) {
        let first = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            outcome = result
            return true
        }
        if first { ready.signal() }
    }

    func wait() -> Result<UInt16, ConsoleError> {
        ready.wait()
        return outcome.withLock { $0! }
    }
}
