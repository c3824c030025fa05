import Config
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("5s", .seconds(5)), ("2m", .seconds(120)),
        ("1h", .seconds(3600)), (" 10s ", .seconds(10)), ("0s", .zero), ("1.5s", .milliseconds(1500)),
        ("0.25h", .seconds(900)), ("2.5ms", .microseconds(2500)), ("0.000000001s", .nanoseconds(1)),
        ("1.0m", .seconds(60)),
    ])
    func parses(text: String, duration: Duration) throws {
        #expect(try Duration(parsing: text) == duration)
    }

    @Test(arguments: [
        ("5", "malformed duration '5' (write a unit: 5s)"),
        ("1.5", "malformed duration '1.5' (write a unit: 1.5s)"),
        ("5 s", "malformed duration '5 s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("2d", "malformed duration '2d' (unknown unit 'd'; use ms, s, m or h)"),
        ("-5s", "malformed duration '-5s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("s", "malformed duration 's' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("1.s", "malformed duration '1.s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        (".5s", "malformed duration '.5s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("1.2.3s", "malformed duration '1.2.3s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("0.1ns", "malformed duration '0.1ns' (unknown unit 'ns'; use ms, s, m or h)"),
        ("0.0000000001s", "malformed duration '0.0000000001s' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
        ("0.0000001ms", "malformed duration '0.0000001ms' (finer than a nanosecond)"),
        ("9999999999h", "malformed duration '9999999999h' (write a number and a unit: 500ms, 1.5s, 2m or 1h)"),
    ])
    func refuses(text: String, message: String) {
        #expect(throws: DurationSyntaxError.self) { try Duration(parsing: text) }
        do {
            _ = try Duration(parsing: text)
        } catch {
            #expect(error.description == message)
        }
    }

    /// The largest duration the grammar takes does not overflow.
    @Test func largest() throws {
        #expect(try Duration(parsing: "999999999.999999999h") > .seconds(3_599_999_999_999))
    }

    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"), (.seconds(5), "5s"), (.seconds(120), "2m"),
        (.seconds(7200), "2h"), (.milliseconds(1500), "1500ms"), (.seconds(90), "90s"), (.zero, "0s"),
    ])
    func writes(duration: Duration, text: String) throws {
        #expect(duration.mappingText == text)
        #expect(try Duration(parsing: text) == duration)
    }
}
