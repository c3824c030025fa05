import ArgumentParser
import TEMLink
import TEMProtocol

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and decode every current value of one meter.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var meter: MeterOptions

    @Option(help: "table for people, json for programs.")
    var format: Format = .table

    func run() throws {
        let client = try meter.client()
        defer { client.link.close() }
        let definitions = ValueCatalog.all.filter(\.isFromT2K)
        var image = T2KImage()
        let identity = try client.identify(address: meter.meterAddress)
        for read in ReadPlanner.plan(values: definitions).reads {
            guard case let .readT2K(at, length) = read else { continue }
            image.store(try client.readT2K(address: meter.meterAddress, at: at, length: Int(length)), at: at)
        }
        let values = definitions.map { ($0, image.value(of: $0)) }
        switch format {
        case .json: print(try ValueOutput.json(address: meter.address, identity: identity, values: values))
        case .table: print(ValueOutput.table(address: meter.address, identity: identity, values: values))
        }
    }
}

/// How decoded values are printed.
enum ValueOutput {
    /// `{"address": N, "identity": "...", "values": {"name": number, ...}}`, keys sorted, numbers
    /// at full precision (the shortest text that reads back to the same double); a missing value
    /// is null.
    static func json(address: Int, identity: String, values: [(ValueDefinition, Double?)]) throws -> String {
        struct Reading: Encodable {
            let address: Int
            let identity: String
            let values: [String: Double?]
        }
        let byName = Dictionary(values.map { ($0.0.name, finite($0.1)) }, uniquingKeysWith: { first, _ in first })
        return try JSONText.encode(Reading(address: address, identity: identity, values: byName), pretty: true)
    }

    static func table(address: Int, identity: String, values: [(ValueDefinition, Double?)]) -> String {
        let width = values.map(\.0.name.count).max() ?? 0
        var lines = ["meter at address \(address): \(identity)", ""]
        for (definition, value) in values {
            let name = definition.name.padding(to: width)
            lines.append("\(name)  \(value.map(formatForPeople) ?? "-") \(definition.unit)")
        }
        return lines.joined(separator: "\n")
    }

    /// The value, or nil when there is none or it is not a number JSON can carry (NaN, infinity).
    static func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }

    /// Integers without a fraction, others as Swift's shortest round-trip text.
    static func formatNumber(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A value that came from a float32 printed as that float (76.017365, not 76.01736450195312).
    static func formatForPeople(_ v: Double) -> String {
        let f = Float(v)
        return Double(f) == v && v != v.rounded() ? "\(f)" : formatNumber(v)
    }
}

extension String {
    func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
