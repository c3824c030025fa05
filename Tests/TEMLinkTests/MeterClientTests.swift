import Config
import Glibc
import Synchronization
import TEMLink
import TEMProtocol
import Testing

/// The exchange over TCP against the in-test fake meter.
@Suite struct MeterClientTests {
    static let fast = ExchangeSettings(timeout: .milliseconds(300), retries: 2, interByteTimeout: .milliseconds(100))

    static func client(_ meter: FakeMeter, _ settings: ExchangeSettings = fast, trace: Trace? = nil) -> MeterClient {
        MeterClient(link: TCPLink(host: "127.0.0.1", port: meter.port), settings: settings, trace: trace)
    }

    @Test func goodExchanges() throws {
        let meter = FakeMeter(tcp: [])
        defer { meter.stop() }
        let client = Self.client(meter)
        #expect(try client.identify(address: 1) == "ТЕМС106")
        let t2k: [UInt8] = (0..<28).map { (i: Int) -> UInt8 in UInt8(i) }
        #expect(try client.readT2K(address: 1, at: 0x0200, length: 28) == t2k)
        #expect(try client.perform(.readT2K(address: 0x0482, length: 6), address: 1) == [0x82, 0x83, 0x84, 0x85, 0x86, 0x87])
        #expect(meter.requests[0] == [0x55, 0x01, 0xFE, 0x00, 0x00, 0x00, 0xAB])
        #expect(meter.connections == 1)
        let stats = client.statistics
        #expect(stats.exchanges == 3 && stats.retries == 0)
        #expect(stats.bytesSent == 7 + 10 + 10)
        #expect(stats.bytesReceived == 14 + 35 + 13)
    }

