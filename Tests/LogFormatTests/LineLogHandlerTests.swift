import Logging
import Platform
import Synchronization
import Testing

@testable import LogFormat

/// The log line as the log has always read: `TIMESTAMP LEVEL message`, one per event.
@Suite struct LineLogHandlerTests {
    /// Lines captured from a handler with a fixed clock.
    final class Captured: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }

        func logger(level: Logger.Level, at seconds: Int = 1_795_725_065) -> Logger {
            Logger(label: "tembridge.test") { _ in
                LineLogHandler(level: level, now: { seconds }, sink: { line in self.lines.withLock { $0.append(line) } })
            }
        }
    }

    @Test func timestampIsUTCToTheSecond() {
        #expect(Timestamp.iso8601(seconds: 0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.iso8601(seconds: 1_795_725_065) == "2026-11-26T20:31:05Z")
        #expect(Timestamp.iso8601(seconds: 951_782_400) == "2000-02-29T00:00:00Z")  // leap day
        #expect(Timestamp.iso8601(seconds: 1_704_067_199) == "2023-12-31T23:59:59Z")
    }

    @Test func eachLevelPrintsItsName() {
        let captured = Captured()
        let log = captured.logger(level: .trace)
        log.trace("a")
        log.debug("b")
        log.info("serving Modbus TCP on 127.0.0.1:1502: 2 meter(s) on 1 line(s)")
        log.warning("c")
        log.error("reload rejected, the previous map keeps serving")
        #expect(
            captured.all == [
                "2026-11-26T20:31:05Z trace a",
                "2026-11-26T20:31:05Z debug b",
                "2026-11-26T20:31:05Z info serving Modbus TCP on 127.0.0.1:1502: 2 meter(s) on 1 line(s)",
                "2026-11-26T20:31:05Z warning c",
                "2026-11-26T20:31:05Z error reload rejected, the previous map keeps serving",
            ])
    }

    @Test func levelsBelowTheHandlersAreDropped() {
        let captured = Captured()
        let log = captured.logger(level: .warning)
        log.debug("no")
        log.info("no")
        log.warning("yes")
        log.error("yes too")
        #expect(captured.all == ["2026-11-26T20:31:05Z warning yes", "2026-11-26T20:31:05Z error yes too"])
    }

    @Test func metadataFollowsTheMessageSortedByKey() {
        let captured = Captured()
        var log = captured.logger(level: .info)
        log[metadataKey: "meter"] = "boiler"
        log.info("offline", metadata: ["line": "rs485", "after": "3"])
        #expect(captured.all == ["2026-11-26T20:31:05Z info offline after=3 line=rs485 meter=boiler"])
    }
}
