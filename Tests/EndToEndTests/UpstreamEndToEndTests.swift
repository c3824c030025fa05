import Foundation
import Testing

/// Forwarding to a real PostgreSQL 15 server the test starts itself, checked with psql.
@Suite(.serialized) struct UpstreamEndToEndTests {
    typealias E = ArchiveStoreEndToEndTests

    static func frozenSim(seed: Int, history: Int = 100) throws -> (Background, String) {
        let sim = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--frozen", "--seed", "\(seed)", "--addresses", "1",
            "--history", "\(history)",
        ])
        let port = try sim.wait(for: #"on tcp://127\.0\.0\.1:(\d+)"#)
        return (sim, "tcp://127.0.0.1:\(port)")
    }

    /// Records in the local store of `mapping`, all kinds.
    static func localCount(_ mapping: String) throws -> Int {
        try ["hourly", "daily", "monthly"].reduce(0) { $0 + (try E.history(mapping, $1).count) }
    }

    static func centralCount(_ pg: PostgresServer) throws -> (rows: Int, distinct: Int) {
        let out = try pg.psql(
            "SELECT count(*) || ' ' || count(DISTINCT (serial_number, kind, period)) FROM tembridge_archive")
        let parts = out.split(separator: " ").compactMap { Int($0) }
        return (parts[0], parts[1])
    }

    @Test func twoBridgesFeedOneDatabaseOnceEach() throws {
        let pg = try PostgresServer()
        defer { pg.remove() }
        let (simA, endpointA) = try Self.frozenSim(seed: 81)
        defer { simA.stop() }
        let (simB, endpointB) = try Self.frozenSim(seed: 82)
        defer { simB.stop() }
        let (mapA, _) = try E.files(endpointA, upstream: pg.url())
        let (mapB, _) = try E.files(endpointB, upstream: pg.url())
        let (a, _) = try E.serve(mapA)
        let (b, _) = try E.serve(mapB)
        for server in [a, b] { try server.wait(for: "hourly backfill done", timeout: 60) }
        Thread.sleep(forTimeInterval: 1)
        let expected = try Self.localCount(mapA) + Self.localCount(mapB)
        #expect(expected > 2 * 100)
        #expect(try E.eventually(timeout: 30) { try Self.centralCount(pg).rows == expected })
        // Two serial numbers, every row once.
        #expect(try pg.psql("SELECT count(DISTINCT serial_number) FROM tembridge_archive") == "2")
        #expect(try Self.centralCount(pg).distinct == expected)
        // A row upstream equals the local one: same raw bytes.
        let local = try E.history(mapA, "hourly").last!.split(separator: ",")
        let period = local[3].replacingOccurrences(of: "T", with: " ")
        let energy = try pg.psql(
            "SELECT energy_1 FROM tembridge_archive WHERE serial_number = \(local[1]) AND kind = 'hourly' AND period = '\(period)'"
        )
        #expect(Double(energy) == Double(local[4 + 0]))

        // A restart forwards nothing twice (progress is kept in the SQLite file).
        #expect(a.stop() == 0)
        let (again, _) = try E.serve(mapA)
        Thread.sleep(forTimeInterval: 3)
        #expect(again.stop() == 0)
        #expect(b.stop() == 0)
        #expect(try Self.centralCount(pg).rows == expected)
    }

    @Test func recordsWaitWhilePostgresIsDownAndArriveOnceWhenItIsBack() throws {
        let pg = try PostgresServer()
        defer { pg.remove() }
        let (sim, endpoint) = try Self.frozenSim(seed: 83)
        defer { sim.stop() }
        let (mapping, _) = try E.files(endpoint, upstream: pg.url())
        let (server, _) = try E.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "hourly backfill done", timeout: 60)
        #expect(try E.eventually(timeout: 30) { try Self.centralCount(pg).rows == (try Self.localCount(mapping)) })

        try pg.stop()
        sim.send("advance 30h")
        #expect(try E.eventually(timeout: 30) { try E.history(mapping, "hourly").count == 130 })
        try server.wait(for: "upstream .*: (connection refused|unreachable)", timeout: 30)
        Thread.sleep(forTimeInterval: 8)  // several retries
        let failures = server.stderr.split(separator: "\n").filter { $0.contains(" error upstream ") }
        #expect(failures.count == 1, "one line per failure kind, not per retry: \(failures)")

        try pg.start()
        let expected = try Self.localCount(mapping)
        #expect(try E.eventually(timeout: 90) { try Self.centralCount(pg).rows == expected })
        try server.wait(for: "upstream .*: reachable again", timeout: 30)
        let central = try Self.centralCount(pg)
        #expect(central.rows == central.distinct)
        #expect(try pg.psql("SELECT count(*) FROM tembridge_archive WHERE kind = 'hourly'") == "130")
    }

    @Test func aWrongPasswordIsOneClearLineAndServingGoesOn() throws {
        let pg = try PostgresServer()
        defer { pg.remove() }
        let (sim, endpoint) = try Self.frozenSim(seed: 84, history: 10)
        defer { sim.stop() }
        let (mapping, _) = try E.files(endpoint, upstream: pg.url(password: "wrong"))
        let (server, port) = try E.serve(mapping)
        defer { server.stop() }
        try server.wait(for: "upstream postgres://postgres@127.0.0.1:\\d+/heat: wrong password", timeout: 30)
        Thread.sleep(forTimeInterval: 4)
        #expect(server.stderr.components(separatedBy: "wrong password").count - 1 == 1)
        #expect(!server.stderr.contains("wrong@"), "the password is not logged")
        let client = try ModbusClient(port: port)
        var read = client.read(unit: 1, address: 0, count: 2)
        _ = try E.eventually(timeout: 10) {
            read = client.read(unit: 1, address: 0, count: 2)
            return (try? read.get()) != nil
        }
        #expect((try? read.get()) != nil, "\(read) \(server.stderr)")
        #expect(try E.history(mapping, "hourly").count == 10)
    }
}
