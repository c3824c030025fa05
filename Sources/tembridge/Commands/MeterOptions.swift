import ArgumentParser
import Bridge
import Config
import Glibc
import Mapping
import TEMLink
import TEMProtocol

/// The options of every command that talks to a meter.
struct MeterOptions: ParsableArguments {
    @Argument(help: "The meter line: tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=9600 or sim://.")
    var endpoint: String

    @Option(help: "The meter's network address (0...255).")
    var address: Int = 1

    @Option(help: "How long to wait for each reply, e.g. 500ms, 1s.")
    var timeout: String = "1s"

    @Option(help: "How many times to repeat a failed exchange.")
    var retries: Int = 2

    @Flag(help: "Print every frame sent and received, in hex, with direction and time, on stderr.")
    var trace = false

    var meterAddress: UInt8 { UInt8(address) }

    /// Checks the options, opens the endpoint and returns a client for it; failures exit with one line.
    func client() throws -> MeterClient {
        guard (0...255).contains(address) else { throw Failure("address \(address) is out of range 0...255") }
        guard (0...10).contains(retries) else { throw Failure("retries \(retries) is out of range 0...10") }
        let exchangeTimeout: Duration
        do { exchangeTimeout = try Duration(parsing: timeout) } catch { throw Failure("--timeout: \(error)") }
        let parsed: Endpoint
        do { parsed = try Endpoint(parsing: endpoint) } catch { throw Failure("\(error)") }
        let link: any Link
        do { link = try openAnyLink(parsed) } catch { throw Failure("\(error)") }
        let settings = ExchangeSettings(timeout: exchangeTimeout, retries: retries)
        return MeterClient(link: link, settings: settings, trace: trace ? Trace() : nil)
    }
}

/// A failure reported as one line on stderr with a non-zero exit.
struct Failure: Error, CustomStringConvertible {
    let description: String
    let code: Int32

    init(_ description: String, code: Int32 = 1) {
        self.description = description
        self.code = code
    }
}

extension ParsableCommand {
    /// Runs `body`, turning any thrown error into one line on stderr and an exit code.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            printError(failure.description)
            throw ExitCode(failure.code)
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

func printError(_ line: String) {
    var stderr = StandardError()
    print("tembridge: \(line)", to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        _ = string.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
