import Foundation
import Testing

/// Stopping and reloading do not wait for a slow poll to end (issue 10, item 8): on a line where
/// every reply takes 0.7 s, a poll that reads comma, values and a whole archive record takes
/// about ten seconds; SIGTERM and SIGHUP take effect within the exchange under way.
@Suite(.serialized) struct PromptStopEndToEndTests {
    /// Every exchange on this line takes 0.7 s (timeout 1 s): the first poll is ~15 exchanges.
    static func slowMap(unit: Int = 1) -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: slow, endpoint: "sim://?frozen=1&fault=delay=700ms", timeout: 1s, retries: 0 }
        meters:
          - name: m
            line: slow
            address: 1
            unit_id: \(unit)
            poll_interval: 30s
            registers:
              - { address: 0, value: temperature.1 }
              - { address: 2, value: archive.hourly.energy.1 }

        """
    }

    /// Starts `serve` and waits until the first poll is well into the archive record: the comma
    /// check (five exchanges) is done, and about three seconds more have passed.
    static func serveUntilMidPoll() throws -> (Background, String) {
        let path = try temporaryFile(slowMap())
        let server = try Background(["serve", "--mapping", path])
        try server.wait(for: "serving Modbus TCP")
        try server.wait(for: "meter m: comma at", timeout: 20)
        Thread.sleep(forTimeInterval: 3)
        #expect(!server.stderr.contains("meter m (address 1"), "the first poll should still be running: \(server.stderr)")
        return (server, path)
    }

    @Test func sigtermDuringASlowPollExitsWithinOneExchange() throws {
        let (server, _) = try Self.serveUntilMidPoll()
        let started = Date()
        server.signal(SIGTERM)
        server.process.waitUntilExit()
        let took = Date().timeIntervalSince(started)
        #expect(server.process.terminationStatus == 0)
        // One exchange timeout (1 s) plus half a second.
        #expect(took < 1.5, "exit took \(took) s")
    }

    @Test func sighupDuringASlowPollTakesEffectWithinOneExchange() throws {
        let (server, path) = try Self.serveUntilMidPoll()
        defer { server.stop() }
        try Self.slowMap(unit: 7).write(toFile: path, atomically: true, encoding: .utf8)
        let started = Date()
        server.signal(SIGHUP)
        try server.wait(for: "mapping reloaded", timeout: 10)
        let took = Date().timeIntervalSince(started)
        #expect(took < 1.0 + 0.3, "reload took \(took) s")
    }
}
