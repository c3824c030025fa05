/// One entry of the mapping's `server.rtu` list: a serial port served as a Modbus RTU slave.
public struct RTUPortConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The device, e.g. `/dev/ttyS1`.
    public var path: String
    public var baud: Int
    /// libmodbus's parity letter: `N`, `E` or `O`.
    public var parity: Character
    /// 1 or 2.
    public var stopBits: Int
    /// The unit ids answered on this port; nil answers every unit the bridge serves.
    public var unitIDs: [UInt8]?
    /// Switch the port into the kernel's RS-485 mode (TIOCSRS485) when opening it.
    public var rs485: Bool

    public init(
        path: String, baud: Int = 19200, parity: Character = "E", stopBits: Int = 1, unitIDs: [UInt8]? = nil,
        rs485: Bool = false
    ) {
        self.path = path
        self.baud = baud
        self.parity = parity
        self.stopBits = stopBits
        self.unitIDs = unitIDs
        self.rs485 = rs485
    }

    /// Whether a request for `unitID` is answered here (broadcast, unit 0, never is).
    public func serves(_ unitID: UInt8) -> Bool {
        unitID != 0 && (unitIDs?.contains(unitID) ?? true)
    }

    /// `/dev/ttyS1 (19200 8E1)`.
    public var description: String { "\(path) (\(baud) 8\(parity)\(stopBits))" }
}
