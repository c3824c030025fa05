import Platform
import Testing

@Suite struct DeadlineTests {
    @Test(
        arguments: [
            (.seconds(1), "1s"), (.milliseconds(500), "0.5s"), (.milliseconds(1250), "1.25s"),
            (.milliseconds(30), "0.03s"), (.microseconds(999_900), "1s"), (.seconds(12), "12s"),
        ] as [(Duration, String)])
    func brief(duration: Duration, text: String) {
        #expect(duration.brief == text)
    }

    /// poll() waits are rounded up, so a wait of less than a millisecond is not a busy loop.
    @Test func pollMilliseconds() {
        #expect(Duration.microseconds(300).pollMilliseconds == 1)
        #expect(Duration.milliseconds(250).pollMilliseconds == 250)
        #expect(Duration.zero.pollMilliseconds == 0)
        #expect(Duration.milliseconds(-5).pollMilliseconds == 0)
        #expect(Duration.seconds(1_000_000_000).pollMilliseconds == Int32.max)
    }

    @Test func remainingNeverNegative() {
        let deadline = Deadline(after: .milliseconds(-10))
        #expect(deadline.hasPassed)
        #expect(deadline.remaining == .zero)
        #expect(Deadline(after: .seconds(5)).remaining > .seconds(4))
    }
}
