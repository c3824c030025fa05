import Config
import Platform
import TEMProtocol

extension MeterLine {
    /// The control commands `apply(command:)` understands, one per line, for `help`.
    public static let controlHelp = [
        "fault SPEC       add a fault: silent, badChecksum, noise, echo, delay=300ms, wrongAddress,",
        "                 dropConnection, refuseConnections, partial, restart; SPEC@N for meter N only",
        "fault none[@N]   clear every fault (of meter N)",
        "restart [N]      restart meter N (every meter without N): new serial number, integrators zeroed",
        "advance DURATION move the meters' clock on at once: 90s, 15m, 2h",
        "comma finer|coarser [N]  reprogram meter N (every meter) one decimal finer or coarser, totals unchanged",
        "status           addresses, clock, faults, serial numbers",
    ]

    /// Runs one control command (as `tembridge simulate` reads them from stdin) and returns a
    /// one-line answer: `ok …` or `error: …`.
    ///
    /// Commands: `fault SPEC` (see `FaultCommand.parse`: `fault silent`, `fault silent@2`,
    /// `fault delay=2s`, `fault none`), `restart [N]`, `advance DURATION`,
    /// `comma finer|coarser [N]`, `status`, `help`.
    public func apply(command text: String) -> String {
        let words = text.trimmingSpaces.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let verb = words.first?.lowercased() else { return "error: empty command (try help)" }
        let arguments = Array(words.dropFirst())
        switch (verb, arguments.count) {
        case ("fault", 1):
            do {
                try faults.apply(arguments[0])
                advance(by: 0)  // runs a `restart` at once rather than at the next request
                return "ok faults: \(faults.current)"
            } catch {
                return "error: \(error)"
            }
        case ("restart", 0):
            restart()
            return "ok restarted every meter"
        case ("restart", 1):
            guard let address = UInt8(arguments[0]), restart(address) else {
                return "error: no meter at address \(arguments[0])"
            }
            return "ok restarted \(address), serial number \(meter(at: address)!.serialNumber)"
        case ("advance", 1):
            let duration: Duration
            do { duration = try Duration(parsing: arguments[0]) } catch { return "error: \(error)" }
            advance(by: duration.seconds)
            return "ok clock \(clock)"
        case ("comma", 1), ("comma", 2):
            guard let steps = ["finer": 1, "coarser": -1][arguments[0].lowercased()] else {
                return "error: comma takes finer or coarser"
            }
            let address = arguments.count == 2 ? UInt8(arguments[1]) : nil
            if arguments.count == 2, address == nil { return "error: no meter at address \(arguments[1])" }
            guard rescale(address, by: steps) else { return "error: no meter at address \(arguments[1])" }
            let codes = addresses.map { "comma.\($0)=" + meter(at: $0)!.commaCodes.map(String.init).joined(separator: ",") }
            return "ok " + codes.joined(separator: " ")
        case ("status", 0):
            return "ok " + status
        case ("help", 0):
            return "ok commands: " + Self.controlHelp.joined(separator: " | ")
        default:
            return "error: unknown command '\(text.trimmingSpaces)' (try help)"
        }
    }

    /// One line: `addresses=1,2 clock=… speed=1 frozen=0 flash=512 faults=none serial.1=… serial.2=…`.
    public var status: String {
        let serials = addresses.map { "serial.\($0)=\(meter(at: $0)!.serialNumber)" }
        let speed = options.speed == options.speed.rounded() ? String(Int64(options.speed)) : String(options.speed)
        return
            ([
                "addresses=" + addresses.map(String.init).joined(separator: ","), "clock=\(clock)",
                "speed=\(speed)", "frozen=\(options.frozen ? 1 : 0)", "flash=\(options.flash.kib)",
                "faults=" + faults.current.description.replacingSpaces,
            ] + serials).joined(separator: " ")
    }
}

private extension String {
    /// `echo, silent@2` → `echo,silent@2` (so the status line splits on spaces).
    var replacingSpaces: String { split(separator: " ").joined() }
}
