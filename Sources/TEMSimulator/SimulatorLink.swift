import Config
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// The in-process link of a `sim://` endpoint: `write` hands the request to a `MeterLine`,
/// `read(timeout:)` returns the line's reply once its delay has passed.
///
/// Like a TCP link to a converter: under `refuseConnections` `open` throws; under
/// `dropConnection` the next `read` (or `write`) throws and the link stays closed until reopened.
/// A reply that comes after a read gave up stays on its way and is read (or discarded) later.
public final class SimulatorLink: Link, Sendable {
    public let endpoint: Endpoint
    /// The line this link talks to.
    public let line: MeterLine

    private struct State {
        var isOpen = false
        var dropped = false
        var framer = RequestFramer()
        /// Replies on their way: the bytes and when they arrive.
        var incoming: [(at: MonotonicClock.Instant, bytes: [UInt8])] = []
    }

    private let state = Mutex(State())

    /// A link to `line`; `endpoint` only names it in errors and traces.
    public init(line: MeterLine, endpoint: Endpoint = .simulator(options: [:])) {
        self.line = line
        self.endpoint = endpoint
    }

    public func open(timeout: Duration) throws(LinkError) {
        if line.faults.current.contains(.refuseConnections) {
            throw LinkError(endpoint, "connection refused by the simulator (refuseConnections)")
        }
        state.withLock { st in
            if !st.isOpen { st = State(isOpen: true) }
        }
    }

    public func discardInput() throws(LinkError) {
        try checkOpen()
        let now = MonotonicClock.Instant.now
        state.withLock { $0.incoming.removeAll { $0.at <= now } }
    }

    public func write(_ bytes: [UInt8]) throws(LinkError) {
        try checkOpen()
        let now = MonotonicClock.Instant.now
        let frames = state.withLock { $0.framer.append(bytes, at: now) }
        for frame in frames {
            let response = line.respond(to: frame)
            state.withLock { st in
                if response.dropsConnection {
                    st.dropped = true
                } else if !response.bytes.isEmpty {
                    st.incoming.append((now + response.delay, response.bytes))
                }
            }
        }
    }

    public func read(timeout: Duration) throws(LinkError) -> [UInt8] {
        try checkOpen()
        let deadline = MonotonicClock.Instant.now + timeout
        let first = state.withLock { $0.incoming.map(\.at).min() }
        blockingSleep(min(first ?? deadline, deadline) - .now)
        let now = MonotonicClock.Instant.now
        return state.withLock { st in
            let arrived = st.incoming.filter { $0.at <= now }
            st.incoming.removeAll { $0.at <= now }
            return arrived.flatMap(\.bytes)
        }
    }

    public func close() {
        state.withLock { $0 = State() }
    }

    /// Throws unless open; a dropped connection closes the link here.
    private func checkOpen() throws(LinkError) {
        let (isOpen, dropped) = state.withLock { st in
            let result = (st.isOpen, st.dropped)
            if st.dropped { st = State() }
            return result
        }
        if dropped { throw LinkError(endpoint, "connection closed by the simulator (dropConnection)") }
        if !isOpen { throw LinkError(endpoint, "link is not open") }
    }
}

private let sharedLines = Mutex<[SimulatorOptions: MeterLine]>([:])

extension MeterLine {
    /// The one line of this process for `options`: every `sim://` link with the same options talks
    /// to it, so values (and faults) are the same whichever link reads them. Made on first use.
    ///
    /// Tests that switch faults should use options of their own (another `seed=`), or a line of
    /// their own with `SimulatorLink(line:)`, so that tests running in parallel do not meet them.
    public static func shared(options: SimulatorOptions) -> MeterLine {
        sharedLines.withLock { lines in
            if let line = lines[options] { return line }
            let line = MeterLine(options: options)
            lines[options] = line
            return line
        }
    }
}

/// The link for a `sim://` endpoint, on the process's shared line for its options
/// (`MeterLine.shared(options:)`). Throws for another kind of endpoint or a bad option.
public func makeSimulatorLink(_ endpoint: Endpoint) throws(LinkError) -> any Link {
    guard case let .simulator(query) = endpoint else { throw LinkError(endpoint, "not a sim:// endpoint") }
    let options: SimulatorOptions
    do { options = try SimulatorOptions(query: query) } catch { throw LinkError(endpoint, error.description) }
    return SimulatorLink(line: .shared(options: options), endpoint: endpoint)
}
