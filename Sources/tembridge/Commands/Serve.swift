import ArgumentParser
import Bridge
import Glibc
import Mapping

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge: poll the meters of a mapping file and serve them on Modbus TCP.",
        discussion: """
            SIGHUP re-reads the mapping file: a good file is swapped in atomically, a bad one is \
            reported and the old map keeps serving. SIGTERM or SIGINT stop cleanly (exit 0).
            """)

    @Option(help: "The mapping file (YAML).")
    var mapping: String

    func run() throws {
        try reportingFailures {
            let loaded = try loadMapping(mapping)
            try BridgeRunner.run(loaded, reload: { try loadMapping(mapping) })
        }
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
    static func run(_ mapping: Mapping, reload: (() throws -> Mapping)?, banner: String? = nil) throws {
        // Signals are taken synchronously by this thread with sigwait; block them first so
        // every thread started afterwards inherits the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGHUP, SIGTERM, SIGINT] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let log = Log.standardError
        let archive = try mapping.archiveStore.map { try ArchiveStoreOpening.start($0, log: log) }
        defer { archive?.1?.stop() }
        let bridge: Bridge
        do {
            bridge = try Bridge(mapping: mapping, log: log, keeper: archive?.0, openLink: openAnyLink)
        } catch {
            throw Failure("\(error)")
        }
        bridge.start()
        let host = mapping.server.host
        // The usual first stumble: the map (like the contract's example) says 127.0.0.1 and the
        // PLC on the network cannot connect.
        let loopback = host == "localhost" || host.hasPrefix("127.")
        log(
            .info,
            "serving Modbus TCP on \(host):\(bridge.port): "
                + "\(mapping.meters.count) meter(s) on \(mapping.lines.count) line(s)"
                + (loopback ? " (this machine only; listen: 0.0.0.0:\(bridge.port) serves the network)" : ""))
        if let banner { print(banner); fflush(nil) }

        while true {
            var received: Int32 = 0
            sigwait(&signals, &received)
            switch received {
            case SIGHUP:
                guard let reload else {
                    log(.info, "SIGHUP: nothing to reload (the embedded map is fixed)")
                    continue
                }
                do {
                    bridge.reload(try reload())
                } catch {
                    log(.error, "reload rejected, the previous map keeps serving")
                }
            default:
                log(.info, "stopping")
                bridge.stop()
                return
            }
        }
    }
}
