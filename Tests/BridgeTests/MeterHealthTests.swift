import Testing

@testable import Bridge

@Suite struct MeterHealthTests {
    let second: UInt64 = 1_000_000_000

    @Test func firstPollOnlineThenFailingThenOfflineThenBack() {
        var h = MeterHealth(staleAfter: .seconds(10))
        #expect(!h.isFresh(at: 0))
        #expect(h.pollSucceeded(at: 1 * second) == .cameOnline(firstTime: true, failedPolls: 0))
        #expect(h.isFresh(at: 10 * second))
        #expect(h.pollSucceeded(at: 2 * second) == nil)
        #expect(h.pollFailed(at: 3 * second, reason: "no reply") == .startedFailing(reason: "no reply"))
        #expect(h.pollFailed(at: 4 * second, reason: "no reply") == nil)  // logged once
        #expect(h.tick(at: 11 * second) == nil)
        #expect(h.tick(at: 12 * second) == .wentOffline(reason: "no reply"))
        #expect(h.tick(at: 13 * second) == nil)
        #expect(h.pollFailed(at: 14 * second, reason: "no reply") == nil)
        #expect(!h.isFresh(at: 14 * second))
        #expect(h.pollSucceeded(at: 15 * second) == .cameOnline(firstTime: false, failedPolls: 3))
        #expect(h.pollsOK == 3 && h.pollsFailed == 3)
        #expect(h.validUntil == 25 * second)
    }

    @Test func neverReadMeterGoesOfflineAtFirstFailure() {
        var h = MeterHealth(staleAfter: .seconds(10))
        #expect(h.pollFailed(at: second, reason: "refused") == .wentOffline(reason: "refused"))
        #expect(h.validUntil == nil)
    }
}
