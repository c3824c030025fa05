import TEMLink
import TEMSimulator

/// Opens any endpoint: `sim://` in-process, `tcp://` and `serial://` through TEMLink.
public func openAnyLink(_ endpoint: Endpoint) throws(LinkError) -> any Link {
    if case .simulator = endpoint { return try makeSimulatorLink(endpoint) }
    return try openLink(endpoint)
}
