import Config
import Synchronization

/// One misbehaviour the simulated line can show, as real lines do.
///
/// Text forms (for `FaultCommand.parse` and the CLI): `silent`, `badChecksum`, `noise`, `echo`,
/// `delay=300ms`, `wrongAddress`, `dropConnection`, `refuseConnections`, `partial`, `restart`.
/// Case, `-` and `_` are ignored when parsing (`bad-checksum` works too).
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// The meter does not answer.
    case silent
    /// The reply's checksum byte is wrong.
    case badChecksum
    /// Random bytes (with stray `0xAA`) come before the reply.
    case noise
    /// The request comes back before the reply, as a two-wire RS-485 adapter echoes it.
    case echo
    /// The reply arrives this much later.
    case delay(Duration)
    /// The reply carries another address (header and checksum consistent).
    case wrongAddress
    /// TCP serving: the server closes the client's connection instead of replying. An in-process
    /// link's next read throws and the link must be reopened. A PTY stays silent.
    case dropConnection
    /// TCP serving: new connections are closed at once; `SimulatorLink.open` throws. Line-wide only.
    case refuseConnections
    /// The first half of the reply frame, then nothing.
    case partial
    /// One-shot: the meter restarts with a new serial number and zeroed integrators and time
    /// counters (its clock and archive survive). Consumed when the line next runs.
    case restart

    /// What a fault is, without its parameter: a line holds at most one fault of each kind.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case silent, badChecksum, noise, echo, delay, wrongAddress, dropConnection, refuseConnections, partial, restart
    }

    public var kind: Kind {
        switch self {
        case .silent: .silent
        case .badChecksum: .badChecksum
        case .noise: .noise
        case .echo: .echo
        case .delay: .delay
        case .wrongAddress: .wrongAddress
        case .dropConnection: .dropConnection
        case .refuseConnections: .refuseConnections
        case .partial: .partial
        case .restart: .restart
        }
    }

    /// One fault of each kind (a delay of zero for `.delay`).
    static let oneOfEachKind: [Fault] = [
        .silent, .badChecksum, .noise, .echo, .delay(.zero), .wrongAddress, .dropConnection, .refuseConnections, .partial,
        .restart,
    ]

    /// The fault of `kind` (`.delay(.zero)` for `.delay`).
    static func one(of kind: Kind) -> Fault { oneOfEachKind.first { $0.kind == kind }! }  // every kind is listed

    public var description: String {
        if case let .delay(duration) = self { return "delay=\(duration.mappingText)" }
        return kind.rawValue
    }
}

/// A change to the active faults, in the text form the CLI and control commands use:
/// `FAULT` or `FAULT@ADDRESS` adds a fault (replacing one of the same kind), `none` clears
/// every fault and `none@ADDRESS` those of one address.
public struct FaultCommand: Sendable, Hashable, CustomStringConvertible {
    /// The fault to add; nil means `none` (clear).
    public var fault: Fault?
    /// The one meter it applies to; nil means the whole line.
    public var address: UInt8?

    public init(fault: Fault?, address: UInt8? = nil) {
        self.fault = fault
        self.address = address
    }

    /// Parses `silent`, `delay=300ms`, `noise@2`, `none`, …; durations are `ms`, `s`, `m` or `h`.
    public static func parse(_ text: String) throws(FaultParseError) -> FaultCommand {
        let trimmed = text.trimmingSpaces
        func fail(_ why: String) -> FaultParseError { FaultParseError(text: text, reason: why) }
        var spec = Substring(trimmed), address: UInt8?
        if let at = trimmed.lastIndex(of: "@") {
            guard let a = UInt8(trimmed[trimmed.index(after: at)...]) else { throw fail("address must be 0...255") }
            address = a
            spec = trimmed[..<at]
        }
        let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].lowercased().filter { $0 != "-" && $0 != "_" }
        if name == "none" {
            guard parts.count == 1 else { throw fail("none takes no value") }
            return FaultCommand(fault: nil, address: address)
        }
        guard let kind = Fault.Kind.allCases.first(where: { $0.rawValue.lowercased() == name }) else {
            let names = ["none"] + Fault.Kind.allCases.map { $0 == .delay ? "delay=DURATION" : $0.rawValue }
            throw fail("unknown fault '\(parts[0])' (use \(names.joined(separator: ", ")))")
        }
        let fault: Fault
        switch kind {
        case .delay:
            guard parts.count == 2 else { throw fail("delay needs a duration: delay=300ms, delay=1.5s") }
            do {
                fault = .delay(try Duration(parsing: String(parts[1])))
            } catch {
                throw fail("delay needs a duration: \(error)")
            }
        default:
            guard parts.count == 1 else { throw fail("\(kind.rawValue) takes no value") }
            fault = Fault.one(of: kind)
        }
        if kind == .refuseConnections, address != nil { throw fail("refuseConnections applies to the whole line") }
        return FaultCommand(fault: fault, address: address)
    }

    public var description: String {
        (fault?.description ?? "none") + (address.map { "@\($0)" } ?? "")
    }
}

