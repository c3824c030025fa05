import Bridge
import Config
import Console
import Glibc
import Logging
import Platform
import Synchronization
import Systemd

/// The version `/api/status` reports.
let tembridgeVersion = "0.9.0"

/// The operations console and the systemd notifications beside a running bridge: starts, swaps
/// and stops the HTTP server as the map's `http:` section says, and feeds the watchdog while
/// every poller makes progress.
final class Operations: Sendable {
    let instruments = ConsoleInstruments()
    private let console = Mutex<ConsoleServer?>(nil)
    private let notifier = SystemdNotifier(environment: ProcessInfoLite.environment)
    private let watchdog = Worker()
    private let logger = Logger(label: "tembridge.console")

    /// Starts the console for `http` (if any); throws the one-line reason it cannot listen.
    func startConsole(_ http: HTTPConfiguration?, bridge: Bridge) throws {
        guard let http else { return }
        do {
            let server = try ConsoleServer(
                configuration: http, bridge: bridge, instruments: instruments, version: tembridgeVersion)
            console.withLock { $0 = server }
            logger.info("console on http://\(http.host):\(server.port)/\(Self.allowNote(http))")
        } catch {
            throw Failure("\(error)")
        }
    }

    /// The console's URL, if it is running.
    var consoleURL: String? {
        console.withLock { server in server.map { "http://\($0.configuration.host):\($0.port)/" } }
    }

    /// Applies a reloaded `http:` section: unchanged keeps the server; changed restarts it on the
    /// new address (if that cannot be bound, the old one is started again and the error logged).
    func reload(_ http: HTTPConfiguration?, bridge: Bridge) {
        let current = console.withLock { $0 }
        guard current?.configuration != http else { return }
        current?.stop()
        console.withLock { $0 = nil }
        do {
            try startConsole(http, bridge: bridge)
            if http == nil { logger.info("console stopped: the map has no http section any more") }
        } catch {
            logger.error("http: \(error); keeping the previous console settings")
            try? startConsole(current?.configuration, bridge: bridge)
        }
    }

    func stopConsole() {
        console.withLock { server in
            defer { server = nil }
            return server
        }?.stop()
    }

    // MARK: systemd

    func notify(_ state: String) {
        notifier?.notify(state)
    }

    /// Sends WATCHDOG=1 every half WATCHDOG_USEC while `bridge.pollersProgressing()`; a hung
    /// poller stops the pings (logged once) so systemd restarts the service.
    func startWatchdog(bridge: Bridge) {
        guard let notifier, let interval = SystemdNotifier.watchdogInterval(environment: ProcessInfoLite.environment)
        else { return }
        let logger = self.logger
        let stop = watchdog.stopSignal
        watchdog.startEssential("watchdog") {
            var wasHealthy = true
            repeat {
                let healthy = bridge.pollersProgressing()
                if healthy { notifier.notify("WATCHDOG=1") }
                if healthy != wasHealthy {
                    if healthy {
                        logger.info("every poller makes progress again: feeding the watchdog")
                    } else {
                        logger.error("a poller thread is hung: no more watchdog pings (systemd will restart tembridge)")
                    }
                }
                wasHealthy = healthy
            } while stop.sleep(for: interval)
        }
    }

    func stopWatchdog() { watchdog.stop() }

    /// CLOCK_MONOTONIC in microseconds, as systemd wants it with RELOADING=1.
    static func monotonicMicroseconds() -> UInt64 { MonotonicClock.now() / 1000 }

    private static func allowNote(_ http: HTTPConfiguration) -> String {
        guard let allow = http.allow else { return "" }
        return " (allow: " + allow.map(\.description).joined(separator: ", ") + ")"
    }
}

/// The process environment, without Foundation.
enum ProcessInfoLite {
    static var environment: [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            entry += 1
        }
        return out
    }
}
