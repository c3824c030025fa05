import Bridge
import Platform
import Testing

@Suite struct ConfigurationRefreshTests {
    let t0 = MonotonicClock.Instant.now

    @Test func firstContactThenInterval() {
        var refresh = ConfigurationRefresh(interval: .seconds(3600))
        #expect(refresh.due(at: t0) == .firstContact)
        refresh.configurationRead(at: t0)
        #expect(refresh.due(at: t0 + .seconds(3599)) == nil)
        #expect(refresh.due(at: t0 + .seconds(3600)) == .interval)
        refresh.configurationRead(at: t0 + .seconds(3600))
        #expect(refresh.due(at: t0 + .seconds(3601)) == nil)
    }

    @Test func failedFirstContactStaysDue() {
        var refresh = ConfigurationRefresh(interval: .seconds(60))
        refresh.wentOffline()
        #expect(refresh.due(at: t0 + .seconds(1)) == .firstContact)
    }

    @Test func afterOffline() {
        var refresh = ConfigurationRefresh(interval: .seconds(3600))
        refresh.configurationRead(at: t0)
        refresh.wentOffline()
        #expect(refresh.due(at: t0 + .seconds(10)) == .backOnline)
        refresh.configurationRead(at: t0 + .seconds(10))
        #expect(refresh.due(at: t0 + .seconds(11)) == nil)
    }

    @Test func poweredGoingBackwardsMeansReset() {
        var refresh = ConfigurationRefresh(interval: .seconds(3600))
        refresh.configurationRead(at: t0)
        refresh.observed(powered: 1000)
        refresh.observed(powered: 1005)
        #expect(refresh.due(at: t0 + .seconds(5)) == nil)
        refresh.observed(powered: 3)
        #expect(refresh.due(at: t0 + .seconds(6)) == .meterReset)
        refresh.configurationRead(at: t0 + .seconds(6))
        refresh.observed(powered: 8)
        #expect(refresh.due(at: t0 + .seconds(11)) == nil)
    }
}
