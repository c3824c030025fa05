import ArgumentParser

struct Identify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the identify command and print the meter's reply.")

    @OptionGroup var meter: MeterOptions

    func run() throws {
        let client = try meter.client()
        defer { client.link.close() }
        let name = try client.identify(address: meter.meterAddress)
        print("address \(meter.address): \(name)")
    }
}
