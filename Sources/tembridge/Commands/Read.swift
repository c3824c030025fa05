import ArgumentParser
import Bridge
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
        try reportingFailures {
            let client = try meter.client()
            defer { client.link.close() }
            let definitions = ValueCatalog.all.filter(\.isFromT2K)
            let image: T2KImage
            let identity: String
            let decision: CommaDecision
            do {
                identity = try client.identify(address: meter.meterAddress)
                decision = try CommaDetection.decide(client: client, address: meter.meterAddress, override: comma.address)
                image = try client.read(
                    ReadPlanner.plan(values: definitions, comma: decision.address), address: meter.meterAddress)
            } catch { throw Failure("\(error)") }
            let values = definitions.map { ($0, image.value(of: $0, comma: decision.address)) }
            let warnings =
                (decision.warning.map { [$0] } ?? []) + Plausibility.warnings(image, comma: decision.address).map(\.message)
            switch format {
            case .json:
                for warning in warnings { printError("meter \(meter.address): warning: \(warning)") }
                print(ValueOutput.json(address: meter.address, identity: identity, comma: decision.address, values: values))
            case .table:
                print(
                    ValueOutput.table(
                        address: meter.address, identity: identity, comma: decision, warnings: warnings, values: values))
            }
        }
    }
}

/// How decoded values are printed.
enum ValueOutput {
    /// `{"address": N, "identity": "...", "comma_address": "0x02FA", "values": {"name": number, ...}}`, numbers at full
    /// precision (shortest text that reads back to the same double); a missing value is null.
    static func json(address: Int, identity: String, comma: CommaAddress, values: [(ValueDefinition, Double?)]) -> String {
        let body = values.map { "    \(jsonString($0.0.name)): \(jsonNumber($0.1))" }.joined(separator: ",\n")
        return "{\n  \"address\": \(address),\n  \"identity\": \(jsonString(identity)),\n"
            + "  \"comma_address\": \(jsonString(comma.description)),\n  \"values\": {\n\(body)\n  }\n}"
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

    static func jsonNumber(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return formatNumber(v)
    }

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

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += "\\u" + hex(scalar.value, width: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
