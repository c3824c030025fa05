import Foundation
import Glibc
import Testing

/// Hostile Modbus clients against the real `tembridge serve`, while a well-behaved client reads
/// all along: it must keep getting the right values quickly, and once the attack is over the
/// server's memory (VmRSS) and descriptors must be back at their baseline.
///
/// Figures (p50/p99 latency, RSS and fds before/after) are printed on stdout; docs/RELIABILITY.md
/// quotes them.
@Suite(.serialized) struct HostileClientTests {
    static let endpoint = "sim://?frozen=1&seed=61"
    static let maxConnections = 8

    static let yaml = """
        server:
          listen: 127.0.0.1:0
          max_connections: \(maxConnections)
          idle_timeout: 3s
        lines:
          - { name: l, endpoint: "\(endpoint)", timeout: 300ms, retries: 0 }
        meters:
          - { name: m, line: l, address: 1, unit_id: [1, 255], poll_interval: 200ms, stale_after: 30s, registers: set }
        register_sets:
          set:
            - { address: 0, value: status.online, type: uint16 }
            - { address: 2, value: temperature.1, type: float32 }
            - { address: 4, value: energy.1, type: float64 }
            - { address: 8, value: serial_number, type: uint32 }

        """

    /// Every way a connection ends is said at debug level, with the client: a frame that
    /// cannot be Modbus, a client that closes, one that stalls inside a request, an idle one.
    @Test func droppedConnectionsSayWhyAtDebug() throws {
        let path = try temporaryFile(Self.yaml.replacingOccurrences(of: "idle_timeout: 3s", with: "idle_timeout: 1s"))
        let server = try Background(["serve", "--mapping", path, "--log-level", "debug"])
        defer { server.stop() }
        let port = Int(try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        let garbage = try RawConnection(port: port)
        garbage.send([0x12, 0x34, 0x00, 0x07, 0x00, 0x00, 0x01])  // protocol id 7: not Modbus
        try server.wait(for: "debug Modbus client 127\\.0\\.0\\.1: connection closed: invalid frame", timeout: 5)
        let leaving = try RawConnection(port: port)
        Thread.sleep(forTimeInterval: 0.2)
        leaving.close()
        try server.wait(for: "connection closed: peer closed", timeout: 5)
        let stalling = try RawConnection(port: port)
        stalling.send(Array(Frame.request(unit: 1, Frame.readHolding(address: 0, count: 2)).prefix(9)))  // 3 bytes short
        try server.wait(for: "connection closed: stalled inside a request", timeout: 5)
        let idle = try RawConnection(port: port)
        try server.wait(for: "connection closed: idle timeout", timeout: 5)
        _ = (garbage, stalling, idle)
    }

    @Test func hostileClientsNeitherDisturbOthersNorLeak() throws {
        let values = try frozenValues(Self.endpoint)
        let path = try temporaryFile(Self.yaml)
        let server = try Background(["serve", "--mapping", path])
        defer { server.stop() }
        let port = Int(try server.wait(for: #"serving Modbus TCP on 127\.0\.0\.1:(\d+)"#))!
        try server.wait(for: ": online")
        let pid = server.process.processIdentifier
        let idleFDs = ProcessStats(pid).fds

        // The registers every good read must return, checked against the simulator's own decoding.
        // ("online" is logged just before the first image is published: read until it is.)
        let expected = try eventuallyRead(port: port)
        #expect(expected[0] == 1)
        #expect(Decode.float32(Array(expected[2..<4])) == Float(values["temperature.1"]!))
        #expect(Decode.float64(Array(expected[4..<8])) == values["energy.1"]!)
        #expect(Double(Decode.uint32(Array(expected[8..<10]))) == values["serial_number"]!)

        // Warm up what a busy server allocates once (thread stacks, malloc arenas, libmodbus
        // contexts): a full house of clients, then some connect/drop cycles. Every slot must be
        // free again before the good client connects, or it would be refused.
        try waitUntil("the first client is released", timeout: 5) {
            acceptQueueLength(port: port) == 0 && ProcessStats(pid).fds <= idleFDs
        }
        do {
            let full = try (0..<Self.maxConnections).map { _ in try ModbusClient(port: port) }
            for client in full { _ = try client.read(unit: 1, address: 0, count: 10).get() }
        }
        for _ in 0..<50 { _ = try RawConnection(port: port) }
        try waitUntil("the warm-up connections are released", timeout: 5) {
            acceptQueueLength(port: port) == 0 && ProcessStats(pid).fds <= idleFDs
        }
        let good = GoodClient(port: port, expected: expected)
        good.start()
        try waitUntil("the good client reads", timeout: 5) { good.reads >= 10 }
        let before = ProcessStats(pid)

        // 1. Random bytes: libmodbus cannot frame them; the connection is closed.
        var random = SplitMix(seed: 0x7E3B)
        let noisy = try (0..<20).map { _ in try RawConnection(port: port) }
        for connection in noisy { connection.send((0..<2000).map { _ in random.byte() }) }
        #expect(RawConnection.awaitClosed(noisy, within: 4.5).allSatisfy { $0 }, "random bytes: connection left open")

        // 2. MBAP length fields that disagree with the PDU: answered or not, the connection is
        // dropped (a length of 6 is the right one and keeps it).
        for length in [0, 1, 300, 65535] {
            let c = try RawConnection(port: port)
            c.send(Frame.mbap(length: length, unit: 1) + Frame.readHolding(address: 0, count: 10))
            let (bytes, closed) = c.readUntilClosed(within: 1.5)
            #expect(closed, "MBAP length \(length): connection left open")
            #expect(bytes.isEmpty || Frame.isResponse(bytes, function: 0x03), "MBAP length \(length): \(bytes)")
        }
        do {
            let c = try RawConnection(port: port)
            c.send(Frame.request(unit: 1, Frame.readHolding(address: 0, count: 10)))
            #expect(Frame.registers(c.response(within: 1)) == expected, "control: the right MBAP length is answered")
        }

        // 3. Truncated frames, then end of stream: closed without an answer.
        let request = Frame.request(unit: 1, Frame.readHolding(address: 0, count: 10))
        for cut in [1, 3, 6, 7, 9, 11] {
            let c = try RawConnection(port: port)
            c.send(Array(request.prefix(cut)))
            c.shutdownWrite()
            let (bytes, closed) = c.readUntilClosed(within: 1.5)
            #expect(closed && bytes.isEmpty, "truncated at \(cut): closed \(closed), got \(bytes)")
        }

        // 4. Half a header, then silence: the byte timeout (0.5 s) closes it, well before the
        // idle timeout (3 s).
        let silent = try (0..<5).map { _ in try RawConnection(port: port) }
        for c in silent { c.send(Array(request.prefix(4))) }
        let silentStart = Date()
        #expect(RawConnection.awaitClosed(silent, within: 1.5).allSatisfy { $0 }, "half a header: connection left open")
        let byteTimeoutSeconds = Date().timeIntervalSince(silentStart)

        // 5. Hundreds of connect/drop cycles: plain close, reset (RST), and close mid-request.
        for i in 0..<300 {
            let c = try RawConnection(port: port)
            switch i % 3 {
            case 0: break
            case 1: c.setResetOnClose()
            default: c.send(Array(request.prefix(5)))
            }
        }

        // 6. More connections than max_connections: the good client holds one slot, so
        // max_connections - 1 more are admitted and answer; the rest are closed at once.
        // (The dropped connections may still wait in the listen queue: the server accepts each,
        // sees it closed and releases it; until then they hold slots.)
        try waitUntil("the dropped connections are released", timeout: 5) {
            acceptQueueLength(port: port) == 0 && ProcessStats(pid).fds <= before.fds
        }
        let crowd = try (0..<(Self.maxConnections + 4)).map { _ in try RawConnection(port: port) }
        for c in crowd { c.send(request) }
        let answers = crowd.map { $0.response(within: 1) }
        let admitted = answers.filter { Frame.registers($0) == expected }.count
        let refused = crowd.filter { $0.readUntilClosed(within: 0.2).closed }.count
        #expect(admitted == Self.maxConnections - 1, "admitted \(admitted)")
        #expect(refused == 5, "refused \(refused)")
        crowd.forEach { $0.close() }
        try waitUntil("the crowd is released", timeout: 5) { ProcessStats(pid).fds <= before.fds }
        #expect(Frame.registers(try RawConnection.ask(port: port, request)) == expected, "a slot is free again")

        // 7. Write functions with absurd counts: exception 01, or (when the byte count runs past
        // a Modbus frame) the connection is dropped. Reads with absurd counts: exception 03.
        let absurd: [(pdu: [UInt8], exception: UInt8?)] = [
            ([0x17, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0x5A, count: 255), nil),
            ([0x17, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x04, 1, 2, 3, 4], 0x01),
            ([0x17, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00], 0x01),
            ([0x10, 0x00, 0x00, 0xFF, 0xFF, 0x02, 0x00, 0x00], 0x01),
            ([0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF], 0x01),
            (Frame.readHolding(address: 0, count: 0), 0x03),
            (Frame.readHolding(address: 0, count: 126), 0x03),
            (Frame.readHolding(address: 0xFFFF, count: 0xFFFF), 0x03),
            ([0x04, 0x00, 0x00, 0xFF, 0xFF], 0x03),
        ]
        for (pdu, exception) in absurd {
            let c = try RawConnection(port: port)
            c.send(Frame.request(unit: 1, pdu))
            if let exception {
                let bytes = c.response(within: 1)
                #expect(bytes == Frame.exception(unit: 1, function: pdu[0], code: exception), "function \(pdu[0]): \(bytes)")
            } else {
                let (bytes, closed) = c.readUntilClosed(within: 1)
                #expect(closed && bytes.isEmpty, "function \(pdu[0]) past a frame: closed \(closed), got \(bytes)")
            }
        }

        // 8. Unknown function codes: exception 01 and the connection goes on; 0x80 and above
        // (exception responses, not requests) never get a normal-looking answer. (0x2B with MEI
        // type 0x0E, device identification, is answered: RTUEndToEndTests.)
        for function: UInt8 in [0x07, 0x08, 0x11, 0x14, 0x2B, 0x41, 0x64, 0x7F] {
            let c = try RawConnection(port: port)
            let pdu: [UInt8] = function == 0x2B ? [0x2B, 0x0D, 0x01, 0x00] : [function]
            c.send(Frame.request(unit: 1, pdu))
            #expect(c.response(within: 1) == Frame.exception(unit: 1, function: function, code: 0x01), "function \(function)")
            c.send(request)
            #expect(Frame.registers(c.response(within: 1)) == expected, "after function \(function)")
        }
        for function: UInt8 in [0x80, 0x83, 0xFF] {
            let c = try RawConnection(port: port)
            c.send(Frame.request(unit: 1, [function, 0x00, 0x00, 0x00, 0x01]))
            let (bytes, _) = c.readUntilClosed(within: 0.6)
            #expect(bytes.count < 8 || bytes[7] >= 0x80, "function \(function) got a normal-looking answer: \(bytes)")
        }

        // 9. Unit ids 0 and 255: 255 is mapped (the same meter as 1), 0 is not (0A).
        #expect(
            Frame.registers(
                try RawConnection.ask(port: port, Frame.request(unit: 255, Frame.readHolding(address: 0, count: 10))),
                unit: 255) == expected)
        #expect(
            try RawConnection.ask(port: port, Frame.request(unit: 0, Frame.readHolding(address: 0, count: 10)))
                == Frame.exception(unit: 0, function: 0x03, code: 0x0A))

        // Afterwards: back to the baseline, within a short settle.
        var after = ProcessStats(pid)
        let settle = Date()
        while Date().timeIntervalSince(settle) < 5, after.fds > before.fds || after.rssKiB > before.rssKiB + 2048 {
            Thread.sleep(forTimeInterval: 0.1)
            after = ProcessStats(pid)
        }
        let report = good.stop()
        #expect(server.process.isRunning)
        #expect(report.failures.isEmpty, "the good client failed: \(report.failures.prefix(5))")
        #expect(report.count > 500, "only \(report.count) good reads")
        #expect(report.p99 < 0.050, "p99 \(report.p99 * 1000) ms")
        #expect(after.fds <= before.fds + 2, "fds \(before.fds) -> \(after.fds)")
        #expect(after.rssKiB <= before.rssKiB + 2048, "VmRSS \(before.rssKiB) -> \(after.rssKiB) KiB")
        print(
            String(
                format: "hostile clients: %d good reads, latency p50 %.2f ms p99 %.2f ms max %.2f ms; "
                    + "half-header close after %.2f s; VmRSS %d -> %d KiB; fds %d -> %d; threads %d -> %d",
                report.count, report.p50 * 1000, report.p99 * 1000, report.max * 1000, byteTimeoutSeconds,
                before.rssKiB, after.rssKiB, before.fds, after.fds, before.threads, after.threads))
        #expect(server.stop() == 0)
    }
}

/// The frozen simulator's values, as `tembridge read --format json` decodes them.
private func frozenValues(_ endpoint: String) throws -> [String: Double] {
    let out = try tembridge(["read", endpoint, "--format", "json"])
    guard out.status == 0 else { throw TestFailure("read \(endpoint): \(out.stderr)") }
    return exactJSONNumbers(out.stdout)
}

/// The first successful read of unit 1's ten registers (within 5 s).
private func eventuallyRead(port: Int) throws -> [UInt16] {
    let client = try ModbusClient(port: port)
    var result = client.read(unit: 1, address: 0, count: 10)
    try waitUntil("unit 1 answers", timeout: 5) {
        if case .success = result { return true }
        result = client.read(unit: 1, address: 0, count: 10)
        return false
    }
    return try result.get()
}

/// Connections waiting in the accept queue of the listening socket on 127.0.0.1:`port` (the
/// rx_queue of a LISTEN socket in /proc/net/tcp); -1 if it is not found.
private func acceptQueueLength(port: Int) -> Int {
    let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
    let local = "0100007F:" + String(format: "%04X", port)
    for line in table.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ")
        guard fields.count > 4, fields[1] == local, fields[3] == "0A" else { continue }
        return Int(fields[4].split(separator: ":")[1], radix: 16) ?? -1
    }
    return -1
}

