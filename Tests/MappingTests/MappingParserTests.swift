import Config
import Foundation
import Mapping
import TEMProtocol
import Testing

@Suite struct MappingParserTests {
    static func parse(_ yaml: String) throws(MappingErrors) -> Mapping {
        try MappingParser.parse(yaml: yaml, file: "test.yaml")
    }

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try parse(yaml)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func defaults() throws {
        let mapping = try Self.parse(
            """
            lines:
              - { name: sim, endpoint: "sim://" }
            meters:
              - name: m
                address: 7
                registers: [{ address: 0, value: temperature.1 }]
            """)
        #expect(mapping.server == ServerConfiguration())
        #expect(mapping.lines == [LineConfig(name: "sim", endpoint: .simulator(options: [:]), timeout: .seconds(1), retries: 2)])
        let meter = try #require(mapping.meters.first)
        #expect(meter.line == "sim")
        #expect(meter.unitIDs == [7])
        #expect(meter.pollInterval == .seconds(5))
        #expect(meter.staleAfter == .seconds(15))
        let entry = try #require(meter.registers.first)
        #expect(
            entry
                == RegisterEntry(
                    address: 0, source: .value(ValueCatalog.definition(named: "temperature.1")!),
                    type: .float32, order: .ABCD, scale: nil, description: nil))
        #expect(entry.count == 2)
        #expect(!entry.isStatus)
        #expect(entry.effectiveDescription == "temperature, channel 1")
        #expect(entry.unitOfMeasure == "°C")
    }

    @Test func everyKey() throws {
        let mapping = try Self.parse(
            """
            server:
              listen: 0.0.0.0:0
              max_connections: 1000
              idle_timeout: 2m
              input_registers: no
              allow: [10.1.2.3/8, 192.168.1.7]
            lines:
              - name: bus
                endpoint: serial:///dev/ttyS1?baud=19200
                timeout: 500ms
                retries: 0
            meters:
              - name: m
                line: bus
                address: 0x0A
                unit_id: [0, 255, 0x10]
                poll_interval: 1m
                stale_after: 1h
                registers:
                  - address: 0x0200
                    raw: { t2k: 512, type: BCD }
                    type: Int32
                    order: dcba
                    scale: -2.5
                    description: a raw BCD byte
                  - { address: 0, value: status.polls_failed, type: uint32, order: BADC }
            """)
        #expect(
            mapping.server
                == ServerConfiguration(
                    host: "0.0.0.0", port: 0, maxConnections: 1000,
                    idleTimeout: .seconds(120), inputRegisters: false,
                    allow: [IPv4Network("10.0.0.0/8")!, IPv4Network("192.168.1.7/32")!]))
        #expect(
            mapping.lines == [
                LineConfig(
                    name: "bus", endpoint: .serial(path: "/dev/ttyS1", baud: 19200),
                    timeout: .milliseconds(500), retries: 0)
            ])
        let meter = try #require(mapping.meters.first)
        #expect(meter.address == 10)
        #expect(meter.unitIDs == [0, 255, 16])
        #expect(meter.pollInterval == .seconds(60))
        #expect(meter.staleAfter == .seconds(3600))
        #expect(
            meter.registers[0]
                == RegisterEntry(
                    address: 0x200, source: .raw(t2k: 0x200, type: .bcd), type: .int32,
                    order: .DCBA, scale: -2.5, description: "a raw BCD byte"))
        #expect(meter.registers[1].isStatus)
        #expect(meter.registers[1].order == .BADC)
    }

    @Test func ipv6ListenAddressIsRefused() {
        #expect(
            Self.problems(
                """
                server: { listen: "[::1]:1502" }
                lines: [{ name: sim, endpoint: "sim://" }]
                meters: [{ name: m, address: 1, registers: [{ address: 0, value: clock, type: uint32 }] }]
                """) == [
                    "test.yaml:1:19: listen address '[::1]:1502' is IPv6; tembridge serves IPv4 only (use an IPv4 address, a host name or 0.0.0.0)"
                ])
    }

    /// YAML anchors and aliases work; a problem inside an aliased list is reported once.
    @Test func aliases() throws {
        let yaml = """
            lines: [{ name: sim, endpoint: "sim://" }]
            meters:
              - { name: a, address: 1, registers: &regs [{ address: 0, value: clock, type: uint32 }] }
              - { name: b, address: 2, registers: *regs }
            """
        #expect(try Self.parse(yaml).meters.map(\.registers.count) == [1, 1])
        #expect(
            Self.problems(yaml.replacing("value: clock", with: "value: clok")) == [
                "test.yaml:3:67: unknown value 'clok' (did you mean 'clock'?)"
            ])
    }

    @Test func problemsComeInFileOrder() {
        let problems = Self.problems(
            """
            meters:
              - { name: m, line: nowhere, address: 1, registers: [{ address: 0, value: x }] }
            lines:
              - { name: sim, endpoint: "sim://", timeout: 5 }
            """)
        #expect(
            problems == [
                "test.yaml:2:22: unknown line 'nowhere' (expected one of: sim)",
                "test.yaml:2:76: unknown value 'x'",
                "test.yaml:4:47: malformed duration '5' (write a unit: 5s)",
            ])
    }

    @Test func errorsDescribeOneProblemPerLine() {
        let errors = MappingErrors([
            MappingProblem(file: "a.yaml", line: 1, column: 2, message: "one"),
            MappingProblem(file: "a.yaml", line: 3, column: 4, message: "two"),
        ])
        #expect(errors.description == "a.yaml:1:2: one\na.yaml:3:4: two")
    }

    @Test func unreadableFiles() throws {
        let missing = "/nonexistent/tembridge/map.yaml"
        #expect(throws: MappingErrors([MappingProblem(file: missing, line: 1, column: 1, message: "cannot read: no such file")]))
        {
            try MappingParser.load(path: missing)
        }
        let directory = FileManager.default.temporaryDirectory.path
        #expect(
            throws: MappingErrors([MappingProblem(file: directory, line: 1, column: 1, message: "cannot read: is a directory")])
        ) {
            try MappingParser.load(path: directory)
        }
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("tembridge-mapping-\(UUID()).yaml")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        defer { try? FileManager.default.removeItem(at: binary) }
        #expect(
            throws: MappingErrors([MappingProblem(file: binary.path, line: 1, column: 1, message: "cannot read: not UTF-8 text")])
        ) {
            try MappingParser.load(path: binary.path)
        }
    }
}
