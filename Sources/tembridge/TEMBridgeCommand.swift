import ArgumentParser
import Glibc
import LogFormat
import Logging

/// `tembridge`: TEM-106 heat meters on Modbus TCP.
@main
struct TEMBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tembridge",
        abstract: "Puts TEM-106 heat meters on Modbus TCP.",
        discussion: """
            Polls TEM-106 / TESMA-106 meters over their native protocol (serial, or TCP through a \
            serial-to-Ethernet converter) and serves their values as Modbus registers laid out by a \
            mapping file. A bad option or value exits 64, a failure while running exits 1; either \
            prints one line on stderr.
            """,
        subcommands: [
            Demo.self, Serve.self, Check.self, Registers.self, Identify.self, Read.self,
            Archive.self, Dump.self, History.self, Report.self, Simulate.self, BenchLine.self,
        ]
    )

    /// Parses, installs the log handler once, runs. Starts with no signal blocked: a parent may
    /// hand its blocked mask down (Foundation's `Process` does), and then Ctrl-C would not stop
    /// `archive` nor SIGTERM `read`. Each command takes the ones it handles through
    /// `ProcessSignals`.
    static func main() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(reporting: error) }
        let level = (command as? LoggingCommand)?.logLevel ?? .info
        LoggingSystem.bootstrap { _ in LineLogHandler(level: level) }
        do { try command.run() } catch { exit(reporting: error) }
    }

    /// Help and version go out as argument-parser prints them (exit 0). Any other error is one
    /// line on stderr: a bad option or value (`ValidationError`, a value that does not parse)
    /// exits 64, a failure while running exits 1, an `ExitCode` exits with its code after the
    /// command printed its own message.
    static func exit(reporting error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        let text = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        if !text.isEmpty { printError(text) }
        Glibc.exit(code.rawValue)
    }
}

/// A command that takes `--log-level` (`serve`, `demo`); the others log at info.
protocol LoggingCommand {
    var logLevel: Logger.Level { get }
}

/// One line on stderr, `tembridge: ...`.
func printError(_ line: String) {
    var stderr = StandardError()
    print("tembridge: \(line)", to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        _ = string.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

/// A failure while running, said in one line (`tembridge: …`, exit 1): the commands' own
/// messages where no library error already says it.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
