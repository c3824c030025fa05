/// The mapping file's `server:` section, as the Modbus server uses it.
public struct ServerConfiguration: Sendable, Equatable {
    /// IPv4 address or host name to listen on; `0.0.0.0` listens on every interface.
    public var host: String
    /// TCP port; 0 lets the system pick a free one (see `ModbusTCPServer.port`).
    public var port: UInt16
    /// Connections beyond this many are closed as soon as they are accepted (0 refuses all).
    public var maxConnections: Int
    /// A connection that sends no request for this long is closed; so is one that does not take
    /// its response for this long. `.zero` disables both.
    public var idleTimeout: Duration
    /// FC04 (read input registers) serves the same map as FC03; false answers it with exception 01.
    public var inputRegisters: Bool
    /// Client networks allowed to connect; nil allows everyone. Others are closed at once.
    public var allow: [IPv4Network]?
    /// Serial ports served as Modbus RTU slaves, from the first listener's register images.
    public var rtu: [RTUPortConfiguration] = []
    /// The listeners after the first (`host`, `port`) when `server.listen` is a list: each has
    /// unit ids of its own, answering for the meters whose `listen:` names it.
    public var moreListeners: [Listener] = []

    /// One `HOST:PORT` the Modbus TCP server listens on.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }
    }

    /// Every listener, the first (`host`, `port`) first; a meter's `MeterConfig.listener` indexes it.
    public var listeners: [Listener] { [Listener(host: host, port: port)] + moreListeners }

    /// The configuration of listener `index`: this one with its host and port.
    public func listener(_ index: Int) -> ServerConfiguration {
        guard index > 0 else { return self }
        var configuration = self
        configuration.host = moreListeners[index - 1].host
        configuration.port = moreListeners[index - 1].port
        return configuration
    }

    public init(
        host: String = "127.0.0.1", port: UInt16 = 1502, maxConnections: Int = 32,
        idleTimeout: Duration = .seconds(60), inputRegisters: Bool = true, allow: [IPv4Network]? = nil
    ) {
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.inputRegisters = inputRegisters
        self.allow = allow
    }

    /// Whether a client at `address` (IPv4, host byte order) may connect.
    public func allows(_ address: UInt32) -> Bool {
        allow?.contains { $0.contains(address) } ?? true
    }
}
