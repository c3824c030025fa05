import Config
import Platform
import Synchronization
import TEMProtocol

/// The meters on one simulated line, answering request frames as real meters on an RS-485 line
/// do, with the faults switched on in `faults`.
///
/// Real time moves the meters: the line's meter time is `options.startTime` plus the real time
/// since the line was made × `options.speed` (not when `options.frozen`), plus every
/// `advance(by:)`. Thread-safe: every call runs under one lock.
public final class MeterLine: Sendable {
    /// What the line sends back for one request.
    public struct Response: Sendable, Hashable {
        /// The bytes, in order (echo, noise, reply frame); empty when nothing comes back.
        public var bytes: [UInt8]
        /// How long after the request the bytes arrive (`delay` faults plus emulated wire time).
        public var delay: Duration
        /// True under `dropConnection`: a TCP server closes the client instead of replying.
        public var dropsConnection: Bool

        public init(bytes: [UInt8], delay: Duration = .zero, dropsConnection: Bool = false) {
            self.bytes = bytes
            self.delay = delay
            self.dropsConnection = dropsConnection
        }
    }

    public let options: SimulatorOptions
    /// The active faults; switch them from any thread.
    public let faults: FaultSwitch

    private struct State {
        var meters: [UInt8: SimulatedMeter]
        var random: SeededRandom
        /// Seconds added by `advance(by:)`.
        var offset: Double = 0
    }

    private let state: Mutex<State>
    private let hostStart: MonotonicClock.Instant
    private let meterStart: Double

    /// A line of meters at `options.addresses`, each with its archive history already written.
    public init(options: SimulatorOptions = SimulatorOptions()) {
        self.options = options
        var faults = Faults()
        for command in options.faults { faults.apply(command) }
        self.faults = FaultSwitch(faults)
        var meters: [UInt8: SimulatedMeter] = [:]
        // An image line serves the dump alone.
        for address in options.image == nil ? options.addresses : [] {
            meters[address] = SimulatedMeter(address: address, options: options)
        }
        state = Mutex(State(meters: meters, random: SeededRandom(seed: options.seed ^ 0x0015E)))
        meterStart = Double(options.startTime)
        hostStart = .now
    }

    /// The meters' network addresses, ascending (an image line: the dumped meter's).
    public var addresses: [UInt8] { options.image.map { [$0.dump.address] } ?? options.addresses }

    /// The line's meter time now: Unix seconds of the meters' local time.
    public var time: Double { state.withLock { meterTime($0) } }

    /// The line's meter clock now.
    public var clock: MeterClock { MeterClock(unixSeconds: Int(time.rounded(.down))) }

    /// A copy of the meter at `address`, run up to now; nil if there is none.
    public func meter(at address: UInt8) -> SimulatedMeter? {
        state.withLock { st in
            prepare(&st, address)
            return st.meters[address]
        }
    }

    /// The current T2K image of the meter at `address`; nil if there is none.
    public func t2k(address: UInt8) -> [UInt8]? { meter(at: address)?.t2k() }

    /// Moves the meters' time on by `seconds` at once (in any mode; the only way a frozen line moves).
    public func advance(by seconds: Double) {
        state.withLock { st in
            st.offset += max(0, seconds)
            prepare(&st, nil)
        }
    }

    /// Restarts the meter at `address`, or every meter for nil (see `Fault.restart`).
    /// False if there is no such meter.
    @discardableResult
    public func restart(_ address: UInt8? = nil) -> Bool {
        state.withLock { st in
            prepare(&st, address)
            guard let address else {
                for a in st.meters.keys { st.meters[a]!.restart() }
                return true
            }
            guard st.meters[address] != nil else { return false }
            st.meters[address]!.restart()
            return true
        }
    }

    /// Reprograms the meter at `address` (every meter for nil) `steps` decimals finer, its totals
    /// unchanged (see `SimulatedMeter.rescale(by:)`). False if there is no such meter.
    @discardableResult
    public func rescale(_ address: UInt8? = nil, by steps: Int) -> Bool {
        state.withLock { st in
            prepare(&st, address)
            let targets = address.map { [$0] } ?? Array(st.meters.keys)
            guard targets.allSatisfy({ st.meters[$0] != nil }) else { return false }
            for a in targets { st.meters[a]!.rescale(by: steps) }
            return true
        }
    }

    /// The line's answer to `request`, the bytes a master wrote: one frame (`0x55`, ADDR, NOT ADDR,
    /// CGRP, CMD, LEN, data, CS). The addressed meter replies to identify, 0F01 and 0F03; a bad frame
    /// or checksum, an unknown address or command, a length outside 1...64 or a read past the end of
    /// the memory gets no reply, as from a real meter. Then the active faults shape the bytes.
    public func respond(to request: [UInt8]) -> Response {
        let decoded = DecodedRequest(request)
        let active = faults.current.active(at: decoded?.address)
        return state.withLock { st in
            prepare(&st, decoded?.address)
            var bytes: [UInt8] = []
            if let decoded, let command = decoded.command, active[.silent] == nil,
                let data = options.image.map({ $0.reply(to: command, address: decoded.address) })
                    ?? st.meters[decoded.address]?.reply(to: command)
            {
                let from = active[.wrongAddress] == nil ? decoded.address : decoded.address &+ 1
                bytes = Frame.reply(to: command, from: from, data: data).bytes
                if active[.badChecksum] != nil { bytes[bytes.count - 1] = ~bytes[bytes.count - 1] }
                if active[.partial] != nil { bytes = Array(bytes.prefix(bytes.count / 2)) }
                if active[.noise] != nil { bytes = Self.noise(&st.random) + bytes }
            }
            if active[.echo] != nil { bytes = request + bytes }
            var delay = Duration.zero
            if case let .delay(d)? = active[.delay] { delay += d }
            if let baud = options.lineSpeed {
                delay += .nanoseconds(Int64((request.count + bytes.count) * 10) * 1_000_000_000 / Int64(baud))
            }
            return Response(bytes: bytes, delay: delay, dropsConnection: active[.dropConnection] != nil)
        }
    }

    /// Runs pending restarts and brings the meter at `address` (nil: every meter) up to now.
    /// Meters not asked about lag behind and catch up when they are.
    private func prepare(_ st: inout State, _ address: UInt8?) {
        let now = meterTime(st)
        let restarts: [UInt8]
        switch faults.takeRestarts() {
        case .all?: restarts = Array(st.meters.keys)
        case let .addresses(list)?: restarts = list
        case nil: restarts = []
        }
        for a in restarts where st.meters[a] != nil {
            st.meters[a]!.advance(to: now)
            st.meters[a]!.restart()
        }
        for a in address.map({ [$0] }) ?? Array(st.meters.keys) { st.meters[a]?.advance(to: now) }
    }

    private func meterTime(_ st: State) -> Double {
        let running = options.frozen ? 0 : (MonotonicClock.Instant.now - hostStart).seconds * options.speed
        return meterStart + running + st.offset
    }

    /// 3–8 bytes of line noise with one stray `0xAA` that is not followed by an ADDR/NOT ADDR pair
    /// (so a parser can resynchronise) and no `0x55`.
    private static func noise(_ random: inout SeededRandom) -> [UInt8] {
        let count = 3 + Int(random.next() % 6)
        var bytes = (0..<count).map { _ in
            var b = random.byte()
            while b == 0x55 || b == 0xAA { b = random.byte() }
            return b
        }
        let at = Int(random.next() % UInt64(count - 1))
        bytes[at] = 0xAA
        if at + 2 < count { bytes[at + 2] = bytes[at + 1] }
        return bytes
    }
}