    /// A 384-byte archive record is six Flash reads of 64 bytes, each with its own address.
    @Test func longFlashReadIsSplit() throws {
        let meter = FakeMeter(tcp: [])
        defer { meter.stop() }
        let client = Self.client(meter)
        let bytes = try client.readFlash(address: 1, at: 0x0005_1000, length: 384)
        let expected: [UInt8] = (0..<384).map { (i: Int) -> UInt8 in UInt8(i & 0xFF) ^ 0x5A }
        #expect(bytes == expected)
        let reads: [Command?] = (0..<6).map { (i: Int) -> Command? in
            .readFlash(address: 0x0005_1000 + UInt32(64 * i), length: 64)
        }
        #expect(meter.requests.map(FakeMeter.command(of:)) == reads)
        #expect(try client.readT2K(address: 1, at: 0x0300, length: 100).count == 100)
        #expect(
            meter.requests.suffix(2).map { FakeMeter.command(of: $0) } == [
                .readT2K(address: 0x0300, length: 64), .readT2K(address: 0x0340, length: 36),
            ])
    }

    /// Silence: three attempts, each bounded by the timeout, then one error naming meter, command
    /// and endpoint.
    @Test func timeoutWithRetriesIsTimeBounded() {
        let meter = FakeMeter(tcp: [.silence, .silence, .silence])
        defer { meter.stop() }
        let client = Self.client(meter)
        let (error, seconds) = timed { exchangeError { _ = try client.readT2K(address: 1, at: 0x0200, length: 28) } }
        #expect(error?.reason == .timeout(after: .milliseconds(300), partial: []))
        #expect(error?.attempts == 3)
        #expect(
            error?.description
                == "meter 1 at tcp://127.0.0.1:\(meter.port): read T2K 0x0200 ×28: no reply within 0.3s (3 attempts)")
        #expect(seconds >= 0.9 && seconds < 0.9 + 0.4, "took \(seconds) s")
        #expect(meter.requests.count == 3)
        #expect(client.statistics.retries == 2)
    }

    @Test func badChecksumThenGoodOnRetry() throws {
        let meter = FakeMeter(tcp: [.badChecksum])
        defer { meter.stop() }
        let client = Self.client(meter)
        #expect(try client.identify(address: 1) == "ТЕМС106")
        #expect(client.statistics.retries == 1)
        #expect(meter.requests.count == 2)
    }

    @Test func badChecksumEveryTime() {
        let meter = FakeMeter(tcp: [.badChecksum, .badChecksum, .badChecksum])
        defer { meter.stop() }
        let error = exchangeError { _ = try Self.client(meter).identify(address: 1) }
        guard case .reply(.checksum) = error?.reason else {
            Issue.record("expected a checksum error, got \(String(describing: error))")
            return
        }
        #expect(error?.attempts == 3)
        #expect(
            error?.description.hasPrefix("meter 1 at tcp://127.0.0.1:\(meter.port): identify: bad checksum: expected ") == true)
    }

    @Test func wrongAddressFailsWithoutRetries() {
        let meter = FakeMeter(tcp: [.wrongAddress])
        defer { meter.stop() }
        let settings = ExchangeSettings(timeout: .milliseconds(300), retries: 0)
        let error = exchangeError { _ = try Self.client(meter, settings).identify(address: 7) }
        #expect(error?.reason == .reply(.addressMismatch(expected: 7, got: 8)))
        #expect(
            error?.description
                == "meter 7 at tcp://127.0.0.1:\(meter.port): identify: reply from address 8, expected 7 (1 attempt)")
    }

    /// Noise and the echoed request (whose data holds 0xAA) before the reply are skipped.
    @Test func noiseAndEcho() throws {
        let meter = FakeMeter(tcp: [.answerAfter(noise: [0x00, 0xAA, 0xFF, 0x55], echo: true)], address: 0x55)
        defer { meter.stop() }
        let client = Self.client(meter)
        let data = try client.perform(.readT2K(address: 0x00AA, length: 4), address: 0x55)
        #expect(data == [0xAA, 0xAB, 0xAC, 0xAD])
        #expect(client.statistics.retries == 0)
    }

    /// A reply that stops half-way fails after the inter-byte timeout, not the whole timeout.
    @Test func stalledReply() {
        let meter = FakeMeter(tcp: [.partial(9)])
        defer { meter.stop() }
        let settings = ExchangeSettings(timeout: .seconds(2), retries: 0, interByteTimeout: .milliseconds(100))
        let client = Self.client(meter, settings)
        let (error, seconds) = timed { exchangeError { _ = try client.identify(address: 1) } }
        #expect(
            error?.reason == .stalled(gap: .milliseconds(100), partial: [0xAA, 0x01, 0xFE, 0x00, 0x00, 0x07, 0xD2, 0xC5, 0xCC]))
        #expect(
            error?.description.hasSuffix(
                "identify: reply stalled, no byte for 0.1s after 9 bytes (AA 01 FE 00 00 07 D2 C5 …) (1 attempt)") == true)
        #expect(seconds < 1, "took \(seconds) s")
    }

    /// A partial reply cut off by the overall timeout says so.
    @Test func incompleteReplyAtTimeout() {
        let meter = FakeMeter(tcp: [.partial(3)])
        defer { meter.stop() }
        let settings = ExchangeSettings(timeout: .milliseconds(200), retries: 0, interByteTimeout: .milliseconds(500))
        let error = exchangeError { _ = try Self.client(meter, settings).identify(address: 1) }
        #expect(error?.reason == .timeout(after: .milliseconds(200), partial: [0xAA, 0x01, 0xFE]))
        #expect(error?.reason.description == "incomplete reply within 0.2s: 3 bytes (AA 01 FE)")
    }

    /// A reply that comes just after the timeout is drained, not taken for the next request's.
    @Test func lateReplyIsNotTakenForTheNext() throws {
        let meter = FakeMeter(tcp: [.answerLate(.milliseconds(220))])
        defer { meter.stop() }
        let settings = ExchangeSettings(timeout: .milliseconds(200), retries: 0)
        let client = Self.client(meter, settings)
        #expect(exchangeError { _ = try client.identify(address: 1) } != nil)
        #expect(try client.readT2K(address: 1, at: 0x0010, length: 4) == [0x10, 0x11, 0x12, 0x13])
        #expect(client.statistics.retries == 0)
    }

    /// The converter closes the connection after a reply: the next exchange reconnects at once.
    @Test func peerClosesBetweenExchanges() throws {
        let meter = FakeMeter(tcp: [.answerThenHangUp])
        defer { meter.stop() }
        let client = Self.client(meter)
        #expect(try client.identify(address: 1) == "ТЕМС106")
        usleep(150_000)
        #expect(try client.identify(address: 1) == "ТЕМС106")
        #expect(meter.connections == 2)
        #expect(client.statistics.retries == 0)
    }

    /// The converter closes the connection instead of replying: the retry reconnects.
    @Test func peerClosesDuringExchange() throws {
        let meter = FakeMeter(tcp: [.hangUp])
        let lines = Mutex<[String]>([])
        defer { meter.stop() }
        let client = Self.client(meter, trace: Trace { line in lines.withLock { $0.append(line) } })
        #expect(try client.identify(address: 1) == "ТЕМС106")
        #expect(meter.connections == 2)
        #expect(client.statistics.retries == 1)
        #expect(lines.withLock { $0 }.contains { $0.hasSuffix("attempt 1 failed: connection closed by peer") })
    }

    @Test func connectionRefusedNamesTheEndpoint() {
        let port = closedPort()
        let client = MeterClient(link: TCPLink(host: "127.0.0.1", port: port), settings: Self.fast)
        let (error, seconds) = timed { exchangeError { _ = try client.identify(address: 1) } }
        #expect(error?.reason == .link(LinkError(.tcp(host: "127.0.0.1", port: port), "connection refused")))
        #expect(error?.description == "meter 1 at tcp://127.0.0.1:\(port): identify: connection refused (3 attempts)")
        #expect(seconds < 0.5)
    }

    /// cp1251 Cyrillic, ASCII look-alikes as they are, Ё/ё, NUL padding dropped.
    @Test(
        arguments: [
            ([0xD2, 0xC5, 0xCC, 0xD1, 0x31, 0x30, 0x36], "ТЕМС106"),
            ([0x54, 0x45, 0x4D, 0x43, 0x31, 0x30, 0x36], "TEMC106"),
            ([0xC0, 0xDF, 0xE0, 0xFF, 0xA8, 0xB8, 0x00], "АЯаяЁё"),
            ([0x98, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00], "\u{FFFD}A"),
        ] as [([UInt8], String)])
    func identifyDecodesCP1251(name: [UInt8], text: String) throws {
        let meter = FakeMeter(tcp: [.answerData(name)])
        defer { meter.stop() }
        #expect(try Self.client(meter).identify(address: 1) == text)
    }

    /// One line per frame: time, direction, endpoint, bytes; noise traced as it arrives.
    @Test func traceLines() throws {
        let meter = FakeMeter(tcp: [.answerAfter(noise: [0x00, 0x13], echo: false)])
        defer { meter.stop() }
        let lines = Mutex<[String]>([])
        let client = Self.client(meter, trace: Trace { line in lines.withLock { $0.append(line) } })
        _ = try client.identify(address: 1)
        let traced = lines.withLock { $0 }
        let endpoint = "tcp://127.0.0.1:\(meter.port)"
        #expect(traced.first?.dropFirst(12) == " -> \(endpoint) 55 01 FE 00 00 00 AB")
        let received = traced.filter { $0.dropFirst(12).hasPrefix(" <- \(endpoint) ") }.map { $0.dropFirst(17 + endpoint.count) }
        let reply = Frame.reply(to: .identify, from: 1, data: FakeMeter.name).bytes
        #expect(received.joined(separator: " ") == hexDump([0x00, 0x13] + reply))
        for line in traced {
            let time = Array(line.prefix(12))
            #expect(time.count == 12 && time[2] == ":" && time[5] == ":" && time[8] == ".", "\(line)")
            #expect(time.enumerated().allSatisfy { [2, 5, 8].contains($0.offset) || $0.element.isNumber }, "\(line)")
        }
    }
}