/// Polls `condition` every 20 ms; throws if it does not hold within `timeout`.
private func waitUntil(_ what: String, timeout: Double, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw TestFailure("timed out after \(timeout) s waiting until \(what)") }
        Thread.sleep(forTimeInterval: 0.02)
    }
}

/// VmRSS, threads and open descriptors of a process, from /proc.
private struct ProcessStats {
    var rssKiB = 0
    var threads = 0
    var fds = 0

    init(_ pid: Int32) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "VmRSS:" { rssKiB = Int(fields[1]) ?? 0 }
            if fields.first == "Threads:" { threads = Int(fields[1]) ?? 0 }
        }
        fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}

/// A well-behaved client reading in a loop on its own thread, timing every read.
private final class GoodClient: @unchecked Sendable {
    struct Report {
        var count: Int
        var failures: [String]
        var p50: Double
        var p99: Double
        var max: Double
    }

    private let port: Int
    private let expected: [UInt16]
    private let lock = NSLock()
    private var running = true
    private var latencies: [Double] = []
    private var failures: [String] = []
    private let done = DispatchSemaphore(value: 0)

    /// Reads done so far.
    var reads: Int { lock.withLock { latencies.count } }

    init(port: Int, expected: [UInt16]) {
        self.port = port
        self.expected = expected
    }

