import Config
import Platform
import TEMProtocol

/// Timing of one exchange with a meter.
public struct ExchangeSettings: Sendable, Hashable {
    /// How long one attempt (open, request, whole reply) may take.
    public var timeout: Duration
    /// Attempts after the first one fails.
    public var retries: Int
    /// The longest gap between two bytes of a reply once it has begun (the seed allows 0.5 s).
    public var interByteTimeout: Duration

    public init(timeout: Duration = .seconds(1), retries: Int = 2, interByteTimeout: Duration = .milliseconds(500)) {
        precondition(retries >= 0, "retries cannot be negative")
        self.timeout = timeout
        self.retries = retries
        self.interByteTimeout = interByteTimeout
    }
}

/// Talks to the meters on one line: sends a request, reads and validates the reply, retries.
/// Written once against `Link`, so TCP, serial and the simulator behave alike.
///
/// One attempt opens the link if needed, discards stale input, writes the request frame in one
/// write and reads until `ReplyParser` finds the reply (skipping noise and the request's echo),
/// within `settings.timeout` overall and `settings.interByteTimeout` between the bytes of a
/// reply. A timeout, an invalid reply or a link error fails the attempt; up to
/// `settings.retries` more follow. After a failed attempt the client drains the line briefly
/// (a late reply must not be taken for the next request's), and a link error closes the link
/// so that the next attempt reopens it. After a timeout or stall the next exchange (not a retry
/// of the same request) starts on a reopened link: a reply later than the drain stays on the old
/// connection instead of answering a different request. A failing exchange takes at most about
/// `timeout × (retries + 1)`.
///
/// Not thread-safe: one user at a time, like its link.
public final class MeterClient {
    /// The line.
    public let link: any Link
    public let settings: ExchangeSettings
    /// Where frames are traced, if anywhere.
    public let trace: Trace?
    /// Once signalled, no new attempt starts: `perform` throws `.stopped` instead, so a poller
    /// in the middle of a long read stops within the exchange under way.
    public let stop: StopSignal?
    /// Where exchanges are counted and frames tapped for the operations console, if anywhere.
    public let monitor: LineMonitor?

    /// Counters since creation, for benchmarks: exchanges performed, retries made, and bytes
    /// written and read (noise and echo included).
    public private(set) var statistics = (exchanges: 0, retries: 0, bytesSent: 0, bytesReceived: 0)

    /// An attempt timed out or stalled since the link was last opened: the meter may still send
    /// that reply.
    private var lateReplyPossible = false

    /// How long the line must stay quiet after a failed attempt before the next one, and the
    /// most time draining may take: a stray reply is over well within it at 9600 baud.
    private static let drainQuiet = Duration.milliseconds(50)
    private static let drainLimit = Duration.milliseconds(150)

    public init(
        link: any Link, settings: ExchangeSettings, trace: Trace? = nil, stop: StopSignal? = nil, monitor: LineMonitor? = nil
    ) {
        self.link = link
        self.settings = settings
        self.trace = trace
        self.stop = stop
        self.monitor = monitor
    }

    /// Sends `command` to the meter at `address` and returns the reply's data bytes
    /// (`command.replyLength` of them). Throws the last attempt's failure.
    public func perform(_ command: Command, address: UInt8) throws(ExchangeError) -> [UInt8] {
        guard let monitor else { return try exchange(command, address: address) }
        let start = MonotonicClock.now()
        func nanoseconds() -> UInt64 { MonotonicClock.now() &- start }
        do {
            let reply = try exchange(command, address: address)
            monitor.exchanged(.ok, nanoseconds: nanoseconds())
            return reply
        } catch {
            if let outcome = LineMonitor.Outcome(error.reason) { monitor.exchanged(outcome, nanoseconds: nanoseconds()) }
            throw error
        }
    }

    private func exchange(_ command: Command, address: UInt8) throws(ExchangeError) -> [UInt8] {
        statistics.exchanges += 1
        // A reply is tagged only by address, command and length: a late reply to an earlier
        // request that timed out would pass for the answer to this one if it is of the same size
        // (another T2K address: wrong values). Reconnect first: a TCP converter's new connection
        // does not carry the old one's late bytes (a serial port is reopened and flushed).
        if lateReplyPossible {
            link.close()
            lateReplyPossible = false
        }
        let parser = ReplyParser(command: command, address: address)
        var attempts = 0
        while true {
            if stop?.isSignalled == true {
                throw ExchangeError(
                    address: address, command: command, endpoint: link.endpoint, attempts: attempts, reason: .stopped)
            }
            attempts += 1
            let reason: ExchangeError.Reason
            do {
                return try attempt(parser, address: address)
            } catch {
                reason = error
            }
            trace?.note("meter \(address): \(command): attempt \(attempts) failed: \(reason)", on: link.endpoint)
            switch reason {
            case .link:
                link.close()
            case .timeout, .stalled:
                // The meter may still answer, later than the timeout. A retry sends the same
                // request, so that late reply is as good an answer; see `perform`'s start.
                drain()
                lateReplyPossible = true
            case .reply:
                drain()
            case .stopped:
                break
            }
            guard attempts <= settings.retries else {
                throw ExchangeError(
                    address: address, command: command, endpoint: link.endpoint,
                    attempts: attempts, reason: reason)
            }
            statistics.retries += 1
        }
    }

