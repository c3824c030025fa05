import Config

/// The link for a `tcp://` or `serial://` endpoint, not yet connected: it connects on its first
/// `open(timeout:)`, which `MeterClient` calls before every exchange.
///
/// Throws for `sim://`, which the simulator module opens (TEMSimulator's `makeSimulatorLink`).
public func openLink(_ endpoint: Endpoint) throws(LinkError) -> any Link {
    switch endpoint {
    case let .tcp(host, port): TCPLink(host: host, port: port)
    case let .serial(path, baud): SerialLink(path: path, baud: baud)
    case .simulator: throw LinkError(endpoint, "sim:// is opened by the simulator module, not by openLink")
    }
}
