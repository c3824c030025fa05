import Config
import Mapping
import Testing

/// `server.listen` as a list, the meters' `listen:` and `register_offset`.
@Suite struct PlacementTests {
    static let yaml = """
        server:
          listen: [0.0.0.0:1502, 0.0.0.0:1503]
        lines:
          - { name: c1, endpoint: "tcp://10.0.0.5:4001" }
        meters:
          - { name: a, line: c1, address: 1, unit_id: 1, registers: s }
          - { name: b, line: c1, address: 2, unit_id: 1, register_offset: 200, registers: s }
          - { name: c, line: c1, address: 3, unit_id: 1, listen: "0.0.0.0:1503", registers: s }
        register_sets:
          s:
            - { address: 0, value: status.online, type: uint16 }
            - { address: 10, value: temperature.1 }
        """

    @Test func metersAreServedAtTheirOffsetOnTheirListener() throws {
        let mapping = try MappingParser.parse(yaml: Self.yaml, file: "m.yaml")
        #expect(mapping.server.listeners.map(\.description) == ["0.0.0.0:1502", "0.0.0.0:1503"])
        #expect((mapping.server.host, mapping.server.port) == ("0.0.0.0", 1502))
        #expect(mapping.server.listener(1).port == 1503)
        #expect(mapping.meters.map(\.listener) == [0, 0, 1])
        #expect(mapping.meters.map(\.registerOffset) == [0, 200, 0])
        #expect(mapping.meters[1].registers.map(\.address) == [200, 210])
        #expect(mapping.meters[0].registers.map(\.address) == [0, 10])
        #expect(mapping.meter(unitID: 1, listener: 1)?.name == "c")
        #expect(mapping.meter(unitID: 1)?.name == "a")
    }

    @Test func oneListenAddressStaysTheOnlyListener() throws {
        let yaml = """
            server:
              listen: 127.0.0.1:15020
            lines:
              - { name: c1, endpoint: "tcp://10.0.0.5:4001" }
            meters:
              - { name: a, address: 1, unit_id: 1, listen: 127.0.0.1:15020, registers: [{ address: 0, value: temperature.1 }] }
            """
        let mapping = try MappingParser.parse(yaml: yaml, file: "m.yaml")
        #expect(mapping.server.listeners.map(\.description) == ["127.0.0.1:15020"])
        #expect(mapping.server.moreListeners.isEmpty && mapping.meters[0].listener == 0)
    }
}
