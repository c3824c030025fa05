import ArgumentParser
import Config
import Logging
import Mapping

struct Demo: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the embedded default map over an in-process simulated meter line.",
        discussion: "Two simulated meters (unit ids 1 and 2) with mapping/default.yaml, built into the binary.")

    @Option(help: "Where to serve Modbus TCP, HOST:PORT (default: 127.0.0.1:1502).", transform: ArgumentText.listenAddress)
    var listen = HostPort(host: "127.0.0.1", port: 1502)

    @Option(help: "Log events at this level and above on stderr.")
    var logLevel: Logger.Level = .info

    @Option(help: "Where to serve the operations console (HTTP), HOST:PORT, or 'off'.")
    var http: String = "127.0.0.1:8080"

    func validate() throws {
        if http != "off", case let .failure(problem) = ListenAddress.parse(http) {
            throw ValidationError("--http: \(problem) (or --http off)")
        }
    }

    func run() throws {
        var mapping: Mapping
        do {
            mapping = try MappingParser.parse(
                yaml: String(decoding: PackageResources.default_yaml, as: UTF8.self),
                file: "mapping/default.yaml")
        } catch {
            printError("the embedded default map is invalid: \(error)")
            throw ExitCode.failure
        }
        mapping.server.host = listen.host
        mapping.server.port = listen.port
        if http != "off", case let .success(address) = ListenAddress.parse(http) {
            mapping.http = HTTPConfiguration(host: address.host, port: address.port)
        }
        let banner = """
            tembridge demo: 2 simulated TEM-106 meters on Modbus TCP \(listen) (unit ids 1 and 2).
            Read temperature.1 (float32 at register 100) of unit 1:
                mbpoll -m tcp -p \(listen.port) -a 1 -r 101 -c 1 -t 4:float -B -1 \(listen.host)
            The register table: tembridge registers --mapping mapping/default.yaml
            Ctrl-C stops.
            """
        try BridgeRunner.run(mapping, reload: nil, banner: banner) { url in
            guard let url else { return banner }
            return banner.replacing(
                "Ctrl-C stops.", with: "The operations console (status page, /metrics): \(url)\nCtrl-C stops.")
        }
    }
}
