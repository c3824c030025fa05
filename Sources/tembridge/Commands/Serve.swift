import ArgumentParser
import Bridge
import Config
import Glibc
import Logging
import Mapping
import Platform

struct Serve: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge: poll the meters of a mapping file and serve them on Modbus TCP.",
        discussion: """
            SIGHUP re-reads the mapping file: a good file is swapped in atomically, a bad one is \
            reported and the old map keeps serving. SIGTERM or SIGINT stop cleanly (exit 0).
            """)

    @Option(help: "The mapping file (YAML).")
    var mapping: String

    @Option(help: "Log events at this level and above on stderr.")
    var logLevel: Logger.Level = .info

    func run() throws {
        let loaded = try loadMapping(mapping)
        try BridgeRunner.run(loaded, reload: { try loadMapping(mapping) })
    }
}

/// Loads and validates a mapping file; problems are printed one per line and exit with 1.
func loadMapping(_ path: String) throws -> Mapping {
    do {
        return try MappingParser.load(path: path)
    } catch {
        for problem in error.problems { printError(problem.description) }
        throw ExitCode.failure
    }
}

/// Runs a bridge until SIGTERM/SIGINT, reloading on SIGHUP.
enum BridgeRunner {
    static func run(
        _ mapping: Mapping, reload: (() throws -> Mapping)?, banner: String? = nil,
        bannerWithConsole: ((String?) -> String)? = nil
    ) throws {
        // Taken before any thread starts, so that every thread inherits the mask.
        let signals = ProcessSignals.take([SIGHUP, SIGTERM, SIGINT])
        // A descriptor per meter line and per Modbus client: thousands for a large plant.
        DescriptorLimit.raiseToHard()

        let logger = Logger(label: "tembridge.serve")
        let archive = try mapping.archiveStore.map { try ArchiveStoreOpening.start($0) }
        defer { archive?.1?.stop() }
        let mqtt = try MQTTLink(mapping: mapping)
        let operations = Operations()
        let bridge = try Bridge(
            mapping: mapping, keeper: archive?.0, observers: operations.instruments.observers, openLink: openAnyLink,
            events: mqtt.events)
        try operations.startConsole(mapping.http, bridge: bridge)
        bridge.start()
        let host = mapping.server.host
        // The usual first stumble: the map (like the contract's example) says 127.0.0.1 and the
        // PLC on the network cannot connect.
        let loopback = host == "localhost" || host.hasPrefix("127.")
        let hint = loopback ? " (this machine only; listen: 0.0.0.0:\(bridge.port) serves the network)" : ""
        let more = zip(mapping.server.moreListeners, bridge.ports.dropFirst()).map { ", \($0.host):\($1)" }.joined()
        logger.info(
            "serving Modbus TCP on \(host):\(bridge.port)\(more): \(mapping.meters.count) meter(s) on \(mapping.lines.count) line(s)\(hint)"
        )
        if let banner = bannerWithConsole?(operations.consoleURL) ?? banner { print(banner); fflush(nil) }
        operations.notify("READY=1")
        operations.startWatchdog(bridge: bridge)

        while true {
            switch signals.next() {
            case SIGHUP:
                guard let reload else {
                    logger.info("SIGHUP: nothing to reload (the embedded map is fixed)")
                    continue
                }
                operations.notify("RELOADING=1\nMONOTONIC_USEC=\(Operations.monotonicMicroseconds())")
                do {
                    let mapping = try reload()
                    // The publisher first: it then takes the reloaded meters' first events.
                    mqtt.reload(mapping)
                    bridge.reload(mapping)
                    operations.reload(mapping.http, bridge: bridge)
                } catch {
                    bridge.reloadFailed()
                    logger.error("reload rejected, the previous map keeps serving")
                }
                operations.notify("READY=1")
            default:
                logger.info("stopping")
                operations.notify("STOPPING=1")
                operations.stopWatchdog()
                operations.stopConsole()
                bridge.stop()
                mqtt.stop()
                return
            }
        }
    }
}
