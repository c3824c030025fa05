import ArgumentParser
import MeterDump
import TEMLink
import TEMProtocol

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save a meter's memory to a file, for a bug report or for replay with sim://?image=FILE.",
        discussion: """
            Saves the identify reply, the whole T2K memory (0x0000...0x07FF, 32 reads of 64 bytes) \
            and the newest archive record of each kind; with --flash the whole Flash instead (512 KiB \
            or 1 MiB by FLASH_TYPE: 8192 or 16384 reads, about 15 or 30 minutes at 9600 baud, with a \
            progress bar on a terminal). A block the meter does not answer after the retries is \
            marked unread and the dump goes on. Ctrl-C stops and leaves a valid file holding what was \
            read. The format is described in docs/DUMP.md.
            """)

    @OptionGroup var meter: MeterOptions

    @Flag(help: "Dump the whole archive Flash too.")
    var flash = false

    @Option(help: "The file to write (JSON, docs/DUMP.md).")
    var output: String

    /// Flash blocks between two saves of the file, so even a killed dump leaves most of its work.
    static let checkpointBlocks = 2048

    func run() throws {
        // Before any thread starts (a sim:// line starts some), so that every one inherits the mask.
        ProcessSignals.watchInterrupt()
        let client = try meter.client()
        defer { client.link.close() }
        let capture = DumpCapture(client: client, address: meter.meterAddress)
        var dump: MeterDump
        do { dump = try capture.captureT2K(endpoint: meter.endpoint.description) } catch {
            printError("meter \(meter.address) does not answer: \(error)")
            throw ExitCode.failure
        }
        let blocks = capture.flashBlocks(of: dump, wholeFlash: flash)
        dump.wholeFlash = flash
        dump.interrupted = true  // until the last block is read
        try save(dump)
        let progress = Progress(total: blocks.count, unit: "blocks")
        for (n, block) in blocks.enumerated() {
            if ProcessSignals.interruptRequested { break }
            capture.readFlash(block: block, into: &dump)
            progress.advance()
            if flash, n % Self.checkpointBlocks == Self.checkpointBlocks - 1 { try save(dump) }
        }
        progress.finish()
        dump.interrupted = ProcessSignals.interruptRequested
        try save(dump)
        let unread = dump.t2kUnread.count + dump.flashUnread.count
        if unread > 0 { printError("\(unread) block(s) unread (the meter did not answer after the retries)") }
        if ProcessSignals.interruptRequested {
            printError("interrupted: \(output) holds the \(progress.done) of \(blocks.count) Flash blocks read so far")
            throw ExitCode(130)
        }
        print("meter \(meter.address): \(dump.t2k.count) T2K and \(dump.flash.count) Flash blocks saved to \(output)")
    }

    private func save(_ dump: MeterDump) throws {
        try dump.write(to: output)
    }
}