    func start() {
        let thread = Thread { [self] in
            defer { done.signal() }
            guard let client = try? ModbusClient(port: port, timeout: 1) else {
                lock.withLock { failures.append("could not connect") }
                return
            }
            while lock.withLock({ running }) {
                let started = DispatchTime.now().uptimeNanoseconds
                let result = client.read(unit: 1, address: 0, count: expected.count)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                lock.withLock {
                    latencies.append(seconds)
                    switch result {
                    case let .success(registers) where registers == expected: break
                    case let .success(registers): failures.append("wrong registers \(registers)")
                    case let .failure(error): failures.append("\(error)")
                    }
                }
                usleep(500)
            }
        }
        thread.start()
    }

    /// Stops the loop (bounded: a read times out after 1 s) and summarises.
    func stop() -> Report {
        lock.withLock { running = false }
        _ = done.wait(timeout: .now() + 5)
        return lock.withLock {
            let sorted = latencies.sorted()
            func quantile(_ q: Double) -> Double {
                sorted.isEmpty ? .infinity : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
            }
            return Report(
                count: sorted.count, failures: failures, p50: quantile(0.5), p99: quantile(0.99),
                max: sorted.last ?? .infinity)
        }
    }
}

/// Modbus TCP frames, byte by byte.
private enum Frame {
    static func mbap(transaction: UInt16 = 0x1234, length: Int, unit: UInt8) -> [UInt8] {
        [UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), unit]
    }

    static func request(unit: UInt8, _ pdu: [UInt8]) -> [UInt8] {
        mbap(length: pdu.count + 1, unit: unit) + pdu
    }

    static func readHolding(address: UInt16, count: UInt16) -> [UInt8] {
        [0x03, UInt8(address >> 8), UInt8(address & 0xFF), UInt8(count >> 8), UInt8(count & 0xFF)]
    }

    static func exception(unit: UInt8, function: UInt8, code: UInt8) -> [UInt8] {
        mbap(length: 3, unit: unit) + [function | 0x80, code]
    }

    /// True if `bytes` is exactly one well-formed response for `function` (normal or exception).
    static func isResponse(_ bytes: [UInt8], function: UInt8) -> Bool {
        guard bytes.count >= 9, bytes[7] & 0x7F == function else { return false }
        return Int(bytes[4]) << 8 | Int(bytes[5]) == bytes.count - 6
    }

    /// The registers of an FC03 response from `unit`; nil if `bytes` is anything else.
    static func registers(_ bytes: [UInt8], unit: UInt8 = 1) -> [UInt16]? {
        guard bytes.count >= 9, bytes[6] == unit, bytes[7] == 0x03, Int(bytes[8]) == bytes.count - 9,
            Int(bytes[4]) << 8 | Int(bytes[5]) == bytes.count - 6
        else { return nil }
        return stride(from: 9, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
    }
}

