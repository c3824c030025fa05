import Mapping
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("5s", .seconds(5)), ("2m", .seconds(120)),
        ("1h", .seconds(3600)), (" 10s ", .seconds(10)), ("0s", .zero),
    ])
    func parses(text: String, duration: Duration) throws {
        #expect(try Duration(parsing: text) == duration)
    }

    @Test(arguments: [
        ("5", "malformed duration '5' (write a unit: 5s)"),
        ("1.5s", "malformed duration '1.5s' (write a whole number and a unit: 500ms, 5s, 2m or 1h)"),
        ("5 s", "malformed duration '5 s' (write a whole number and a unit: 500ms, 5s, 2m or 1h)"),
        ("2d", "malformed duration '2d' (unknown unit 'd'; use ms, s, m or h)"),
        ("-5s", "malformed duration '-5s' (write a whole number and a unit: 500ms, 5s, 2m or 1h)"),
        ("s", "malformed duration 's' (write a whole number and a unit: 500ms, 5s, 2m or 1h)"),
        ("9999999999h", "malformed duration '9999999999h' (write a whole number and a unit: 500ms, 5s, 2m or 1h)"),
    ])
    func refuses(text: String, message: String) {
        #expect(throws: DurationSyntaxError.self) { try Duration(parsing: text) }
        do {
            _ = try Duration(parsing: text)
        } catch {
            #expect(error.description == message)
        }
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
