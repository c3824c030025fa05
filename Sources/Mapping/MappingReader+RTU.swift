import Config
import Yams

/// `server.rtu`: the serial ports served as Modbus RTU slaves, and the meters' `on_stale`.
extension MappingReader {
    static let rtuKeys = ["port", "unit_ids", "rs485"]

    /// Reads the `rtu` list; each port's position is kept in `rtuPorts` for `checkRTUPorts`.
    mutating func readRTU(_ node: Node) -> [RTUPortConfiguration] {
        guard let items = read.list(node) else { return [] }
        var ports: [RTUPortConfiguration] = []
        for item in items {
            guard let fields = read.fields(of: item, allowed: Self.rtuKeys) else { continue }
            guard let portNode = read.required("port", in: fields), let text = read.string(portNode) else { continue }
            let settings: SerialPortSettings
            do throws(EndpointError) {
                settings = try SerialPortSettings(parsing: text)
            } catch {
                read.report(error.description, at: portNode)
                continue
            }
            var port = RTUPortConfiguration(settings)
            if let node = fields["unit_ids"], let list = read.list(node) {
                if list.isEmpty { read.report("unit_ids: [] answers no unit (leave it out to answer all)", at: node) }
                var ids: [UInt8] = []
                for idNode in list {
                    guard let id = read.integer(idNode, in: 1...247, what: "RTU unit id") else { continue }
                    if ids.contains(UInt8(id)) {
                        read.report("unit id \(id) is listed twice", at: idNode)
                    } else {
                        ids.append(UInt8(id))
                        rtuUnitIDs.append((UInt8(id), Position(idNode)))
                    }
                }
                port.unitIDs = ids
            }
            if let node = fields["rs485"], let value = read.bool(node) { port.rs485 = value }
            rtuPorts.append((settings.path, Position(portNode)))
            ports.append(port)
        }
        return ports
    }

    /// A serial port is either a meter line or an RTU port, and one RTU port is listed once;
    /// an RTU unit id must be served by a meter of the first `server.listen` address.
    mutating func checkRTUPorts(_ lines: [ReadLine], meters: [ReadMeter]) {
        var lineOwners: [String: String] = [:]
        for line in lines {
            if case let .serial(path, _)? = line.endpoint { lineOwners[path] = line.name ?? "?" }
        }
        var seen: [String: Position] = [:]
        for (path, position) in rtuPorts {
            if let owner = lineOwners[path] {
                read.report(
                    "\(path) is already the meter line '\(owner)' (a port is either a meter line or an RTU port)",
                    at: position)
            } else if let earlier = seen[path] {
                read.report("RTU port \(path) is already listed at \(earlier.line):\(earlier.column)", at: position)
            } else {
                seen[path] = position
            }
        }
        // RTU ports serve the first listener's unit ids.
        let served = Set(meters.filter { $0.listener == 0 }.flatMap { $0.unitIDs.map(\.id) })
        for (id, position) in rtuUnitIDs where !served.contains(id) {
            read.report("RTU unit id \(id) is not the unit id of any meter", at: position)
        }
    }

    /// `on_stale: exception | last_value | nan`.
    mutating func readStalePolicy(_ node: Node) -> StalePolicy? {
        guard let text = read.string(node) else { return nil }
        if let policy = StalePolicy(rawValue: text) { return policy }
        let names = StalePolicy.allCases.map(\.rawValue)
        read.report(
            "unknown on_stale '\(text)'" + Suggestion.hint(for: text, in: names) + " (use exception, last_value or nan)", at: node
        )
        return nil
    }
}
