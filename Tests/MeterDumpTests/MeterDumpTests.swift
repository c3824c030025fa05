import Foundation
import MeterDump
import TEMLink
import TEMProtocol
import TEMSimulator
import Testing

@Suite struct MeterDumpTests {
    static func client(_ options: SimulatorOptions) -> MeterClient {
        MeterClient(
            link: SimulatorLink(line: MeterLine(options: options)),
            settings: ExchangeSettings(timeout: .milliseconds(100), retries: 0))
    }

    static func frozen(history: Int = 30) -> SimulatorOptions {
        var o = SimulatorOptions()
        o.frozen = true
        o.historyHours = history
        o.addresses = [1]
        return o
    }

    static func capture(_ options: SimulatorOptions, wholeFlash: Bool) throws -> MeterDump {
        let capture = DumpCapture(client: client(options), address: 1)
        var dump = try capture.captureT2K(endpoint: "sim://")
        for block in capture.flashBlocks(of: dump, wholeFlash: wholeFlash) { capture.readFlash(block: block, into: &dump) }
        dump.wholeFlash = wholeFlash
        return dump
    }

    @Test func capturesT2KAndTheNewestRecords() throws {
        let line = MeterLine(options: Self.frozen())
        let dump = try Self.capture(Self.frozen(), wholeFlash: false)
        #expect(dump.identify == SimulatedMeter.identity)
        #expect(dump.t2k.count == 32 && dump.t2kUnread.isEmpty)
        #expect(dump.t2k.keys.sorted().flatMap { dump.t2k[$0]! } == line.t2k(address: 1))
        #expect(dump.flash.count == 18)  // six blocks of the newest hourly, daily and monthly record
        #expect(dump.flashSize == 512 * 1024)
    }

    @Test func fileRoundTripAndReplies() throws {
        let dump = try Self.capture(Self.frozen(history: 3), wholeFlash: true)
        #expect(dump.flash.count == 8192)
        let text = dump.encoded()
        #expect(text.hasPrefix("{\n  \"format\": \"tembridge-dump\",\n  \"version\": 1,"))
        #expect(text.contains("\"identity_text\": \"ТЕМС106\""))
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        let back = try MeterDump(text: text)
        #expect(back == dump)
        let meter = try #require(MeterLine(options: Self.frozen(history: 3)).meter(at: 1))
        for command: Command in [
            .identify, .readT2K(address: 0x02FA, length: 6), .readT2K(address: 0x07C1, length: 63),
            .readT2K(address: 0x0030, length: 64), .readFlash(address: 0x0000_0003, length: 64),
            .readFlash(address: 0x0007_FFC0, length: 64),
        ] {
            #expect(back.reply(to: command, address: 1) == meter.reply(to: command), "\(command)")
        }
        #expect(back.reply(to: .identify, address: 2) == nil)
        #expect(back.reply(to: .readT2K(address: 0x07F0, length: 17), address: 1) == nil)  // past T2K
        #expect(back.reply(to: .readFlash(address: 0x0007_FFF0, length: 17), address: 1) == nil)  // past Flash
    }

    @Test func unreadBlocksAreMarkedAndNeverAnswered() throws {
        // A meter that stops answering half-way: capture T2K, then make the line silent.
        let line = MeterLine(options: Self.frozen(history: 3))
        let client = MeterClient(
            link: SimulatorLink(line: line), settings: ExchangeSettings(timeout: .milliseconds(50), retries: 1))
        let capture = DumpCapture(client: client, address: 1)
        var dump = try capture.captureT2K(endpoint: "sim://")
        _ = try line.faults.apply("silent")
        for block in capture.flashBlocks(of: dump, wholeFlash: false).prefix(2) { capture.readFlash(block: block, into: &dump) }
        #expect(dump.flash.isEmpty)
        #expect(dump.flashUnread.count == 2)
        let text = dump.encoded()
        #expect(text.contains(": unread\""))
        let back = try MeterDump(text: text)
        #expect(back.flashUnread == dump.flashUnread)
        let first = try #require(dump.flashUnread.min())
        #expect(back.reply(to: .readFlash(address: first, length: 4), address: 1) == nil)
    }

    @Test func aMeterThatDoesNotAnswerIsAnError() {
        let capture = DumpCapture(client: Self.client(Self.frozen(history: 0)), address: 7)
        #expect(throws: ExchangeError.self) { try capture.captureT2K(endpoint: "sim://") }
    }

    @Test func badFilesSayWhatIsWrong() {
        func problem(_ text: String) -> String {
            do {
                _ = try MeterDump(text: text)
                return ""
            } catch { return error.description }
        }
        let header = #""format": "tembridge-dump", "address": 1, "endpoint": "sim://", "captured": "x""#
        #expect(problem("[]").contains("not a tembridge dump"))
        #expect(
            problem(
                #"{"format": "other", "version": 1, "address": 1, "endpoint": "", "captured": "", "t2k": {"whole": true, "lines": []}}"#
            ).contains("format is 'other'"))
        #expect(
            problem("{\(header), \"version\": 2, \"t2k\": {\"whole\": true, \"lines\": []}}").contains(
                "version 2 is not supported"))
        #expect(
            problem("{\(header), \"version\": 1, \"t2k\": {\"whole\": true, \"lines\": [\"0040: zz\"]}}").contains(
                "t2k line 1 '0040: zz': expected up to 64 hex bytes"))
        #expect(
            problem("{\(header), \"version\": 1, \"t2k\": {\"whole\": true, \"lines\": [\"0041: 00\"]}}").contains(
                "not a multiple of 64"))
        #expect(
            problem("{\(header), \"version\": 1, \"t2k\": {\"whole\": true, \"lines\": [\"0800: 00\"]}}").contains("past the end")
        )
        #expect(
            problem("{\(header), \"version\": 1, \"t2k\": {\"whole\": true, \"lines\": [\"0000: unread\", \"0000: 00\"]}}")
                .contains("listed twice"))
    }

    @Test func imageLineServesTheDumpFrozen() throws {
        let dump = try Self.capture(Self.frozen(history: 3), wholeFlash: false)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try dump.write(to: path)
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        let options = try SimulatorOptions(query: ["image": path])
        let line = MeterLine(options: options)
        #expect(line.addresses == [1])
        let client = MeterClient(
            link: SimulatorLink(line: line), settings: ExchangeSettings(timeout: .milliseconds(50), retries: 0))
        #expect(try client.identify(address: 1) == "ТЕМС106")
        let t2k = try client.readT2K(address: 1, at: 0, length: T2KMap.size)
        line.advance(by: 7200)  // frozen: time does not touch an image
        #expect(try client.readT2K(address: 1, at: 0, length: T2KMap.size) == t2k)
        #expect(throws: ExchangeError.self) { try client.readFlash(address: 1, at: 0x4_0000, length: 64) }  // not dumped
        #expect(throws: ExchangeError.self) { try client.identify(address: 2) }
    }
}
