import Mapping
import ModbusServer
import TEMProtocol
import Testing

@testable import Bridge

/// What the bridge puts into a unit image for Read Device Identification and `on_stale`.
@Suite struct IdentityAndStaleRenderingTests {
    static func meter(onStale: String) throws -> MeterRuntime {
        let yaml = """
            lines: [{ name: l, endpoint: "sim://" }]
            meters:
              - { name: m, line: l, address: 5, unit_id: [1, 2], on_stale: \(onStale), registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 2, value: temperature.1 }
                - { address: 4, value: serial_number, type: uint32 }
            """
        return MeterRuntime(config: try MappingParser.parse(yaml: yaml, file: "m.yaml").meters[0])
    }

    static func snapshot(serial: UInt32, temperature: Float) -> Snapshot {
        var image = T2KImage()
        image.store(withUnsafeBytes(of: serial.bigEndian) { Array($0) }, at: T2KMap.serialNumber)
        let temperatureAddress = ValueCatalog.definition(named: "temperature.1")!.t2kRanges[0].lowerBound
        image.store(withUnsafeBytes(of: temperature.bitPattern.bigEndian) { Array($0) }, at: temperatureAddress)
        return Snapshot(image: image, archive: [:], time: 1)
    }

    @Test func identityComesWithTheSnapshotOnceTheMeterIdentified() throws {
        let meter = try Self.meter(onStale: "exception")
        #expect(
            meter.plans(comma: .listed).full.reads.contains { read in
                read.address <= T2KMap.serialNumber && T2KMap.serialNumber + 3 <= read.range.upperBound
            })
        #expect(meter.images(now: 0, since: 0)[0].identity == nil)
        _ = meter.succeeded(Self.snapshot(serial: 123_456, temperature: 61.5))
        #expect(meter.images(now: 2, since: 0)[0].identity == nil, "no identify reply yet")
        #expect(meter.needsModel(at: 2))
        meter.identified("ТЕМС106")  // cp1251 Cyrillic, decoded
        let images = meter.images(now: 3, since: 0)
        #expect(
            images.map(\.identity)
                == Array(repeating: DeviceIdentity(modelName: "TEMC106", serialNumber: 123_456, networkAddress: 5), count: 2))
        #expect(!meter.needsModel(at: 4))
    }

    @Test func aFailedIdentifyWaitsTenMinutes() throws {
        let meter = try Self.meter(onStale: "exception")
        meter.identifyFailed(at: 1_000)
        #expect(!meter.needsModel(at: 1_000 + 599_000_000_000))
        #expect(meter.needsModel(at: 1_000 + 600_000_000_000))
    }

    @Test func nanRendersTheStaleRegistersWithoutMeterData() throws {
        let meter = try Self.meter(onStale: "nan")
        _ = meter.succeeded(Self.snapshot(serial: 7, temperature: 61.5))
        let image = try #require(meter.images(now: 2, since: 0).first)
        #expect(image.onStale == .nan)
        #expect(Float(bitPattern: UInt32(image.registers[2]) << 16 | UInt32(image.registers[3])) == 61.5)
        let stale = try #require(image.staleRegisters)
        #expect(stale[0] == image.registers[0], "status registers are the same")
        #expect(Float(bitPattern: UInt32(stale[2]) << 16 | UInt32(stale[3])).isNaN)
        #expect(Array(stale[4...5]) == [0, 0])
    }

    @Test func otherPoliciesHaveNoStaleRegisters() throws {
        for policy in ["exception", "last_value"] {
            let image = try #require(Self.meter(onStale: policy).images(now: 0, since: 0).first)
            #expect(image.staleRegisters == nil)
            #expect(image.onStale.rawValue == policy)
        }
    }

    /// An integer register whose value is NaN (here an archive value with no record yet) is
    /// marked unavailable, so that a read of it answers 0B; float and status registers are not.
    @Test func anIntegerRegisterWithoutAValueIsMarkedUnavailable() throws {
        let yaml = """
            lines: [{ name: l, endpoint: "sim://" }]
            meters:
              - { name: m, line: l, address: 5, unit_id: 1, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 2, value: temperature.1 }
                - { address: 4, value: archive.hourly.time, type: uint32 }
                - { address: 6, value: archive.hourly.energy.1, type: float32 }
            """
        let meter = MeterRuntime(config: try MappingParser.parse(yaml: yaml, file: "m.yaml").meters[0])
        #expect(meter.images(now: 0, since: 0)[0].unavailable == nil, "never read: stale anyway")
        _ = meter.succeeded(Self.snapshot(serial: 7, temperature: 61.5))
        let image = try #require(meter.images(now: 2, since: 0).first)
        #expect(image.unavailable == [false, false, false, false, true, true, false, false])
        #expect(Float(bitPattern: UInt32(image.registers[6]) << 16 | UInt32(image.registers[7])).isNaN)
    }
}
