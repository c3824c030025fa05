import Config

/// The checks that span entries, meters and lines: names defined once, references that
/// resolve, unit ids and meter addresses used once, registers that do not overlap.
extension MappingReader {
    mutating func check(lines: [ReadLine]?, meters: [ReadMeter]) {
        let lineNames = checkLineNames(lines ?? [])
        checkEndpoints(lines ?? [])
        checkMeterNames(meters)
        if lines != nil { checkLineReferences(meters, lineNames: lineNames) }
        checkUnitSharing(meters)
        checkMeterAddresses(meters)
        checkStaleAfter(meters)
        checkOverlaps(meters)
        checkRTUPorts(lines ?? [], meters: meters)
    }

    /// The names of the lines, each reported if defined twice.
    private mutating func checkLineNames(_ lines: [ReadLine]) -> [String] {
        checkDefinedOnce(lines, what: "line", name: \.name, position: \.namePosition)
    }

    /// The names of `items` in order of first definition; a name defined again is reported at
    /// its second place, pointing back at the first.
    @discardableResult
    private mutating func checkDefinedOnce<Item>(
        _ items: [Item], what: String, name: (Item) -> String?, position: (Item) -> Position
    ) -> [String] {
        var first: [String: Position] = [:]
        var names: [String] = []
        for item in items {
            guard let name = name(item) else { continue }
            if let earlier = first[name] {
                read.report("\(what) '\(name)' is already defined at \(earlier.line):\(earlier.column)", at: position(item))
            } else {
                first[name] = position(item)
                names.append(name)
            }
        }
        return names
    }

    /// Two pollers on one bus would interleave their exchanges: a bus is one line.
    private mutating func checkEndpoints(_ lines: [ReadLine]) {
        var owners: [Endpoint: String] = [:]
        for line in lines {
            guard let endpoint = line.endpoint else { continue }
            if case .simulator = endpoint { continue }  // each sim:// line is its own simulator
            if let owner = owners[endpoint] {
                read.report(
                    "endpoint \(endpoint) is already used by line '\(owner)' (meters on one bus belong on one line)",
                    at: line.endpointPosition)
            } else {
                owners[endpoint] = line.name ?? "?"
            }
        }
    }

    private mutating func checkMeterNames(_ meters: [ReadMeter]) {
        checkDefinedOnce(meters, what: "meter", name: \.name, position: \.namePosition)
    }

    private mutating func checkLineReferences(_ meters: [ReadMeter], lineNames: [String]) {
        let known = Set(lineNames)
        for meter in meters {
            guard let name = meter.line, let node = meter.lineNode, !known.contains(name) else { continue }
            read.report("unknown line '\(name)'" + Suggestion.hint(for: name, in: lineNames), at: node)
        }
    }

    /// One TEM-106 network address per line.
    private mutating func checkMeterAddresses(_ meters: [ReadMeter]) {
        var owners: [String: [UInt8: String]] = [:]
        for meter in meters {
            guard let line = meter.line, let address = meter.address, let position = meter.addressPosition else { continue }
            if let owner = owners[line]?[address] {
                read.report("address \(address) on line '\(line)' is already used by \(owner)", at: position)
            } else {
                owners[line, default: [:]][address] = Self.label(meter)
            }
        }
    }

    private mutating func checkStaleAfter(_ meters: [ReadMeter]) {
        for meter in meters {
            guard let staleAfter = meter.staleAfter, let node = meter.staleAfterNode,
                let pollInterval = meter.pollInterval, staleAfter < pollInterval
            else { continue }
            read.report(
                "stale_after \(staleAfter.mappingText) is shorter than poll_interval \(pollInterval.mappingText)",
                at: node)
        }
    }

    /// Registers of one unit id never overlap. Each unit id belongs to one meter and each meter
    /// has one list, so it is enough to check each list once (a register set shared by several
    /// meters is reported once, naming all their unit ids).
    private mutating func checkOverlaps(_ meters: [ReadMeter]) {
        var unitIDs = [[UInt8]](repeating: [], count: lists.count)
        for meter in meters {
            if let list = meter.list { unitIDs[list] += meter.unitIDs.map(\.id) }
        }
        for (index, list) in lists.enumerated() {
            let ids = Set(unitIDs[index]).sorted()
            let suffix =
                switch ids.count {
                case 0: list.setName.map { " (register set '\($0)')" } ?? ""
                case 1: " (unit \(ids[0]))"
                default: " (units \(ids.map(String.init).joined(separator: ", ")))"
                }
            checkOverlaps(list.entries, suffix: suffix)
        }
    }

    /// A sweep by start address; `widest` is the entry reaching furthest so far. Of each
    /// overlapping pair, the later one in the file is reported, naming the earlier.
    private mutating func checkOverlaps(_ entries: [ReadEntry], suffix: String) {
        let placed = entries.indices
            .compactMap { index in entries[index].range.map { (index: index, range: $0) } }
            .sorted { ($0.range.lowerBound, $0.index) < ($1.range.lowerBound, $1.index) }
        var widest: (index: Int, range: ClosedRange<Int>)?
        for current in placed {
            if let held = widest, current.range.lowerBound <= held.range.upperBound {
                let (first, second) = held.index < current.index ? (held, current) : (current, held)
                let earlier = "\(entries[first.index].label) at \(Self.text(first.range))"
                read.report(
                    "register \(Self.text(second.range)) overlaps \(earlier)\(suffix)", at: entries[second.index].position)
            }
            if current.range.upperBound > widest?.range.upperBound ?? -1 { widest = current }
        }
    }

    private static func text(_ range: ClosedRange<Int>) -> String {
        range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)"
    }
}