/// A fault text that does not parse.
public struct FaultParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid fault '\(text)': \(reason)" }
}

/// The faults active on a line: line-wide ones and per-address ones. A value: print it, compare it.
public struct Faults: Sendable, Hashable, CustomStringConvertible {
    /// Faults of the whole line, at most one per kind.
    public private(set) var lineWide: [Fault.Kind: Fault] = [:]
    /// Faults of single meters.
    public private(set) var perAddress: [UInt8: [Fault.Kind: Fault]] = [:]

    /// No faults.
    public static let none = Faults()

    public init() {}

    /// The faults a request to `address` meets: the line's, with the meter's own replacing a
    /// line-wide fault of the same kind. `nil` (a request that names no meter): line-wide only.
    public func active(at address: UInt8?) -> [Fault.Kind: Fault] {
        guard let address, let own = perAddress[address] else { return lineWide }
        return lineWide.merging(own) { _, own in own }
    }

    /// True when `kind` is active for `address`.
    public func contains(_ kind: Fault.Kind, at address: UInt8? = nil) -> Bool {
        active(at: address)[kind] != nil
    }

    /// Applies one change.
    public mutating func apply(_ command: FaultCommand) {
        switch (command.fault, command.address) {
        case (nil, nil): self = .none
        case let (nil, address?): perAddress[address] = nil
        case let (fault?, nil): lineWide[fault.kind] = fault
        case let (fault?, address?): perAddress[address, default: [:]][fault.kind] = fault
        }
    }

    /// Removes pending `restart`s and returns them: nil for none, `.all` for a line-wide one, else
    /// the addresses.
    mutating func takeRestarts() -> RestartTarget? {
        let all = lineWide.removeValue(forKey: .restart) != nil
        var addresses: [UInt8] = []
        for address in perAddress.keys.sorted() where perAddress[address]?[.restart] != nil {
            perAddress[address]?[.restart] = nil
            addresses.append(address)
        }
        perAddress = perAddress.filter { !$0.value.isEmpty }
        if all { return .all }
        return addresses.isEmpty ? nil : .addresses(addresses)
    }

    enum RestartTarget: Equatable { case all, addresses([UInt8]) }

    /// `none`, or the active faults as `FaultCommand` texts joined by `, `: `echo, silent@2`.
    public var description: String {
        func sorted(_ faults: [Fault.Kind: Fault]) -> [Fault] { faults.values.sorted { $0.description < $1.description } }
        let texts =
            sorted(lineWide).map(\.description)
            + perAddress.keys.sorted().flatMap { a in sorted(perAddress[a]!).map { "\($0)@\(a)" } }
        return texts.isEmpty ? "none" : texts.joined(separator: ", ")
    }
}

/// The active faults of one line, switchable from any thread (tests, the CLI's control input)
/// while the line serves.
public final class FaultSwitch: Sendable {
    private let faults: Mutex<Faults>

    public init(_ initial: Faults = .none) { faults = Mutex(initial) }

    /// A copy of the active faults.
    public var current: Faults { faults.withLock { $0 } }

    /// Applies one change.
    public func apply(_ command: FaultCommand) { faults.withLock { $0.apply(command) } }

    /// Parses and applies `text` (see `FaultCommand.parse`); returns the faults now active.
    @discardableResult
    public func apply(_ text: String) throws(FaultParseError) -> Faults {
        let command = try FaultCommand.parse(text)
        return faults.withLock {
            $0.apply(command); return $0
        }
    }

    /// Clears every fault.
    public func clear() { faults.withLock { $0 = .none } }

    func takeRestarts() -> Faults.RestartTarget? { faults.withLock { $0.takeRestarts() } }
}
