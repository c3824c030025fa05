/// How long an RTU port waits on its line for the end of a frame and for another slave's answer.
///
/// Production always uses `.standard`, the values RTU ports have always had (libmodbus's
/// defaults). The knob exists for the `rtu` fuzz target (`Tests/Fuzz/ModbusRTUFuzz.swift`): it
/// writes each input to a pseudo-terminal at once, where half a second of silence per input cut
/// short or per foreign request held the target at a few inputs per second. It is not a
/// configuration setting: a real bus at 9600 baud needs these margins.
package struct RTUTiming: Sendable, Equatable {
    /// The silence after which a frame is over (libmodbus's byte timeout): a frame cut short is
    /// dropped when it passes. Also how long the rest of a Read Device Identification request
    /// may take to come.
    package var byteTimeout: Duration
    /// How long another slave has to answer a request for its unit: a frame coming later is the
    /// master's next request (that slave was silent), not an answer to skip.
    package var foreignAnswerWindow: Duration

    package init(byteTimeout: Duration, foreignAnswerWindow: Duration) {
        self.byteTimeout = byteTimeout
        self.foreignAnswerWindow = foreignAnswerWindow
    }

    /// libmodbus's default byte timeout and response timeout, 0.5 s each.
    package static let standard = RTUTiming(byteTimeout: .milliseconds(500), foreignAnswerWindow: .milliseconds(500))

}
