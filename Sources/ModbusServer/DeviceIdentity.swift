/// What Read Device Identification (FC 43 / MEI 14) tells about one unit's meter, taken from the
/// bridge's last good poll and carried in the unit's immutable image, so the identity a client
/// reads always belongs to the registers it reads.
public struct DeviceIdentity: Sendable, Equatable {
    /// The meter's identify reply as ASCII (`TEMC106`).
    public var modelName: String
    /// The meter's factory serial number.
    public var serialNumber: UInt32
    /// The meter's TEM-106 network address on its line.
    public var networkAddress: UInt8

    public init(modelName: String, serialNumber: UInt32, networkAddress: UInt8) {
        self.modelName = modelName
        self.serialNumber = serialNumber
        self.networkAddress = networkAddress
    }
}
