import Config
import Glibc
import TEMLink
import TEMProtocol
import Testing

/// The serial link on a pseudo-terminal: the test plays the meter on the master side, so the
/// bytes pass through the slave's termios settings as they would through a USB adapter's.
@Suite struct SerialLinkTests {
    /// T2K 0x0000 ×64 carries 0x03 (^C), 0x0A, 0x0D, 0x11/0x13 (XON/XOFF) and 0x7F…: a port not
    /// in raw mode would eat or translate some of them (or wait for a newline).
    @Test func exchangeThroughTermios() throws {
        let meter = FakeMeter(pty: [])
        defer { meter.stop() }
        let endpoint = try Endpoint(parsing: "serial://\(meter.slavePath)?baud=19200")
        let client = MeterClient(link: try openLink(endpoint), settings: ExchangeSettings(timeout: .milliseconds(500)))
        #expect(try client.readT2K(address: 1, at: 0x0000, length: 64) == (0..<64).map { UInt8($0) })
        #expect(try client.identify(address: 1) == "ТЕМС106")
        #expect(try client.readFlash(address: 1, at: 0x0A0A, length: 16) == (0..<16).map { UInt8(0x0A + $0) ^ 0x5A })
        // The request arrived byte for byte (no CR/LF translation on output either).
        #expect(meter.requests.last == Frame.request(.readFlash(address: 0x0A0A, length: 16), to: 1).bytes)
        #expect(client.statistics.retries == 0)
    }

    @Test func badChecksumThenGoodOnRetry() throws {
        let meter = FakeMeter(pty: [.badChecksum, .answerAfter(noise: [0xAA, 0x00], echo: true)])
        defer { meter.stop() }
        let link = SerialLink(path: meter.slavePath, baud: 9600)
        let client = MeterClient(link: link, settings: ExchangeSettings(timeout: .milliseconds(500)))
        #expect(try client.identify(address: 1) == "ТЕМС106")
        #expect(client.statistics.retries == 1)
    }

    /// Bytes waiting before a request (a stale reply) are flushed, not parsed.
    @Test func discardInputFlushes() throws {
        let meter = FakeMeter(pty: [])
        defer { meter.stop() }
        let link = SerialLink(path: meter.slavePath, baud: 57600)
        try link.open(timeout: .seconds(1))
        try link.write(Frame.request(.identify, to: 1).bytes)
        usleep(100_000)
        try link.discardInput()
        #expect(try link.read(timeout: .milliseconds(50)) == [])
        link.close()
        #expect(!link.isOpen)
    }

    @Test func missingDevice() {
        let link = SerialLink(path: "/dev/ttyUSB9", baud: 9600)
        let error = linkError { try link.open(timeout: .seconds(1)) }
        #expect(error?.description == "serial:///dev/ttyUSB9?baud=9600: no such device")
        let client = MeterClient(link: link, settings: ExchangeSettings(timeout: .milliseconds(100)))
        let exchange = exchangeError { _ = try client.identify(address: 3) }
        #expect(exchange?.description == "meter 3 at serial:///dev/ttyUSB9?baud=9600: identify: no such device (3 attempts)")
    }

    @Test func notATTY() {
        let error = linkError { try SerialLink(path: "/dev/null", baud: 9600).open(timeout: .seconds(1)) }
        #expect(error?.description == "serial:///dev/null?baud=9600: not a tty")
    }

    @Test func unsupportedBaudRate() {
        let error = linkError { try SerialLink(path: "/dev/null", baud: 115_200).open(timeout: .seconds(1)) }
        #expect(
            error?.description == "serial:///dev/null?baud=115200: unsupported baud rate 115200 (use 9600, 19200, 38400 or 57600)"
        )
    }
}
