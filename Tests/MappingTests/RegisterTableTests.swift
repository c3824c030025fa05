import Config
import Mapping
import Testing

@Suite struct RegisterTableTests {
    static let yaml = """
        lines:
          - { name: sim, endpoint: "sim://" }
        meters:
          - name: b
            address: 2
            registers:
              - { address: 10, value: energy.1, type: uint32, scale: 1000, description: "energy, kWh" }
              - { address: 0, value: status.online, type: uint16 }
              - { address: 1, value: temperature.2, type: int16, scale: 0.5 }
          - name: a
            address: 1
            unit_id: [3, 1]
            on_stale: last_value
            registers:
              - { address: 2, raw: { t2k: 0x0200, type: f32 }, type: float32, order: CDAB }
              - { address: 0, value: temperature.1, description: 'say "hot" | cold' }
        """

    @Test func markdown() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "small.yaml")
        #expect(
            RegisterTable.markdown(mapping) == """
                | unit_id | meter | address | address_4x | count | type | order | scale | value | uom | description | on_stale |
                | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | --- | --- | --- | --- |
                | 1 | a | 0 | 400001 | 2 | float32 | ABCD |  | temperature.1 | °C | say "hot" \\| cold | last_value |
                | 1 | a | 2 | 400003 | 2 | float32 | CDAB |  | raw 0x0200 f32 |  |  | last_value |
                | 2 | b | 0 | 400001 | 1 | uint16 | ABCD | 1 | status.online |  | 1 while the meter's data is fresh, else 0 |  |
                | 2 | b | 1 | 400002 | 1 | int16 | ABCD | 0.5 | temperature.2 | °C | temperature, channel 2 | exception |
                | 2 | b | 10 | 400011 | 2 | uint32 | ABCD | 1000 | energy.1 | MWh | energy, kWh | exception |
                | 3 | a | 0 | 400001 | 2 | float32 | ABCD |  | temperature.1 | °C | say "hot" \\| cold | last_value |
                | 3 | a | 2 | 400003 | 2 | float32 | CDAB |  | raw 0x0200 f32 |  |  | last_value |

                """)
    }

    @Test func csv() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "small.yaml")
        let expected = [
            "unit_id,meter,address,address_4x,count,type,order,scale,value,uom,description,on_stale",
            #"1,a,0,400001,2,float32,ABCD,,temperature.1,°C,"say ""hot"" | cold",last_value"#,
            "1,a,2,400003,2,float32,CDAB,,raw 0x0200 f32,,,last_value",
            #"2,b,0,400001,1,uint16,ABCD,1,status.online,,"1 while the meter's data is fresh, else 0","#,
            "2,b,1,400002,1,int16,ABCD,0.5,temperature.2,°C,\"temperature, channel 2\",exception",
            "2,b,10,400011,2,uint32,ABCD,1000,energy.1,MWh,\"energy, kWh\",exception",
            #"3,a,0,400001,2,float32,ABCD,,temperature.1,°C,"say ""hot"" | cold",last_value"#,
            "3,a,2,400003,2,float32,CDAB,,raw 0x0200 f32,,,last_value",
        ]
        #expect(RegisterTable.csv(mapping) == expected.map { $0 + "\r\n" }.joined())
    }

    @Test func highAddressesKeepSixDigits() throws {
        let mapping = try MappingParser.parse(
            yaml: """
                lines: [{ name: sim, endpoint: "sim://" }]
                meters: [{ name: m, address: 1, registers: [{ address: 65535, value: status.online, type: uint16 }] }]
                """, file: "high.yaml")
        #expect(RegisterTable.csv(mapping).contains("\r\n1,m,65535,465536,1,uint16,"))
    }

    /// The default map's table: one row per entry per unit id, sorted.
    @Test func defaultMapTable() throws {
        let mapping = try loadFromRepository("mapping/default.yaml")
        let rows = RegisterTable.csv(mapping).split(separator: "\r\n")
        #expect(rows.count == 1 + 2 * mapping.meters[0].registers.count)
        #expect(rows[1].hasPrefix("1,meter-1,0,400001,1,uint16,ABCD,1,status.online,"))
        #expect(rows.last?.hasPrefix("2,meter-2,1354,401355,4,float64,ABCD,,archive.monthly.volume.8,") == true)
    }
}
