import ArgumentParser
import Glibc

/// `tembridge`: TEM-106 heat meters on Modbus TCP.
@main
struct TEMBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tembridge",
        abstract: "Puts TEM-106 heat meters on Modbus TCP.",
        discussion: """
            Polls TEM-106 / TESMA-106 meters over their native protocol (serial, or TCP through a \
            serial-to-Ethernet converter) and serves their values as Modbus registers laid out by a \
            mapping file.
            """,
        subcommands: [
            Demo.self, Serve.self, Check.self, Registers.self, Identify.self, Read.self,
            Archive.self, History.self, Report.self, Simulate.self, BenchLine.self,
        ]
    )

    /// Starts with no signal blocked: a parent may hand its blocked mask down (Foundation's
    /// `Process` does), and then Ctrl-C would not stop `archive` nor SIGTERM `read`. `serve`,
    /// `demo` and `simulate` block the ones they take with `sigwait` themselves.
    static func main() {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        main(nil)
    }
}
