import Config
import TEMProtocol
import Yams

/// Walks a mapping document section by section, reading what is valid and reporting what is
/// not, then runs the checks that span sections (`MappingChecks.swift`). Partly invalid parts
/// are kept as far as they were read, so one mistake does not hide another.
struct MappingReader {
    static let topKeys = ["server", "lines", "meters", "register_sets", "mqtt", "archive_store", "http"]
    static let httpKeys = ["listen", "allow"]
    static let serverKeys = ["listen", "max_connections", "idle_timeout", "input_registers", "allow", "rtu"]
    static let lineKeys = ["name", "endpoint", "timeout", "retries"]
    static let meterKeys = [
        "name", "line", "address", "unit_id", "poll_interval", "stale_after", "on_stale", "comma_address",
        "config_interval", "registers", "register_offset", "listen",
    ]
    static let entryKeys = ["address", "value", "raw", "type", "order", "scale", "description"]
    static let rawKeys = ["t2k", "type"]
    static let valueNames = ValueCatalog.all.map(\.name)
    /// Each connection has a thread of its own (256 KiB of stack).
    static let maxConnections = 1...1000
    static let retries = 0...10
    /// T2K memory is 2 KiB.
    static let t2kAddresses = 0...0x7FF

    var read: NodeReader
    /// Register sets and inline lists, in the order read; meters refer to them by index.
    var lists: [ReadList] = []
    var setIndex: [String: Int] = [:]
    /// False when `register_sets` itself is malformed: set references are then not checked.
    var setsReadable = true
    /// "Did you mean" is a scan of the whole catalog: done once per unknown name.
    var valueHints: [String: String] = [:]
    /// `server.rtu` ports and unit ids as read, for the checks (see MappingReader+RTU.swift).
    var rtuPorts: [(path: String, position: Position)] = []
    var rtuUnitIDs: [(id: UInt8, position: Position)] = []
    /// `server.listen` as read, for the meters' `listen:` (see MappingReader+Placement.swift).
    var listeners: [ServerConfiguration.Listener] = [ServerConfiguration.Listener(host: "127.0.0.1", port: 1502)]

    init(file: String) {
        read = NodeReader(file: file)
    }

