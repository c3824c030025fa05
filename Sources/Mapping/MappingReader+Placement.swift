import Config
import Yams

/// Where each meter is served: `server.listen` as one address or a list, the meters' `listen:`
/// and `register_offset`, and the check that meters sharing a unit id on one listener do not
/// overlap.
extension MappingReader {
    /// `listen: HOST:PORT` or a list of them (each listener with unit ids of its own).
    mutating func readListen(_ node: Node, into server: inout ServerConfiguration) {
        var items = [node]
        if case .sequence = node {
            guard let list = read.list(node) else { return }
            if list.isEmpty { read.report("listen: [] names no address (give HOST:PORT or a list of them)", at: node) }
            items = list
        }
        var read: [(listener: ServerConfiguration.Listener, position: Position)] = []
        for item in items {
            guard let text = self.read.string(item) else { continue }
            switch ListenAddress.parse(text) {
            case let .success((host, port)):
                let listener = ServerConfiguration.Listener(host: host, port: port)
                if port != 0, let earlier = read.first(where: { $0.listener == listener }) {
                    self.read.report(
                        "listen address \(text) is already listed at \(earlier.position.line):\(earlier.position.column)",
                        at: item)
                } else {
                    read.append((listener, Position(item)))
                }
            case let .failure(problem):
                self.read.report(problem.message, at: item)
            }
        }
        guard let first = read.first else { return }
        server.host = first.listener.host
        server.port = first.listener.port
        server.moreListeners = read.dropFirst().map(\.listener)
        listeners = server.listeners
    }

    /// A meter's `register_offset` and `listen`.
    mutating func readPlacement(_ fields: Fields, into meter: inout ReadMeter) {
        if let node = fields["register_offset"], let offset = read.integer(node, in: 0...65535, what: "register_offset") {
            meter.registerOffset = offset
            meter.registerOffsetPosition = Position(node)
        }
        if let node = fields["listen"], let text = read.string(node) {
            switch ListenAddress.parse(text) {
            case let .success((host, port)):
                if let index = listeners.firstIndex(of: ServerConfiguration.Listener(host: host, port: port)) {
                    meter.listener = index
                } else {
                    let known = listeners.map(\.description).joined(separator: ", ")
                    read.report("listen \(text) is not one of server.listen (\(known))", at: node)
                }
            case let .failure(problem):
                read.report(problem.message, at: node)
            }
        }
    }

    /// Moves a built meter's registers up by its offset and sets its listener.
    func place(_ config: inout MeterConfig, as meter: ReadMeter) {
        config.registerOffset = meter.registerOffset
        config.listener = meter.listener
        guard meter.registerOffset != 0 else { return }
        for index in config.registers.indices {
            config.registers[index].address += UInt16(meter.registerOffset)
        }
    }

    /// The registers a meter occupies on its unit ids (its lowest to its highest, offset
    /// included); nil when its list has no placed entry.
    func span(of meter: ReadMeter) -> ClosedRange<Int>? {
        guard let list = meter.list else { return nil }
        let ranges = lists[list].entries.compactMap(\.range)
        guard let low = ranges.map(\.lowerBound).min(), let high = ranges.map(\.upperBound).max() else { return nil }
        return (low + meter.registerOffset)...(high + meter.registerOffset)
    }

    /// On one listener, a unit id is one meter's, or several meters' whose spans (lowest to
    /// highest register, `register_offset` added) do not overlap; no span runs past 65535.
    mutating func checkUnitSharing(_ meters: [ReadMeter]) {
        struct Holder {
            var label: String
            var span: ClosedRange<Int>?
            var offset: Int
        }
        var holders: [Int: [UInt8: [Holder]]] = [:]
        for meter in meters {
            let span = span(of: meter)
            if let span, span.upperBound > 65535, let position = meter.registerOffsetPosition {
                read.report(
                    "register_offset \(meter.registerOffset) puts the meter's registers at \(span.lowerBound)..\(span.upperBound), past 65535",
                    at: position)
                continue
            }
            for use in meter.unitIDs {
                let others = holders[meter.listener]?[use.id] ?? []
                if let other = others.first(where: { Self.collide($0.span, span) }) {
                    read.report(
                        Self.sharingProblem(
                            id: use.id, owner: other.label, fromAddress: use.fromAddress,
                            spans: (other.span, other.offset, span, meter.registerOffset)),
                        at: use.position)
                } else {
                    holders[meter.listener, default: [:]][use.id, default: []].append(
                        Holder(label: Self.label(meter), span: span, offset: meter.registerOffset))
                }
            }
        }
    }

    /// Spans that overlap; a meter whose span is unknown (its list has problems) collides with
    /// every other, as it did before offsets existed.
    private static func collide(_ a: ClosedRange<Int>?, _ b: ClosedRange<Int>?) -> Bool {
        guard let a, let b else { return true }
        return a.overlaps(b)
    }

    private static func sharingProblem(
        id: UInt8, owner: String, fromAddress: Bool,
        spans: (first: ClosedRange<Int>?, firstOffset: Int, second: ClosedRange<Int>?, secondOffset: Int)
    ) -> String {
        var text = "unit id \(id) is already used by \(owner)"
        if fromAddress { text += " (unit_id defaults to the meter's address; give one)" }
        if let first = spans.first, let second = spans.second, spans.firstOffset != 0 || spans.secondOffset != 0 {
            text +=
                " at registers \(first.lowerBound)..\(first.upperBound); this meter's \(second.lowerBound)..\(second.upperBound) overlap them (choose a register_offset that keeps them apart)"
        }
        return text
    }

    static func label(_ meter: ReadMeter) -> String {
        meter.name.map { "meter '\($0)'" } ?? "the meter at \(meter.position.line):\(meter.position.column)"
    }
}
