import Glibc
import Systemd
import Testing

@Suite struct SystemdNotifierTests {
    @Test func notifySocketMustBeAPathOrAnAbstractName() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/sock"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"])?.path == "/run/systemd/notify")
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@abstract"])?.path == "@abstract")
    }

    @Test func watchdogPingsAtHalfTheIntervalForThisProcessOnly() {
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "soon"]) == nil)
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "400000", "WATCHDOG_PID": "42"], pid: 42)
                == .milliseconds(200))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "400000", "WATCHDOG_PID": "41"], pid: 42) == nil)
    }

    @Test func sendingToNoListenerFailsQuietly() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/tembridge-notify"])
        #expect(notifier?.notify("READY=1") == false)
    }
}
