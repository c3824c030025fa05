/// One entry of the mapping's `server.rtu` list: a serial port served as a Modbus RTU slave.
public struct RTUPortConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The device and its framing, as the `port` URL gives them.
    public var serial: SerialPortSettings
    /// The unit ids answered on this port; nil answers every unit the bridge serves.
    public var unitIDs: [UInt8]?
    /// Switch the port into the kernel's RS-485 mode (TIOCSRS485) when opening it.
    public var rs485: Bool

    public init(_ serial: SerialPortSettings, unitIDs: [UInt8]? = nil, rs485: Bool = false) {
        self.serial = serial
        self.unitIDs = unitIDs
        self.rs485 = rs485
    }

    /// A port given field by field, `parity` as libmodbus's letter. Precondition: `parity` is
    /// `N`, `E` or `O`.
    public init(
        path: String, baud: Int = 19200, parity: Character = "E", stopBits: Int = 1, unitIDs: [UInt8]? = nil,
        rs485: Bool = false
    ) {
        guard let parity = SerialPortSettings.Parity(letter: parity) else {
            preconditionFailure("parity '\(parity)' is not N, E or O")
        }
        let serial = SerialPortSettings(path: path, baud: baud, parity: parity, stopBits: stopBits)
        self.init(serial, unitIDs: unitIDs, rs485: rs485)
    }

    /// The device, e.g. `/dev/ttyS1`.
    public var path: String { serial.path }

    /// Whether a request for `unitID` is answered here (broadcast, unit 0, never is).
    public func serves(_ unitID: UInt8) -> Bool {
        unitID != 0 && (unitIDs?.contains(unitID) ?? true)
    }

    /// `/dev/ttyS1 (19200 8E1)`.
    public var description: String { "\(path) (\(serial.baud) 8\(serial.parity.letter)\(serial.stopBits))" }
}
