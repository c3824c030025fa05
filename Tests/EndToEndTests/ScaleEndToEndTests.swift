import Foundation
import Testing

/// One instance past 247 meters: several `server.listen` addresses, meters sharing a unit id at
/// `register_offset`s, and `simulate --endpoints` serving many converters from one process.
@Suite(.serialized) struct ScaleEndToEndTests {
    /// `simulate --listen 127.0.0.1:0 --endpoints N`: the process and its N ports.
    static func simulator(endpoints: Int, addresses: String) throws -> (Background, [Int]) {
        let simulator = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--endpoints", "\(endpoints)", "--addresses", addresses, "--frozen",
        ])
        let ports = try simulator.wait(for: #"on each of \d+ endpoints tcp://127\.0\.0\.1:ports ([0-9,]+)"#)
        return (simulator, ports.split(separator: ",").map { Int($0)! })
    }

    @Test func twoListenersAndOffsetsServeFourMetersOnUnitOne() throws {
        let (simulator, ports) = try Self.simulator(endpoints: 2, addresses: "1,2")
        defer { simulator.stop() }
        #expect(ports.count == 2 && Set(ports).count == 2)
        let second = try freePort()
        let yaml = """
            server:
              listen: [127.0.0.1:0, 127.0.0.1:\(second)]
            lines:
              - { name: a, endpoint: "tcp://127.0.0.1:\(ports[0])", timeout: 300ms, retries: 0 }
              - { name: b, endpoint: "tcp://127.0.0.1:\(ports[1])", timeout: 300ms, retries: 0 }
            meters:
              - { name: a1, line: a, address: 1, unit_id: 1, poll_interval: 200ms, stale_after: 5s, registers: set }
              - { name: a3, line: a, address: 3, unit_id: 1, register_offset: 100, poll_interval: 200ms, stale_after: 5s, registers: set }
              - { name: b1, line: b, address: 1, unit_id: 1, listen: 127.0.0.1:\(second), poll_interval: 200ms, stale_after: 5s, registers: set }
              - { name: b2, line: b, address: 2, unit_id: 1, listen: 127.0.0.1:\(second), register_offset: 100, poll_interval: 200ms, stale_after: 5s, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
                - { address: 1, value: network_address, type: uint16 }
            """
        let path = try temporaryFile(yaml)
        let check = try tembridge(["check", "--mapping", path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let server = try Background(["serve", "--mapping", path])
        defer { server.stop() }
        let listening = try server.wait(for: #"serving Modbus TCP on (127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+):"#)
        let bound = listening.split(separator: ",").map { Int($0.split(separator: ":")[1])! }
        #expect(bound.count == 2 && bound[0] != bound[1])
        let first = try ModbusClient(port: bound[0])
        // a1 answers at 0..1; a3 (no such meter on the line) at 100..101 is never fresh.
        let a1 = BridgeEndToEndTests.eventually({ first.read(unit: 1, address: 0, count: 2) }) {
            (try? $0.get()) == [1, 1]
        }
        #expect((try? a1.get()) == [1, 1])
        #expect(first.read(unit: 1, address: 100, count: 1).map { $0 } == .success([0]))  // status.online of a3
        #expect(BridgeEndToEndTests.isException(0x0B)(first.read(unit: 1, address: 101, count: 1)))
        #expect(BridgeEndToEndTests.isException(0x0B)(first.read(unit: 1, address: 0, count: 102)))
        #expect(first.read(unit: 1, address: 0, count: 100).map { Array($0.prefix(2)) } == .success([1, 1]))
        #expect(BridgeEndToEndTests.isException(0x02)(first.read(unit: 1, address: 101, count: 2)))
        // The second listener's unit 1 is b1 at 0 and b2 at 100, read in one request.
        #expect(bound[1] == second)
        let other = try ModbusClient(port: bound[1])
        let both = BridgeEndToEndTests.eventually({ other.read(unit: 1, address: 0, count: 102) }) {
            guard case let .success(registers) = $0 else { return false }
            return registers[0] == 1 && registers[100] == 1
        }
        guard case let .success(registers) = both else {
            Issue.record("second listener: \(both)")
            return
        }
        #expect(Array(registers[0...1]) == [1, 1] && Array(registers[100...101]) == [1, 2])
        #expect(registers[2..<100].allSatisfy { $0 == 0 })
        #expect(BridgeEndToEndTests.isException(0x0A)(other.read(unit: 2, address: 0, count: 1)))
    }

    @Test func registersExportShowsOffsetsAndListeners() throws {
        let yaml = """
            server:
              listen: [127.0.0.1:1502, 127.0.0.1:1503]
            lines:
              - { name: a, endpoint: "tcp://127.0.0.1:4001" }
            meters:
              - { name: m1, address: 1, unit_id: 7, registers: set }
              - { name: m2, address: 2, unit_id: 7, register_offset: 1000, registers: set }
              - { name: m3, address: 3, unit_id: 7, listen: 127.0.0.1:1503, registers: set }
            register_sets:
              set:
                - { address: 0, value: status.online, type: uint16 }
            """
        let path = try temporaryFile(yaml)
        let out = try tembridge(["registers", "--mapping", path, "--format", "csv"])
        #expect(out.status == 0, "\(out.stderr)")
        let rows = out.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.first?.last == "listen")
        let cells = rows.dropFirst().map { [$0[0], $0[1], $0[2], $0[3], $0.last!].map(String.init) }
        #expect(
            cells == [
                ["7", "m1", "0", "400001", "127.0.0.1:1502"], ["7", "m2", "1000", "401001", "127.0.0.1:1502"],
                ["7", "m3", "0", "400001", "127.0.0.1:1503"],
            ])
    }

    @Test func simulatorServesManyEndpointsFromOneProcessWithWireTime() throws {
        let simulator = try Background([
            "simulate", "--listen", "127.0.0.1:0", "--endpoints", "40", "--addresses", "1,2,3,4", "--frozen",
            "--line-speed", "9600", "--history", "2",
        ])
        defer { simulator.stop() }
        let ports = try simulator.wait(for: #"on each of 40 endpoints tcp://127\.0\.0\.1:ports ([0-9,]+)"#)
            .split(separator: ",").map(String.init)
        #expect(Set(ports).count == 40)
        // One thread serves up to 256 endpoints: the process has a handful, not one per endpoint.
        let status = try String(contentsOfFile: "/proc/\(simulator.process.processIdentifier)/status", encoding: .utf8)
        let threads = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }.map {
            Int($0.split(separator: "\t").last!)!
        }
        #expect((threads ?? 99) <= 6, "\(status)")
        for port in [ports[0], ports[17], ports[39]] {
            for address in [1, 4] {
                let out = try tembridge(["identify", "tcp://127.0.0.1:\(port)", "--address", "\(address)"])
                #expect(out.status == 0, "\(out.stderr)")
            }
        }
        // Wire time at 9600 baud: a full read of a meter takes its bytes × 10 / 9600 s at least.
        let read = try tembridge(["read", "tcp://127.0.0.1:\(ports[5])", "--address", "2", "--format", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.seconds > 0.3)
        #expect(try simulator.control("status").hasPrefix("ok"))
    }

    @Test func statusIsPagedAndSummarised() throws {
        var yaml = """
            server:
              listen: 127.0.0.1:0
            http:
              listen: 127.0.0.1:0
            lines:
              - { name: sim, endpoint: "sim://?addresses=1,2,3,4,5&frozen=1", timeout: 200ms, retries: 0 }
            meters:

            """
        for address in [1, 2, 3, 4, 5, 9] {
            yaml += "  - { name: m\(address), address: \(address), unit_id: \(address), poll_interval: 300ms, registers: set }\n"
        }
        yaml += "register_sets:\n  set:\n    - { address: 0, value: temperature.1 }\n"
        let server = try Background(["serve", "--mapping", try temporaryFile(yaml)])
        defer { server.stop() }
        let port = try server.wait(for: #"console on http://127\.0\.0\.1:(\d+)/"#)
        func json(_ query: String) throws -> [String: Any] {
            let answer = try httpGet("http://127.0.0.1:\(port)/api/status\(query)")
            guard answer.status == 200 else { throw TestFailure("\(query): \(answer.status) \(answer.body)") }
            return try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
        }
        func names(_ document: [String: Any]) -> [String] {
            (document["meters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        let deadline = Date().addingTimeInterval(15)
        var summary: [String: Int] = [:]
        while Date() < deadline {
            summary = try json("")["summary"] as? [String: Int] ?? [:]
            if summary["online"] == 5 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(summary == ["meters": 6, "online": 5, "stale": 1, "lines": 1])
        let all = try json("")
        #expect(names(all) == ["m1", "m2", "m3", "m4", "m5", "m9"] && all["paging"] == nil)
        let second = try json("?page=2&per_page=2")
        #expect(names(second) == ["m3", "m4"])
        #expect(second["paging"] as? [String: Int] == ["page": 2, "per_page": 2, "pages": 3, "matching": 6])
        #expect(second["summary"] as? [String: Int] == summary)
        #expect(names(try json("?page=4&per_page=2")).isEmpty)
        let stale = try json("?online=false")
        #expect(names(stale) == ["m9"] && (stale["lines"] as? [[String: Any]])?.count == 1)
        #expect(names(try json("?online=true&per_page=3&page=2")) == ["m4", "m5"])
        for bad in ["?page=0", "?per_page=1001", "?online=maybe", "?pages=2"] {
            let answer = try httpGet("http://127.0.0.1:\(port)/api/status\(bad)")
            #expect(answer.status == 400 && answer.body.hasPrefix(#"{"error":"#), "\(bad): \(answer.body)")
        }
    }
}
