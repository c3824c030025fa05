import Config
import Mapping
import Testing

/// `server.rtu`, `on_stale` and the KEPServerEX tag file.
@Suite struct RTUMappingTests {
    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try MappingParser.parse(yaml: yaml, file: "m.yaml")
            return []
        } catch { return error.problems.map(\.description) }
    }

    static func map(server: String, line: String = "sim://", onStale: String? = nil) -> String {
        """
        server:
        \(server)
        lines:
          - { name: l, endpoint: "\(line)" }
        meters:
          - name: m
            address: 1
            unit_id: [1, 2]
        \(onStale.map { "    on_stale: \($0)" } ?? "")
            registers:
              - { address: 0, value: temperature.1 }
        """
    }

    @Test func rtuPortsWithDefaultsAndOptions() throws {
        let mapping = try MappingParser.parse(
            yaml: Self.map(
                server: """
                      rtu:
                        - port: serial:///dev/ttyS1
                        - port: serial:///dev/ttyS2?baud=9600&parity=none&stop=2
                          unit_ids: [2]
                          rs485: true
                    """), file: "m.yaml")
        #expect(
            mapping.server.rtu == [
                RTUPortConfiguration(path: "/dev/ttyS1", baud: 19200, parity: "E", stopBits: 1),
                RTUPortConfiguration(path: "/dev/ttyS2", baud: 9600, parity: "N", stopBits: 2, unitIDs: [2], rs485: true),
            ])
        #expect(mapping.meters[0].onStale == .exception)
    }

    @Test func badSerialSettingsAreRefusedWithTheirPosition() {
        let problems = Self.problems(
            Self.map(
                server: """
                      rtu:
                        - port: serial:///dev/ttyS1?baud=230400
                        - port: serial:///dev/ttyS2?parity=mark
                        - port: serial:///dev/ttyS3?stop=3
                        - port: serial:///dev/ttyS4?data=7
                        - port: tcp://127.0.0.1:502
                    """))
        #expect(
            problems == [
                "m.yaml:3:13: invalid endpoint 'serial:///dev/ttyS1?baud=230400': baud 230400 is out of range 1200...115200",
                "m.yaml:4:13: invalid endpoint 'serial:///dev/ttyS2?parity=mark': parity 'mark' is not none, even or odd",
                "m.yaml:5:13: invalid endpoint 'serial:///dev/ttyS3?stop=3': stop bits '3' must be 1 or 2",
                "m.yaml:6:13: invalid endpoint 'serial:///dev/ttyS4?data=7': unknown option 'data' (an RTU port takes baud, parity and stop)",
                "m.yaml:7:13: invalid endpoint 'tcp://127.0.0.1:502': a Modbus RTU port is serial:///dev/PORT, not tcp://",
            ])
    }

    @Test func aPortIsEitherAMeterLineOrAnRTUPort() {
        let problems = Self.problems(
            Self.map(
                server: """
                      rtu:
                        - port: serial:///dev/ttyUSB0?baud=19200
                        - port: serial:///dev/ttyS5
                        - port: serial:///dev/ttyS5?baud=9600
                    """, line: "serial:///dev/ttyUSB0?baud=9600"))
        #expect(
            problems == [
                "m.yaml:3:13: /dev/ttyUSB0 is already the meter line 'l' (a port is either a meter line or an RTU port)",
                "m.yaml:5:13: RTU port /dev/ttyS5 is already listed at 4:13",
            ])
    }

    @Test func rtuUnitIDsMustBeServed() {
        let problems = Self.problems(
            Self.map(
                server: """
                      rtu:
                        - port: serial:///dev/ttyS1
                          unit_ids: [2, 7, 2, 248]
                    """))
        #expect(
            problems == [
                "m.yaml:4:21: RTU unit id 7 is not the unit id of any meter",
                "m.yaml:4:24: unit id 2 is listed twice",
                "m.yaml:4:27: RTU unit id 248 is out of range 1...247",
            ])
    }

    @Test func onStale() throws {
        #expect(
            try MappingParser.parse(yaml: Self.map(server: "  listen: 127.0.0.1:1502", onStale: "nan"), file: "m").meters[0]
                .onStale == .nan)
        #expect(
            try MappingParser.parse(yaml: Self.map(server: "  listen: 127.0.0.1:1502", onStale: "last_value"), file: "m").meters[
                0
            ].onStale
                == .lastValue)
        #expect(
            Self.problems(Self.map(server: "  listen: 127.0.0.1:1502", onStale: "last_values")) == [
                "m.yaml:9:15: unknown on_stale 'last_values' (did you mean 'last_value'?) (use exception, last_value or nan)"
            ])
    }
}

/// The KEPServerEX tag import file, against the columns of KEPServerEX's CSV export/import
/// (Tag Name, Address, Data Type, Respect Data Type, Client Access, Scan Rate, Scaling, Raw Low,
/// Raw High, Scaled Low, Scaled High, Scaled Data Type, Clamp Low, Clamp High, Eng Units,
/// Description) and its Modbus data types.
@Suite struct KepwareTagsTests {
    static let yaml = """
        lines:
          - { name: sim, endpoint: "sim://" }
        meters:
          - name: b
            address: 2
            poll_interval: 2s
            registers:
              - { address: 10, value: energy.1, type: uint32, scale: 1000, description: "energy, kWh" }
              - { address: 0, value: status.online, type: uint16 }
              - { address: 1, value: temperature.2, type: int16 }
              - { address: 20, value: energy.2, type: int32 }
              - { address: 30, value: volume.1, type: float64 }
          - name: a
            address: 1
            unit_id: [3, 1]
            registers:
              - { address: 2, raw: { t2k: 0x0200, type: f32 }, type: float32, order: CDAB }
        """

    @Test func columnsAndOneRowPerEntryPerUnit() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "k.yaml")
        let lines = KepwareTags.csv(mapping).components(separatedBy: "\r\n")
        #expect(
            lines[0]
                == "Tag Name,Address,Data Type,Respect Data Type,Client Access,Scan Rate,Scaling,Raw Low,Raw High,Scaled Low,Scaled High,Scaled Data Type,Clamp Low,Clamp High,Eng Units,Description"
        )
        #expect(
            Array(lines.dropFirst()) == [
                "unit_1.raw_0x0200_f32,400003,Float,1,RO,5000,,,,,,,0,0,,",
                "unit_2.status_online,400001,Word,1,RO,2000,,,,,,,0,0,,\"1 while the meter's data is fresh, else 0\"",
                "unit_2.temperature_2,400002,Short,1,RO,2000,,,,,,,0,0,°C,\"temperature, channel 2\"",
                "unit_2.energy_1,400011,DWord,1,RO,2000,Linear,0,1000,0,1,Double,0,0,MWh,\"energy, kWh\"",
                "unit_2.energy_2,400021,Long,1,RO,2000,,,,,,,0,0,MWh,\"energy, system 2\"",
                "unit_2.volume_1,400031,Double,1,RO,2000,,,,,,,0,0,m³,\"volume, channel 1\"",
                "unit_3.raw_0x0200_f32,400003,Float,1,RO,5000,,,,,,,0,0,,",
                "",
            ])
        for line in lines.dropFirst().dropLast() {
            // Every row has the 16 columns (quoted commas aside).
            var inQuotes = false
            var commas = 0
            for c in line {
                if c == "\"" { inQuotes.toggle() } else if c == ",", !inQuotes { commas += 1 }
            }
            #expect(commas == 15, "\(line)")
        }
        #expect(KepwareTags.csv(mapping, unitID: 3).components(separatedBy: "\r\n").count == 3)
    }
}
