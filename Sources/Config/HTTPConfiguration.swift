/// The mapping file's `http:` section: where the operations console listens and who may use it.
/// Absent from the file = no HTTP server.
public struct HTTPConfiguration: Sendable, Equatable {
    /// IPv4 address or host name to listen on; loopback unless the map says otherwise.
    public var host: String
    /// TCP port; 0 lets the system pick a free one.
    public var port: UInt16
    /// Client networks allowed to use the console; nil allows everyone.
    public var allow: [IPv4Network]?

    public init(host: String = "127.0.0.1", port: UInt16 = 8080, allow: [IPv4Network]? = nil) {
        self.host = host
        self.port = port
        self.allow = allow
    }

    /// Whether a client at `address` (IPv4, host byte order) may use the console.
    public func allows(_ address: UInt32) -> Bool {
        allow?.contains { $0.contains(address) } ?? true
    }
}
