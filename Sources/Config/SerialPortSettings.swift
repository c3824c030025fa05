/// A serial port as a Modbus RTU port is written: `serial:///dev/ttyS1?baud=19200&parity=even&stop=1`.
///
/// The same `serial://` syntax as a meter line's endpoint (parsed by the same code), with the
/// framing options a Modbus RTU bus needs: 8 data bits always, `parity` none/even/odd and `stop`
/// 1 or 2. The Modbus RTU default is 8E1 at 19200 baud.
public struct SerialPortSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Parity: String, Sendable, CaseIterable {
        case none, even, odd

        /// The parity libmodbus's letter (N, E or O) stands for.
        public init?(letter: Character) {
            guard let parity = Self.allCases.first(where: { $0.letter == letter }) else { return nil }
            self = parity
        }

        /// libmodbus's letter: N, E or O.
        public var letter: Character {
            switch self {
            case .none: "N"
            case .even: "E"
            case .odd: "O"
            }
        }
    }

    /// The baud rates accepted for a Modbus RTU port.
    public static let baudRange = 1200...115_200

    public var path: String
    public var baud: Int
    public var parity: Parity
    public var stopBits: Int

    public init(path: String, baud: Int = 19200, parity: Parity = .even, stopBits: Int = 1) {
        self.path = path
        self.baud = baud
        self.parity = parity
        self.stopBits = stopBits
    }

    /// Parses `serial:///dev/PORT` with the options `baud` (1200…115200, default 19200),
    /// `parity` (none, even, odd; default even) and `stop` (1 or 2; default 1).
    public init(parsing text: String) throws(EndpointError) {
        func fail(_ why: String) -> EndpointError { EndpointError(text: text, reason: why) }
        let (scheme, rest, query) = try Endpoint.components(of: text)
        guard scheme == "serial" else { throw fail("a Modbus RTU port is serial:///dev/PORT, not \(scheme)://") }
        guard rest.hasPrefix("/"), rest.count > 1 else { throw fail("expected serial:///dev/PORT") }
        self.init(path: rest)
        for (key, value) in query.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "baud":
                guard let b = Int(value), Self.baudRange.contains(b) else {
                    throw fail("baud \(value) is out of range 1200...115200")
                }
                baud = b
            case "parity":
                guard let p = Parity(rawValue: value) else { throw fail("parity '\(value)' is not none, even or odd") }
                parity = p
            case "stop":
                guard value == "1" || value == "2" else { throw fail("stop bits '\(value)' must be 1 or 2") }
                stopBits = value == "1" ? 1 : 2
            default:
                throw fail("unknown option '\(key)' (an RTU port takes baud, parity and stop)")
            }
        }
    }

    /// `serial:///dev/ttyS1?baud=19200&parity=even&stop=1`.
    public var description: String { "serial://\(path)?baud=\(baud)&parity=\(parity.rawValue)&stop=\(stopBits)" }

    /// `19200 8E1`.
    public var framing: String { "\(baud) 8\(parity.letter)\(stopBits)" }
}
