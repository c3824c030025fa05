import Config
import Foundation
import Mapping
import TEMProtocol
import Testing

/// The repository root, found from this file's path (Tests/MappingTests/…).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func loadFromRepository(_ relativePath: String) throws -> Mapping {
    try MappingParser.load(path: repositoryRoot.appendingPathComponent(relativePath).path)
}

@Suite struct MappingFilesTests {
    @Test func defaultMapParses() throws {
        let mapping = try loadFromRepository("mapping/default.yaml")
        #expect(mapping.server == ServerConfiguration(host: "127.0.0.1", port: 1502))
        #expect(mapping.lines == [LineConfig(name: "sim", endpoint: .simulator(options: [:]))])
        #expect(mapping.meters.map(\.name) == ["meter-1", "meter-2"])
        #expect(mapping.meters.map(\.address) == [1, 2])
        #expect(mapping.meters.map(\.unitIDs) == [[1], [2]])
        #expect(mapping.meters[0].registers == mapping.meters[1].registers)
        #expect(mapping.meters[0].staleAfter == .seconds(15))
    }

    /// The standard set covers every value name of the contract, each once.
    @Test func defaultMapServesEveryValue() throws {
        let mapping = try loadFromRepository("mapping/default.yaml")
        let names = mapping.meters[0].registers.map(\.sourceName)
        #expect(names.count == Set(names).count)
        let missing = ValueCatalog.all.map(\.name).filter { !names.contains($0) }
        // Archive time counters are in the records but not worth registers in the default map;
        // the archive window needs an archive store, which the demo has not.
        #expect(
            missing.allSatisfy { ($0.hasPrefix("archive.") && $0.contains(".time.")) || $0.hasPrefix("archive_window.") },
            "\(missing)")
    }

    @Test(arguments: [
        "two-meters-one-converter", "plc-cdab-floats", "scaled-int16-old-plc", "local-rs485", "home-assistant-mqtt",
        "rtu-slave-for-plc",
    ])
    func exampleParses(name: String) throws {
        let mapping = try loadFromRepository("mapping/examples/\(name).yaml")
        #expect(!mapping.meters.isEmpty)
    }

    @Test func examplesDirectoryHoldsOnlyTestedFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(
            atPath: repositoryRoot.appendingPathComponent("mapping/examples").path)
        #expect(
            Set(files) == [
                "two-meters-one-converter.yaml", "plc-cdab-floats.yaml",
                "scaled-int16-old-plc.yaml", "local-rs485.yaml", "home-assistant-mqtt.yaml", "rtu-slave-for-plc.yaml",
            ])
    }

    @Test func homeAssistantOverMQTT() throws {
        let mapping = try loadFromRepository("mapping/examples/home-assistant-mqtt.yaml")
        let mqtt = try #require(mapping.mqtt)
        #expect(mqtt.broker == MQTTBroker(host: "127.0.0.1", port: 1883, tls: false))
        #expect(mqtt.homeAssistant && mqtt.retain && mqtt.interval == .seconds(60))
        #expect(mapping.meters[0].registers.contains { $0.sourceName == "serial_number" })
    }

    @Test func rtuSlaveForPLC() throws {
        let mapping = try loadFromRepository("mapping/examples/rtu-slave-for-plc.yaml")
        #expect(
            mapping.server.rtu == [
                RTUPortConfiguration(path: "/dev/ttyS1", baud: 19200, parity: "E", stopBits: 1, unitIDs: [11, 12], rs485: true)
            ])
        #expect(mapping.meters.map(\.onStale) == [.exception, .lastValue])
    }

    @Test func twoMetersOnOneConverter() throws {
        let mapping = try loadFromRepository("mapping/examples/two-meters-one-converter.yaml")
        #expect(mapping.server.host == "0.0.0.0")
        #expect(mapping.server.port == 502)
        #expect(mapping.server.allow == [IPv4Network("10.0.0.0/8")!, IPv4Network("192.168.0.0/16")!])
        #expect(
            mapping.lines == [
                LineConfig(
                    name: "boiler-room", endpoint: .tcp(host: "192.168.1.50", port: 4001),
                    timeout: .seconds(2), retries: 2)
            ])
        #expect(mapping.meters(onLine: "boiler-room").map(\.address) == [1, 2])
        #expect(mapping.meter(unitID: 2)?.name == "building-b")
        #expect(mapping.meter(unitID: 3) == nil)
    }

    @Test func cdabExampleUsesTheOnlyLineAndHexRaw() throws {
        let mapping = try loadFromRepository("mapping/examples/plc-cdab-floats.yaml")
        let meter = try #require(mapping.meters.first)
        #expect(meter.line == "plant")
        #expect(meter.registers.filter { $0.type == .float32 }.allSatisfy { $0.order == .CDAB })
        let raw = try #require(meter.registers.last)
        #expect(raw.source == .raw(t2k: 0x0200, type: .f32))
        #expect(raw.sourceName == "raw 0x0200 f32")
    }

    @Test func scaledExample() throws {
        let mapping = try loadFromRepository("mapping/examples/scaled-int16-old-plc.yaml")
        let registers = mapping.meters[0].registers
        #expect(registers[1].type == .int16)
        #expect(registers[1].scale == 10)
        #expect(registers[0].scale == nil)
        #expect(mapping.meters[0].pollInterval == .seconds(30))
        #expect(mapping.meters[0].staleAfter == .seconds(90))
    }

    @Test func serialExampleDefaultsUnitIDToAddress() throws {
        let mapping = try loadFromRepository("mapping/examples/local-rs485.yaml")
        #expect(mapping.lines[0].endpoint == .serial(path: "/dev/ttyUSB0", baud: 9600))
        #expect(mapping.lines[0].retries == 3)
        #expect(mapping.meters.map(\.unitIDs) == [[1, 101], [2]])
    }
}
