import Foundation
import JSONOutput
import Testing

@testable import Console
@testable import TEMLink

@Suite struct RouteTests {
    @Test func knownPathsAnswerGETOnly() {
        #expect(Route(method: "GET", path: "/") == .page)
        #expect(Route(method: "GET", path: "/metrics") == .metrics)
        #expect(Route(method: "GET", path: "/health") == .health)
        #expect(Route(method: "GET", path: "/api/status") == .status)
        #expect(Route(method: "GET", path: "/api/registers.csv") == .registers)
        #expect(Route(method: "GET", path: "/api/trace") == .trace)
        #expect(Route(method: "GET", path: "/api/history") == .history)
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] {
            #expect(Route(method: method, path: "/metrics") == .methodNotAllowed, "\(method)")
        }
    }

    @Test func unknownPathsAreNotFoundWhateverTheMethod() {
        for path in ["/nope", "/api", "/api/status/", "/metrics/x", "//", "/index.html"] {
            #expect(Route(method: "GET", path: path) == .notFound, "\(path)")
            #expect(Route(method: "POST", path: path) == .notFound, "\(path)")
        }
    }
}

@Suite struct HealthTests {
    @Test func okOnlyWhenNoMeterIsStale() {
        #expect(HealthDocument(staleMeters: []).httpStatus == 200)
        #expect(JSONText.document(HealthDocument(staleMeters: [])) == #"{"status":"ok"}"#)
        let degraded = HealthDocument(staleMeters: ["boiler", "flat 2"])
        #expect(degraded.httpStatus == 503)
        #expect(JSONText.document(degraded) == #"{"stale":["boiler","flat 2"],"status":"degraded"}"#)
    }
}

@Suite struct TraceHubTests {
    static func frame(_ n: UInt8) -> LineMonitor.Frame {
        LineMonitor.Frame(time: 1_764_476_584_120_000_000, address: 1, direction: .tx, bytes: [0x55, n])
    }

    @Test func aSlowSubscriberLosesFramesAndIsToldSo() async {
        let hub = TraceHub(capacity: 4)
        let slow = hub.subscribe()!
        let fast = hub.subscribe()!
        var fastIterator = fast.stream.makeAsyncIterator()
        var fastSeen = 0
        for n in 0..<10 {
            hub.publish(line: "l", frame: Self.frame(UInt8(n)))  // never waits
            if case .frame? = await fast.next(&fastIterator) { fastSeen += 1 }
        }
        #expect(fastSeen == 10)
        var iterator = slow.stream.makeAsyncIterator()
        guard case let .dropped(lost)? = await slow.next(&iterator) else {
            Issue.record("no drop notice first")
            return
        }
        #expect(lost == 6)
        var kept: [UInt8] = []
        for _ in 0..<4 {
            if case let .frame(event)? = await slow.next(&iterator) { kept.append(event.frame.bytes[1]) }
        }
        #expect(kept == [0, 1, 2, 3])
        hub.finishAll()
        #expect(await slow.next(&iterator) == nil)
        #expect(hub.subscribe() == nil)
        hub.reopen()
        #expect(hub.subscribe() != nil)
    }

    @Test func eventsAreOneJSONLineEach() {
        let event = TraceHub.Event(line: "boiler \"room\"", frame: Self.frame(0xFE))
        let text = TraceHub.sse(.frame(event)) { line, address in line.hasPrefix("boiler") && address == 1 ? "m1" : nil }
        #expect(
            text
                == #"data: {"time":"2025-11-30T04:23:04.120Z","line":"boiler \"room\"","meter":"m1","direction":"tx","hex":"55 FE"}"#
                + "\n\n")
        #expect(TraceHub.sse(.dropped(3)) { _, _ in nil }.hasPrefix("event: dropped\ndata: {\"dropped\":3,"))
        let unknown = TraceHub.sse(.frame(event)) { _, _ in nil }
        #expect(unknown.contains(#""meter":null"#))
    }
}

extension TraceHub.Item: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case let (.dropped(x), .dropped(y)): x == y
        case let (.frame(x), .frame(y)): x.line == y.line && x.frame.bytes == y.frame.bytes
        default: false
        }
    }
}
