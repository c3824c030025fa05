import ArgumentParser

struct Identify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the identify command and print the meter's reply.")

    @OptionGroup var meter: MeterOptions

    func run() throws {
        try reportingFailures {
            let client = try meter.client()
            defer { client.link.close() }
            do {
                let name = try client.identify(address: meter.meterAddress)
                print("address \(meter.address): \(name)")
            } catch { throw Failure("\(error)") }
        }
    }
}