/// A plain TCP client socket, for sending what no Modbus library would.
private final class RawConnection {
    private(set) var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw TestFailure("connect 127.0.0.1:\(port): \(why)")
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends everything it can (a peer that has closed makes the rest fail silently).
    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Closing will send RST instead of FIN.
    func setResetOnClose() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Reads until the peer closes (or resets) or `within` seconds pass.
    func readUntilClosed(within seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let left = deadline.timeIntervalSinceNow
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(0, left) * 1000)) == 1 else {
                if left <= 0 { return (bytes, false) }
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return (bytes, true) }
            bytes += buffer[..<n]
        }
    }

    /// One Modbus TCP response (framed by its MBAP length); what came if it did not complete.
    func response(within seconds: Double) -> [UInt8] {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        while bytes.count < 6 || bytes.count < 6 + (Int(bytes[4]) << 8 | Int(bytes[5])) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return bytes }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000) + 1) == 1 else { continue }
            var byte: UInt8 = 0
            guard recv(fd, &byte, 1, 0) == 1 else { return bytes }
            bytes.append(byte)
        }
        return bytes
    }

    /// Connects, sends `request` and returns the response.
    static func ask(port: Int, _ request: [UInt8]) throws -> [UInt8] {
        let c = try RawConnection(port: port)
        c.send(request)
        return c.response(within: 1)
    }

    /// Waits until every connection has been closed by the peer, all within one deadline;
    /// returns which were.
    static func awaitClosed(_ connections: [RawConnection], within seconds: Double) -> [Bool] {
        let deadline = Date().addingTimeInterval(seconds)
        return connections.map { $0.readUntilClosed(within: max(0, deadline.timeIntervalSinceNow)).closed }
    }
}

/// A small seeded generator, so the "random" bytes are the same every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}
