import Foundation
import Glibc
import TEMLink
import TEMProtocol
import Testing

/// A serial adapter that goes away: opened through a `/dev/serial/by-id`-style symlink, its
/// device hangs up (the pseudo-terminal's master closes, as a USB adapter's node fails with EIO),
/// then the link fails promptly with a link error, closes, and reopens once the path is back.
@Suite struct SerialLossLinkTests {
    @Test func hangUpIsALinkErrorAndThePathReopens() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("by-id-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let byID = dir + "/usb-FTDI_FT232R_USB_UART_A10KZ3LM-if00-port0"

        let first = FakeMeter(pty: [])
        #expect(symlink(first.slavePath, byID) == 0)
        let link = SerialLink(path: byID, baud: 9600)
        let client = MeterClient(link: link, settings: ExchangeSettings(timeout: .milliseconds(300), retries: 1))
        #expect(try client.identify(address: 1) == "ТЕМС106")

        // Unplugged: the device fails and its node disappears.
        first.stop()
        unlink(byID)
        let started = ContinuousClock.now
        let error = #expect(throws: ExchangeError.self) { try client.identify(address: 1) }
        // A link error, not a timeout: the poller backs off and reopens instead of waiting.
        guard case .link? = error?.reason else {
            Issue.record("expected a link error, got \(String(describing: error))")
            return
        }
        #expect(ContinuousClock.now - started < .milliseconds(300), "the loss took \(ContinuousClock.now - started) to show")
        #expect(!link.isOpen)
        #expect(error?.description.hasSuffix("no such device (2 attempts)") == true)

        // Plugged back under the same name.
        let second = FakeMeter(pty: [])
        defer { second.stop() }
        #expect(symlink(second.slavePath, byID) == 0)
        #expect(try client.identify(address: 1) == "ТЕМС106")
    }
}
