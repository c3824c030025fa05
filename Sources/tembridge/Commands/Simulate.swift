import ArgumentParser
import Bridge
import Glibc
import Platform
import TEMSimulator

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulated TEM-106 meter line speaking the native protocol.",
        discussion: """
            Serves over TCP like a serial-to-Ethernet converter (--listen), or on a pseudo-terminal \
            (--pty) that a serial:// endpoint opens. Control commands on stdin, one per line: \
            'fault silent', 'fault silent@2', 'fault delay=2s', 'fault noise', 'fault echo', \
            'fault bad-checksum', 'fault wrong-address', 'fault partial', 'fault drop-connection', \
            'fault refuse-connections', 'fault none', 'restart 1', 'advance 2h', 'status', 'help'.
            """)

    @Option(
        help: "Serve TCP on HOST:PORT, port 0 picks a free one (default: 127.0.0.1:4001).",
        transform: ArgumentText.listenAddress)
    var listen = HostPort(host: "127.0.0.1", port: 4001)

    @Option(
        help: """
            Serve this many converter endpoints on consecutive ports from --listen's port (port 0: \
            any free ports), each a line of its own with the --addresses meters (seeded --seed, \
            --seed + 1, ...); control commands apply to every line.
            """)
    var endpoints: Int = 1

    @Flag(help: "Serve on a pseudo-terminal instead of TCP; its path is printed.")
    var pty = false

    @Option(help: "The meters' network addresses, e.g. 1,2.")
    var addresses: String = "1,2"

    @Option(help: "Archive Flash size in KiB: 512 or 1024.")
    var flash: Int = 512

    @Option(help: "Simulated seconds per real second (3600: an hour a second, for archive records).")
    var speed: Double = 1

    @Option(help: "Integrator speed multiplier (large values roll F into L many times a second).")
    var rate: Double = 1

    @Flag(help: "Values do not move (for exact comparisons).")
    var frozen = false

    @Option(help: "Seed of the simulated values.")
    var seed: UInt64 = 1

    @Option(help: "Hours of archive history written at start.")
    var history: Int = 48

    @Option(help: "Emulate the wire time of a line at this baud rate.")
    var lineSpeed: Int?

    @Option(help: "A fault active from the start (repeatable), e.g. silent@2, delay=300ms.")
    var fault: [String] = []

    @Option(
        help:
            "An archive record written with an impossible date (repeatable): KIND:N, N = 1 for the newest; KIND:N:period spoils its period stamp."
    )
    var damaged: [String] = []

    @Option(help: "Day of the month (1...31) the monthly record is written; a shorter month's last day stands for it.")
    var reportingDay: Int?

    @Option(help: "Hour (0...23) the daily record is written at (its period starts at that hour the day before).")
    var dayHour: Int?

    @Option(help: "Set the meter's clock back one hour after the Nth hourly record of the history.")
    var clockBack: Int?

    @Option(help: "Where the meters keep comma in T2K: 0x2FA (as listed) or 0x2E8 (then diam78 sits at 0x2FA).")
    var commaAddress: String?

    @Option(
        name: .customLong("diam78"), help: "diam78 of flowmeters 7 and 8 in mm, written at 0x2FA when comma is at 0x2E8: 15,20.")
    var diameter78: String?

    @Option(help: "Serve a `tembridge dump` file, frozen, instead of simulated meters.")
    var image: String?

    /// The longest control command read from stdin, in bytes.
    static let maxCommandLength = 1024

    func validate() throws {
        guard (1...60000).contains(endpoints) else { throw ValidationError("--endpoints must be 1...60000") }
        if pty, endpoints > 1 { throw ValidationError("--endpoints serves TCP; it cannot be used with --pty") }
    }

    func run() throws {
        var query = [
            "addresses": addresses, "flash": "\(flash)", "speed": "\(speed)", "rate": "\(rate)",
            "seed": "\(seed)", "history": "\(history)",
        ]
        if frozen { query["frozen"] = "1" }
        if let lineSpeed { query["line_speed"] = "\(lineSpeed)" }
        if !fault.isEmpty { query["fault"] = fault.joined(separator: ",") }
        if !damaged.isEmpty { query["damaged"] = damaged.joined(separator: ",") }
        if let commaAddress { query["comma"] = commaAddress }
        if let reportingDay { query["reporting_day"] = "\(reportingDay)" }
        if let dayHour { query["day_hour"] = "\(dayHour)" }
        if let clockBack { query["clock_back"] = "\(clockBack)" }
        if let diameter78 { query["diam78"] = diameter78 }
        if let image { query["image"] = image }
        let options = try SimulatorOptions(query: query)

        let signals = ProcessSignals.take([SIGTERM, SIGINT])

        let lines = (0..<endpoints).map { index in
            var seeded = options
            seeded.seed = options.seed &+ UInt64(index)
            return MeterLine(options: seeded)
        }
        let line = lines[0]
        let stop: () -> Void
        let addressList = line.addresses.map(String.init).joined(separator: ",")
        if endpoints > 1 {
            DescriptorLimit.raiseToHard()
            let served = try SimulatorEndpoints(lines: lines, host: listen.host, firstPort: listen.port)
            let range =
                listen.port == 0
                ? "ports \(served.ports.map(String.init).joined(separator: ","))" : "\(served.ports[0])...\(served.ports.last!)"
            print("simulating meter(s) \(addressList) on each of \(endpoints) endpoints tcp://\(served.host):\(range)")
            stop = served.stop
        } else if pty {
            let device = try SimulatorPTY(line: line)
            print("simulating meter(s) \(addressList) on serial://\(device.slavePath)?baud=9600")
            stop = device.stop
        } else {
            let server = try SimulatorServer(line: line, host: listen.host, port: listen.port)
            print("simulating meter(s) \(addressList) on tcp://\(server.host):\(server.port)")
            stop = server.stop
        }
        fflush(nil)
        // Control commands arrive on stdin, one a line of at most `maxCommandLength` bytes (a
        // longer one gets one line of error, and `< /dev/zero` a bounded buffer); the thread
        // ends with the process.
        _ = PosixThread.essential("stdin reader") {
            var commands = LineReader(descriptor: STDIN_FILENO, limit: Self.maxCommandLength)
            while let next = commands.next() {
                switch next {
                case let .text(command):
                    guard !command.isEmpty else { continue }
                    let answers = lines.map { $0.apply(command: command) }
                    print(answers[0] + (lines.count > 1 ? " (on each of \(lines.count) endpoints)" : ""))
                case let .tooLong(limit):
                    print("error: control command longer than \(limit) bytes, ignored")
                }
                fflush(nil)
            }
        }
        _ = signals.next()
        stop()
    }
}
