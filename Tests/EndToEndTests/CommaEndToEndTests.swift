import Foundation
import Testing

/// The bridge asks each meter where it keeps `comma` (issue 11): a meter that keeps it at 0x02E8
/// is served the same integrators as one that keeps it at 0x02FA, and the log says where and why.
@Suite struct CommaEndToEndTests {
    static func map(_ endpoint: String, commaKey: String = "") -> String {
        """
        server:
          listen: 127.0.0.1:0
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: 300ms, retries: 0 }
        meters:
          - name: m
            line: l
            address: 1
            unit_id: 1
            poll_interval: 200ms
            stale_after: 30s
        \(commaKey.isEmpty ? "" : "    " + commaKey + "\n")    registers:
              - { address: 0, value: energy.1, type: float64 }
              - { address: 4, value: volume.2, type: float64 }

        """
    }

    static func served(_ yaml: String, logLine: String) throws -> (energy: Double, volume: Double, log: String) {
        let (server, port, _) = try BridgeEndToEndTests.serve(yaml)
        defer { server.stop() }
        let line = try server.wait(for: logLine)
        let client = try ModbusClient(port: port)
        let registers = try BridgeEndToEndTests.eventually(
            { client.read(unit: 1, address: 0, count: 8) }, until: BridgeEndToEndTests.succeeded
        ).get()
        return (Decode.float64(Array(registers[0..<4])), Decode.float64(Array(registers[4..<8])), line)
    }

    @Test func integratorsAreRightWhereverTheMeterKeepsComma() throws {
        let atListed = try Self.served(Self.map("sim://?frozen=1&seed=3"), logLine: "meter m: comma at [^\n]*")
        let atHole = try Self.served(Self.map("sim://?frozen=1&seed=3&comma=0x2E8"), logLine: "meter m: comma at [^\n]*")
        #expect(atListed.log == "meter m: comma at 0x02FA (agrees with the newest hourly record)")
        #expect(atHole.log == "meter m: comma at 0x02E8 (agrees with the newest hourly record)")
        #expect(atHole.energy == atListed.energy && atHole.volume == atListed.volume)
        #expect(atListed.energy > 0)
        // Read at the listed place, the 0x02E8 meter's diameters would scale energy wrongly: the
        // override shows what the bridge would serve without asking the meter.
        let forced = try Self.served(
            Self.map("sim://?frozen=1&seed=3&comma=0x2E8", commaKey: "comma_address: 0x2FA"),
            logLine: "meter m: comma at [^\n]*")
        #expect(forced.log.hasPrefix("meter m: comma at 0x02FA (fixed by comma_address"))
        #expect(forced.energy != atListed.energy)
    }
}