    /// The meter's name from the identify command: `ТЕМС106` (cp1251; ASCII look-alikes as is).
    public func identify(address: UInt8) throws(ExchangeError) -> String {
        CP1251.decode(try perform(.identify, address: address))
    }

    /// `length` bytes of T2K memory from `at`, in reads of at most 64 bytes (one exchange each).
    /// Precondition: `length >= 1` and the range ends within 0xFFFF.
    public func readT2K(address: UInt8, at start: UInt16, length: Int) throws(ExchangeError) -> [UInt8] {
        precondition(length >= 1 && Int(start) + length <= 0x1_0000, "T2K read out of range")
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for (offset, count) in Self.chunks(length) {
            out += try perform(.readT2K(address: start + UInt16(offset), length: UInt8(count)), address: address)
        }
        return out
    }

    /// Performs every read of `plan` in order and returns the image they fill. This is the one
    /// place a plan is executed (the poller, the archive reader, comma detection and `read`).
    public func read(_ plan: ReadPlan, address: UInt8) throws(ExchangeError) -> T2KImage {
        var image = T2KImage()
        for read in plan.reads {
            image.store(try perform(read.command, address: address), at: read.address)
        }
        return image
    }

    /// `length` bytes of Flash from `at`, in reads of at most 64 bytes (a 384-byte archive
    /// record takes six). Precondition: `length >= 1` and the range ends within 0xFFFFFFFF.
    public func readFlash(address: UInt8, at start: UInt32, length: Int) throws(ExchangeError) -> [UInt8] {
        precondition(length >= 1 && UInt64(start) + UInt64(length) <= 0x1_0000_0000, "Flash read out of range")
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for (offset, count) in Self.chunks(length) {
            out += try perform(.readFlash(address: start + UInt32(offset), length: UInt8(count)), address: address)
        }
        return out
    }

    // MARK: - One attempt

    private func attempt(_ parser: ReplyParser, address: UInt8) throws(ExchangeError.Reason) -> [UInt8] {
        let deadline = Deadline(after: settings.timeout)
        do {
            try link.open(timeout: deadline.remaining)
            try link.discardInput()
            try link.write(parser.request)
        } catch {
            throw .link(error)
        }
        trace?.sent(parser.request, on: link.endpoint)
        monitor?.frame(.tx, parser.request, address: address)
        statistics.bytesSent += parser.request.count

        // `pending` holds the bytes that may still start the reply; noise and echo are dropped.
        var pending: [UInt8] = []
        var lastArrival = MonotonicClock.Instant.now
        while true {
            let gapDeadline = lastArrival + settings.interByteTimeout
            let stalling = !pending.isEmpty && gapDeadline < deadline.instant
            let wait = (stalling ? gapDeadline : deadline.instant) - .now
            guard wait > .zero else {
                throw stalling
                    ? .stalled(gap: settings.interByteTimeout, partial: pending)
                    : .timeout(after: settings.timeout, partial: pending)
            }
            let chunk: [UInt8]
            do { chunk = try link.read(timeout: wait) } catch { throw .link(error) }
            guard !chunk.isEmpty else { continue }
            lastArrival = .now
            trace?.received(chunk, on: link.endpoint)
            monitor?.frame(.rx, chunk, address: address)
            statistics.bytesReceived += chunk.count
            pending += chunk
            let result: ReplyParser.Result
            do { result = try parser.parse(pending) } catch { throw .reply(error) }
            switch result {
            case let .reply(data, _): return data
            case let .needMore(skippable): pending.removeFirst(skippable)
            }
        }
    }

    /// Reads and drops input until the line has been quiet for `drainQuiet` (at most
    /// `drainLimit`), then discards what is left.
    private func drain() {
        let limit = Deadline(after: Self.drainLimit)
        do {
            while !limit.hasPassed {
                let bytes = try link.read(timeout: min(Self.drainQuiet, limit.remaining))
                if bytes.isEmpty { break }
                trace?.received(bytes, on: link.endpoint)
                statistics.bytesReceived += bytes.count
            }
            try link.discardInput()
        } catch {
            link.close()
        }
    }

    // MARK: - Helpers

    /// (offset, count) pairs splitting `length` bytes into reads of at most 64.
    private static func chunks(_ length: Int) -> [(Int, Int)] {
        stride(from: 0, to: length, by: Command.maxReadLength).map { ($0, min(Command.maxReadLength, length - $0)) }
    }
}