    /// Every problem, in file order, each once.
    var problems: [MappingProblem] {
        var seen = Set<String>()
        let unique = read.problems.filter { seen.insert($0.description).inserted }
        return unique.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// The checked mapping, or nil when there are problems.
    mutating func readMapping(_ root: Node?) -> Mapping? {
        guard let root else {
            read.report("the file is empty (a mapping needs 'lines' and 'meters')", at: .start)
            return nil
        }
        guard let top = read.fields(of: root, allowed: Self.topKeys) else { return nil }
        var server = ServerConfiguration()
        if let node = top["server"] { server = readServer(node) }
        var http: HTTPConfiguration?
        if let node = top["http"] { http = readHTTP(node, server: server) }
        if let node = top["register_sets"] { readRegisterSets(node) }
        var lines: [ReadLine]?
        if let node = read.required("lines", in: top) { lines = readLines(node) }
        var meters: [ReadMeter] = []
        if let node = read.required("meters", in: top) { meters = readMeters(node, lines: lines) }
        var mqtt: MQTTConfig?
        if let node = top["mqtt"] {
            mqtt = readMQTT(node)
            checkTopicNames(meters)
        }
        let archiveStore = top["archive_store"].flatMap { readArchiveStore($0) }
        check(lines: lines, meters: meters)
        checkArchiveWindows(hasArchiveStore: top["archive_store"] != nil)
        guard read.problems.isEmpty else { return nil }
        var mapping = build(server: server, lines: lines ?? [], meters: meters)
        mapping?.mqtt = mqtt
        mapping?.archiveStore = archiveStore
        mapping?.http = http
        return mapping
    }

    // MARK: server

    mutating func readServer(_ node: Node) -> ServerConfiguration {
        var server = ServerConfiguration()
        guard let fields = read.fields(of: node, allowed: Self.serverKeys) else { return server }
        if let node = fields["listen"] { readListen(node, into: &server) }
        if let node = fields["max_connections"], let value = read.integer(node) {
            if Self.maxConnections.contains(value) {
                server.maxConnections = value
            } else {
                read.report(
                    "max_connections \(value) is out of range 1...1000 (each connection has a thread of its own)",
                    at: node)
            }
        }
        if let node = fields["idle_timeout"], let value = read.duration(node, what: "idle_timeout") {
            server.idleTimeout = value
        }
        if let node = fields["input_registers"], let value = read.bool(node) {
            server.inputRegisters = value
        }
        if let node = fields["allow"], let networks = readAllow(node) { server.allow = networks }
        if let node = fields["rtu"] { server.rtu = readRTU(node) }
        return server
    }

    /// An `allow` list of CIDR networks; nil when it is not a list.
    mutating func readAllow(_ node: Node) -> [IPv4Network]? {
        guard let items = read.list(node) else { return nil }
        if items.isEmpty {
            read.report("allow: [] would refuse every client (leave 'allow' out to accept all)", at: node)
        }
        var networks: [IPv4Network] = []
        for item in items {
            guard let text = read.string(item) else { continue }
            if let network = IPv4Network(text) {
                networks.append(network)
            } else {
                read.report("malformed CIDR '\(text)' (write A.B.C.D/N, e.g. 192.168.1.0/24)", at: item)
            }
        }
        return networks
    }

    // MARK: http

    /// The `http:` section (the operations console): `listen` (required) and `allow`.
    mutating func readHTTP(_ node: Node, server: ServerConfiguration) -> HTTPConfiguration? {
        guard let fields = read.fields(of: node, allowed: Self.httpKeys) else { return nil }
        var http = HTTPConfiguration()
        if let node = read.required("listen", in: fields), let text = read.string(node) {
            switch ListenAddress.parse(text) {
            case let .success((host, port)) where port != 0 && (host, port) == (server.host, server.port):
                read.report(
                    "http listen \(text) is the Modbus server's address (server.listen); give it a port of its own", at: node)
            case let .success((host, port)):
                http.host = host
                http.port = port
            case let .failure(problem):
                read.report(problem.message, at: node)
            }
        }
        if let node = fields["allow"], let networks = readAllow(node) { http.allow = networks }
        return http
    }

    // MARK: lines

    mutating func readLines(_ node: Node) -> [ReadLine]? {
        guard let items = read.list(node) else { return nil }
        if items.isEmpty { read.report("no lines (a map needs at least one line)", at: node) }
        var lines: [ReadLine] = []
        for item in items {
            guard let fields = read.fields(of: item, allowed: Self.lineKeys) else { continue }
            var line = ReadLine()
            if let node = read.required("name", in: fields), let name = read.string(node) {
                line.name = name
                line.namePosition = Position(node)
            }
            if let node = read.required("endpoint", in: fields), let text = read.string(node) {
                do throws(EndpointError) {
                    line.endpoint = try Endpoint(parsing: text)
                    line.endpointPosition = Position(node)
                } catch {
                    read.report(error.description, at: node)
                }
            }
            // An invalid value is reported and the default kept: the map is not built anyway.
            if let node = fields["timeout"], let value = read.duration(node, what: "timeout") {
                line.timeout = value
            }
            if let node = fields["retries"], let value = read.integer(node, in: Self.retries, what: "retries") {
                line.retries = value
            }
            lines.append(line)
        }
        return lines
    }

    // MARK: meters

    mutating func readMeters(_ node: Node, lines: [ReadLine]?) -> [ReadMeter] {
        guard let items = read.list(node) else { return [] }
        if items.isEmpty { read.report("no meters (a map needs at least one meter)", at: node) }
        var meters: [ReadMeter] = []
        for item in items {
            guard let fields = read.fields(of: item, allowed: Self.meterKeys) else { continue }
            meters.append(readMeter(fields, lines: lines))
        }
        return meters
    }

    private mutating func readMeter(_ fields: Fields, lines: [ReadLine]?) -> ReadMeter {
        var meter = ReadMeter(position: Position(fields.node))
        if let node = read.required("name", in: fields), let name = read.string(node) {
            meter.name = name
            meter.namePosition = Position(node)
        }
        if let node = fields["line"] {
            meter.lineNode = node
            meter.line = read.string(node)
        } else if let lines, lines.count == 1 {
            // With one line, `line:` may be left out.
            meter.line = lines[0].name
        } else {
            _ = read.required("line", in: fields)
        }
        if let node = read.required("address", in: fields),
            let address = read.integer(node, in: 0...255, what: "address")
        {
            meter.address = UInt8(address)
            meter.addressPosition = Position(node)
        }
        if let node = fields["unit_id"] {
            meter.unitIDs = readUnitIDs(node)
        } else if let address = meter.address, let position = meter.addressPosition {
            // unit_id defaults to the meter's address.
            meter.unitIDs = [UnitIDUse(id: address, position: position, fromAddress: true)]
        }
        if let node = fields["poll_interval"] {
            meter.pollInterval = read.duration(node, what: "poll_interval")
        } else {
            meter.pollInterval = MeterConfig.defaultPollInterval
        }
        if let node = fields["stale_after"] {
            meter.staleAfterNode = node
            meter.staleAfter = read.duration(node, what: "stale_after")
        }
        if let node = fields["comma_address"], let text = read.string(node) {
            meter.commaAddress = CommaAddress(parsing: text)
            if meter.commaAddress == nil {
                read.report(
                    "comma_address '\(text)' must be 0x2FA (where the protocol lists comma) or 0x2E8 (the six-byte hole before diam)",
                    at: node)
            }
        }
        if let node = fields["config_interval"] {
            meter.configInterval = read.duration(node, what: "config_interval")
        }
        if let node = fields["on_stale"] { meter.onStale = readStalePolicy(node) ?? .exception }
        if let node = read.required("registers", in: fields) {
            meter.list = readRegisterReference(node)
        }
        readPlacement(fields, into: &meter)
        return meter
    }

    /// `unit_id: 3` or `unit_id: [3, 4]`. Ids 0...255 are accepted: 0 and 255 are legal on
    /// Modbus TCP, though unusual (some clients use them for "the gateway itself").
    private mutating func readUnitIDs(_ node: Node) -> [UnitIDUse] {
        var items = [node]
        if case let .sequence(list) = node {
            items = Array(list)
            if items.isEmpty {
                read.report("unit_id: [] names no unit id (give a number or a list of them)", at: node)
            }
        }
        var ids: [UnitIDUse] = []
        for item in items {
            guard let id = read.integer(item, in: 0...255, what: "unit id") else { continue }
            if ids.contains(where: { $0.id == id }) {
                read.report("unit id \(id) is listed twice", at: item)
                continue
            }
            ids.append(UnitIDUse(id: UInt8(id), position: Position(item), fromAddress: false))
        }
        return ids
    }

    /// `registers: NAME` (a register set) or an inline list; the index into `lists`.
    private mutating func readRegisterReference(_ node: Node) -> Int? {
        switch node {
        case .sequence:
            return readEntryList(node, setName: nil)
        case let .scalar(scalar) where !NodeReader.isNull(scalar):
            let name = scalar.string
            if let index = setIndex[name] { return index }
            if setsReadable {
                let hint =
                    setIndex.isEmpty
                    ? " (the file has no register_sets)" : Suggestion.hint(for: name, in: setIndex.keys.sorted())
                read.report("unknown register set '\(name)'\(hint)", at: node)
            }
            return nil
        default:
            read.report("expected a register set name or a list of entries, got \(NodeReader.describe(node))", at: node)
            return nil
        }
    }

    // MARK: build

    private func build(server: ServerConfiguration, lines: [ReadLine], meters: [ReadMeter]) -> Mapping? {
        var built = Mapping(server: server, lines: [], meters: [])
        for line in lines {
            guard let name = line.name, let endpoint = line.endpoint else { return nil }
            built.lines.append(LineConfig(name: name, endpoint: endpoint, timeout: line.timeout, retries: line.retries))
        }
        for meter in meters {
            guard let name = meter.name, let line = meter.line, let address = meter.address,
                let list = meter.list
            else { return nil }
            guard let pollInterval = meter.pollInterval, let configInterval = meter.configInterval else { return nil }
            var config = MeterConfig(
                name: name, line: line, address: address, unitIDs: meter.unitIDs.map(\.id),
                pollInterval: pollInterval, staleAfter: meter.staleAfter,
                registers: lists[list].entries.compactMap(\.entry), onStale: meter.onStale,
                commaAddress: meter.commaAddress, configInterval: configInterval)
            place(&config, as: meter)
            built.meters.append(config)
        }
        return built
    }
}

// MARK: - What the reader keeps of each part

/// A line as read: name and endpoint nil when missing or invalid.
struct ReadLine {
    var name: String?
    var namePosition = Position.start
    var endpoint: Endpoint?
    var endpointPosition = Position.start
    var timeout = LineConfig.defaultTimeout
    var retries = LineConfig.defaultRetries
}

/// One unit id of a meter and where it was written (the address, when it defaults to it).
struct UnitIDUse {
    var id: UInt8
    var position: Position
    var fromAddress: Bool
}

/// A meter as read: each part nil when missing or invalid.
struct ReadMeter {
    var position: Position
    var name: String?
    var namePosition = Position.start
    var line: String?
    var lineNode: Node?
    var address: UInt8?
    var addressPosition: Position?
    var unitIDs: [UnitIDUse] = []
    /// The default when not given, nil when invalid.
    var pollInterval: Duration?
    /// Nil when not given (the default follows `pollInterval`) or invalid.
    var staleAfter: Duration?
    var staleAfterNode: Node?
    /// Nil when not given (detect) or invalid.
    var commaAddress: CommaAddress?
    /// The default when not given, nil when invalid.
    var configInterval: Duration? = MeterConfig.defaultConfigInterval
    var onStale = StalePolicy.exception
    /// Index into `MappingReader.lists`.
    var list: Int?
    /// `register_offset` (0 when not given or invalid) and where it was written.
    var registerOffset = 0
    var registerOffsetPosition: Position?
    /// Index into `MappingReader.listeners` (`listen:`; 0 when not given or unknown).
    var listener = 0
}

/// A register entry as read, with what the overlap check needs even when it has problems.
struct ReadEntry {
    var position: Position
    /// How messages name the entry: the value name as written, `raw 0x0200 f32`, or its position.
    var label: String
    /// The registers it occupies, when its address and type are valid.
    var range: ClosedRange<Int>?
    /// Nil when the entry has a problem.
    var entry: RegisterEntry?
}

/// A register set or a meter's inline list.
struct ReadList {
    var setName: String?
    var position: Position
    var entries: [ReadEntry] = []
}
