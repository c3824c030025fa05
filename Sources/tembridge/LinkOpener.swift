import Config
import TEMLink
import TEMSimulator

/// The one place `sim://` is wired in: every command that opens a meter line opens it here, so
/// `tcp://` and `serial://` go through TEMLink and `sim://` through the simulator. The bridge and
/// the libraries never see the simulator; they are handed this function.
@Sendable
func openAnyLink(_ endpoint: Endpoint) throws(LinkError) -> any Link {
    if case .simulator = endpoint { return try makeSimulatorLink(endpoint) }
    return try openLink(endpoint)
}
