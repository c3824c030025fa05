import ArgumentParser
import Mapping
import ModbusServer

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the embedded default map over an in-process simulated meter line.",
        discussion: "Two simulated meters (unit ids 1 and 2) with mapping/default.yaml, built into the binary.")

    @Option(help: "Where to serve Modbus TCP, HOST:PORT.")
    var listen: String = "127.0.0.1:1502"

    @Option(help: "Where to serve the operations console (HTTP), HOST:PORT, or 'off'.")
    var http: String = "127.0.0.1:8080"

    func run() throws {
        try reportingFailures {
            var mapping: Mapping
            do {
                mapping = try MappingParser.parse(
                    yaml: String(decoding: PackageResources.default_yaml, as: UTF8.self),
                    file: "mapping/default.yaml")
            } catch { throw Failure("the embedded default map is invalid: \(error)") }
            let (host, port): (String, UInt16)
            switch ListenAddress.parse(listen) {
            case let .success(address): (host, port) = address
            case let .failure(problem): throw Failure("--listen: \(problem)")
            }
            mapping.server.host = host
            mapping.server.port = port
            if http != "off" {
                switch ListenAddress.parse(http) {
                case let .success(address): mapping.http = HTTPConfiguration(host: address.host, port: address.port)
                case let .failure(problem): throw Failure("--http: \(problem) (or --http off)")
                }
            }
            let banner = """
                tembridge demo: 2 simulated TEM-106 meters on Modbus TCP \(listen) (unit ids 1 and 2).
                Read temperature.1 (float32 at register 100) of unit 1:
                    mbpoll -m tcp -p \(port) -a 1 -r 101 -c 1 -t 4:float -B -1 \(mapping.server.host)
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
}
