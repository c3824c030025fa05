import ArgumentParser
import Config
import TEMLink

/// The options of every command that talks to a meter.
struct MeterOptions: ParsableArguments {
    @Argument(
        help: "The meter line: tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=9600 or sim://.",
        transform: ArgumentText.endpoint)
    var endpoint: Endpoint

    @Option(help: "The meter's network address (0...255).")
    var address: Int = 1

    @Option(help: "How long to wait for each reply, e.g. 500ms, 1.5s (default: 1s).", transform: ArgumentText.duration)
    var timeout: Duration = .seconds(1)

    @Option(help: "How many times to repeat a failed exchange (0...10).")
    var retries: Int = 2

    @Flag(help: "Print every frame sent and received, in hex, with direction and time, on stderr.")
    var trace = false

    func validate() throws {
        guard (0...255).contains(address) else { throw ValidationError("address \(address) is out of range 0...255") }
        guard (0...10).contains(retries) else { throw ValidationError("retries \(retries) is out of range 0...10") }
    }

    /// The address as the protocol takes it (checked by `validate()`).
    var meterAddress: UInt8 { UInt8(address) }

    /// Opens the endpoint and returns a client for it; a link that cannot open throws its one-line error.
    func client() throws -> MeterClient {
        let link = try openAnyLink(endpoint)
        let settings = ExchangeSettings(timeout: timeout, retries: retries)
        return MeterClient(link: link, settings: settings, trace: trace ? Trace() : nil)
    }
}
