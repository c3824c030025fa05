import Platform
import Testing

@testable import ModbusServer

/// The RTU ports' silences in production: the fuzz-only knob (`RTUTiming`) must leave them at
/// libmodbus's defaults, which the bridge's RTU ports have always used.
@Suite struct RTUTimingTests {
    @Test func standardTimingIsLibmodbusDefaults() {
        #expect(RTUTiming.standard.byteTimeout == .milliseconds(500))
        #expect(RTUTiming.standard.foreignAnswerWindow == .milliseconds(500))
        #expect(RTUTiming.standard.byteTimeout.secondsAndMicroseconds == (0, 500_000))
    }
}
