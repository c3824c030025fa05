import Config
import TEMProtocol

/// A byte pipe to a meter line: TCP through a serial-to-Ethernet converter, a local serial
/// port, or the in-process simulator. The exchange logic (`MeterClient`) is written once
/// against this; nothing above it knows which link it has.
///
/// A link is used by one thread at a time (the line's poller, or a command).
public protocol Link: AnyObject {
    /// Where the link goes, for error messages and traces.
    var endpoint: Endpoint { get }
    /// Opens the link if it is not open (connect, open the port). Idempotent.
    func open(timeout: Duration) throws(LinkError)
    /// Discards bytes already received and not read (stale replies, line noise).
    func discardInput() throws(LinkError)
    /// Sends `bytes` in one write.
    func write(_ bytes: [UInt8]) throws(LinkError)
    /// Waits up to `timeout` for input and returns what has arrived; empty if nothing did.
    func read(timeout: Duration) throws(LinkError) -> [UInt8]
    /// Closes the link; a later `open` reopens it.
    func close()
}

/// A failure of the link itself, naming the endpoint.
public struct LinkError: Error, Sendable, Hashable, CustomStringConvertible {
    public let endpoint: Endpoint
    public let message: String

    public init(_ endpoint: Endpoint, _ message: String) {
        self.endpoint = endpoint
        self.message = message
    }

    public var description: String { "\(endpoint): \(message)" }
}
