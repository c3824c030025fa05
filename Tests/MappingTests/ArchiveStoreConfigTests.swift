import Config
import Mapping
import TEMProtocol
import Testing

/// The `archive_store:` section read into `ArchiveStoreConfig` (its problems: the corpus).
struct ArchiveStoreConfigTests {
    static let head = """
        lines:
          - { name: l, endpoint: "tcp://127.0.0.1:4001" }
        meters:
          - { name: m, address: 1, registers: [ { address: 0, value: temperature.1 } ] }

        """

    @Test func everyKey() throws {
        let mapping = try MappingParser.parse(
            yaml: Self.head + """
                archive_store:
                  path: /var/lib/tembridge/archive.sqlite
                  kinds: [monthly, hourly]
                  backfill: no
                  reads_per_poll: 0x0C
                  upstream: postgres://tembridge@db.plant/heat
                """, file: "map.yaml")
        let store = try #require(mapping.archiveStore)
        #expect(store.path == "/var/lib/tembridge/archive.sqlite")
        #expect(store.pathLocation == "map.yaml:6:9")
        #expect(store.kinds == [.hourly, .monthly])
        #expect(store.backfill == false)
        #expect(store.readsPerPoll == 12)
        #expect(store.upstream == "postgres://tembridge@db.plant/heat")
    }

    @Test func defaultsAndAbsence() throws {
        let mapping = try MappingParser.parse(yaml: Self.head + "archive_store: { path: a.sqlite }\n", file: "map.yaml")
        #expect(mapping.archiveStore == ArchiveStoreConfig(path: "a.sqlite", pathLocation: "map.yaml:5:24"))
        #expect(mapping.archiveStore?.kinds == ArchiveKind.allCases)
        #expect(mapping.archiveStore?.readsPerPoll == 6)
        #expect(try MappingParser.parse(yaml: Self.head, file: "map.yaml").archiveStore == nil)
    }
}
