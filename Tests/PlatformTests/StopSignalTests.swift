import Glibc
import Platform
import Testing

@Suite struct StopSignalTests {
    /// A sleep ends at once when another thread signals, not at the end of its time.
    @Test func signalEndsASleepAtOnce() throws {
        let stop = StopSignal()
        let started = MonotonicClock.now()
        let thread = try #require(
            PosixThread {
                blockingSleep(.milliseconds(50))
                stop.signal()
            })
        let slept = stop.sleep(for: .seconds(10))
        thread.join()
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        #expect(!slept)
        #expect(elapsed < .seconds(2))
        #expect(stop.isSignalled)
        // Once signalled, it stays signalled: later waits return at once.
        #expect(!stop.sleep(for: .seconds(10)))
    }

    @Test func unsignalledSleepRunsItsCourse() {
        let stop = StopSignal()
        let started = MonotonicClock.now()
        #expect(stop.sleep(for: .milliseconds(30)))
        #expect(MonotonicClock.now() - started >= 30_000_000)
        #expect(stop.sleep(until: MonotonicClock.now() &- 1))
    }

    /// `waitFor` returns 0 (nothing ready) when the stop fires, so a reader stops promptly.
    @Test func waitForReturnsOnStop() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { ends.forEach { _ = close($0) } }
        let stop = StopSignal()
        let thread = try #require(
            PosixThread {
                blockingSleep(.milliseconds(30))
                stop.signal()
            })
        let started = MonotonicClock.now()
        let result = waitFor(ends[0], events: Int16(POLLIN), timeout: .seconds(10), orStop: stop)
        thread.join()
        #expect(try result.get() == 0)
        #expect(MonotonicClock.now() - started < 2_000_000_000)
    }

    @Test func conversionsSaturate() {
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
        #expect(Duration.seconds(Int64.max).monotonicNanoseconds == .max)
        #expect(Duration.seconds(-1).monotonicNanoseconds == 0)
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.milliseconds(1500).timeval.tv_sec == 1)
        #expect(Duration.milliseconds(1500).timeval.tv_usec == 500_000)
    }
}
