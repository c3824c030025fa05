import ArchiveStore
import ArgumentParser
import JSONOutput
import TEMLink
import TEMProtocol

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and decode every current value of one meter.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var meter: MeterOptions

    @Option(help: "table for people, json for programs.")
    var format: Format = .table

    @OptionGroup var comma: CommaOption

    func run() throws {
        let client = try meter.client()
        defer { client.link.close() }
        let definitions = ValueCatalog.all.filter(\.isFromT2K)
        let identity = try client.identify(address: meter.meterAddress)
        let decision = try CommaDetection.decide(client: client, address: meter.meterAddress, override: comma.address)
        let image = try client.read(ReadPlanner.plan(values: definitions, comma: decision.address), address: meter.meterAddress)
        let shared = SharedCommaBytes.readable(under: decision)
        let values = definitions.map { ($0, image.value(of: $0, comma: decision.address, sharedCommaBytes: shared)) }
        let warnings =
            (decision.warning.map { [$0] } ?? [])
            + Plausibility.warnings(image, comma: decision.address, commaChannels: decision.checkedChannels)
            .map(\.message)
        switch format {
        case .json:
            for warning in warnings { printError("meter \(meter.address): warning: \(warning)") }
            print(try ValueOutput.json(address: meter.address, identity: identity, comma: decision.address, values: values))
        case .table:
            print(
                ValueOutput.table(address: meter.address, identity: identity, comma: decision, warnings: warnings, values: values)
            )
        }
    }
}

/// How decoded values are printed.
enum ValueOutput {
    /// `{"address": N, "comma_address": "0x02FA", "identity": "...", "values": {"name": number, ...}}`,
    /// keys sorted, numbers at full precision (the shortest text that reads back to the same
    /// double); a missing value is null.
    static func json(address: Int, identity: String, comma: CommaAddress, values: [(ValueDefinition, Double?)]) throws
        -> String
    {
        struct Reading: Encodable {
            let address: Int
            let identity: String
            let commaAddress: String
            let values: [String: Double?]
            enum CodingKeys: String, CodingKey {
                case address, identity, values
                case commaAddress = "comma_address"
            }
        }
        let byName = Dictionary(values.map { ($0.0.name, finite($0.1)) }, uniquingKeysWith: { first, _ in first })
        return try JSONText.encode(
            Reading(address: address, identity: identity, commaAddress: comma.description, values: byName), pretty: true)
    }

    /// The identity, the comma location and why, any warnings, then one value a line.
    static func table(
        address: Int, identity: String, comma: CommaDecision, warnings: [String], values: [(ValueDefinition, Double?)]
    ) -> String {
        let width = values.map(\.0.name.count).max() ?? 0
        var lines = ["meter at address \(address): \(identity)", comma.summary]
        lines += warnings.map { "warning: \($0)" }
        lines.append("")
        for (definition, value) in values {
            let name = definition.name.padding(to: width)
            lines.append("\(name)  \(value.map(formatForPeople) ?? "-") \(definition.unit)")
        }
        return lines.joined(separator: "\n")
    }

    /// The value, or nil when there is none or it is not a number JSON can carry (NaN, infinity).
    static func finite(_ v: Double?) -> Double? { ArchiveRecordText.finite(v) }

    /// Integers without a fraction, others as Swift's shortest round-trip text.
    static func formatNumber(_ v: Double) -> String { ArchiveRecordText.formatNumber(v) }

    /// A value that came from a float32 printed as that float (76.017365, not 76.01736450195312).
    static func formatForPeople(_ v: Double) -> String {
        let f = Float(v)
        return Double(f) == v && v != v.rounded() ? "\(f)" : formatNumber(v)
    }
}

extension String {
    func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
