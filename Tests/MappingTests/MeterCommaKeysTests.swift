import Config
import Mapping
import TEMProtocol
import Testing

/// The meter keys `comma_address` and `config_interval`.
@Suite struct MeterCommaKeysTests {
    static func map(_ keys: String) -> String {
        """
        lines:
          - { name: sim, endpoint: "sim://" }
        meters:
          - name: m
            address: 1
        \(keys.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            registers: [{ address: 0, value: energy.1 }]
        """
    }

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try MappingParser.parse(yaml: yaml, file: "test.yaml")
            return []
        } catch { return error.problems.map(\.description) }
    }

    @Test func defaultsDetectAndReadConfigurationHourly() throws {
        let meter = try #require(try MappingParser.parse(yaml: Self.map(""), file: "test.yaml").meters.first)
        #expect(meter.commaAddress == nil)
        #expect(meter.configInterval == .seconds(3600))
        #expect(MeterConfig.defaultConfigInterval == .seconds(3600))
    }

    @Test(arguments: [("0x2E8", CommaAddress.hole), ("0x02e8", .hole), ("0x2FA", .listed), ("\"0x02FA\"", .listed)])
    func commaAddress(text: String, expected: CommaAddress) throws {
        let mapping = try MappingParser.parse(yaml: Self.map("comma_address: \(text)\nconfig_interval: 15m"), file: "test.yaml")
        #expect(mapping.meters[0].commaAddress == expected)
        #expect(mapping.meters[0].configInterval == .seconds(900))
    }

    @Test func badValuesNameTheirPlace() {
        #expect(
            Self.problems(Self.map("comma_address: 0x300"))
                == [
                    "test.yaml:6:20: comma_address '0x300' must be 0x2FA (where the protocol lists comma) or 0x2E8 (the six-byte hole before diam)"
                ])
        #expect(Self.problems(Self.map("comma_address: [1]")).first?.hasPrefix("test.yaml:6:20: expected a text value") == true)
        #expect(Self.problems(Self.map("config_interval: 5")) == ["test.yaml:6:22: malformed duration '5' (write a unit: 5s)"])
        #expect(Self.problems(Self.map("config_interval: 0s")).first?.hasPrefix("test.yaml:6:22:") == true)
        #expect(Self.problems(Self.map("comma_adress: 0x2E8")).first?.contains("did you mean 'comma_address'") == true)
    }
}
