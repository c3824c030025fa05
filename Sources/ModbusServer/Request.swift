/// The fields of a Modbus TCP request the server decides on, read from the ADU that
/// `modbus_receive` framed: the 7-byte MBAP header (transaction id, protocol id, length,
/// unit id), then the PDU (function code, for FC03/FC04 the start address and quantity).
struct Request: Equatable {
    static let mbapLength = 7
    static let readHoldingRegisters: UInt8 = 0x03
    static let readInputRegisters: UInt8 = 0x04

    let unitID: UInt8
    let function: UInt8
    /// First register asked for (FC03/FC04; 0 for other functions).
    let address: UInt16
    /// Number of registers asked for (FC03/FC04; 0 for other functions).
    let quantity: UInt16
    /// Bytes the MBAP length field announces beyond those libmodbus framed: libmodbus sizes a
    /// frame from its function code, so for a function it does not know (e.g. 0x2B) the rest of
    /// the PDU is still in the socket. Negative when the header announces fewer bytes than framed.
    let unframedBytes: Int

    /// Reads the fields from `bytes`, the `count` bytes of one framed ADU (count >= 8).
    init(_ bytes: UnsafePointer<UInt8>, count: Int) {
        unitID = bytes[6]
        function = bytes[7]
        if (function == Self.readHoldingRegisters || function == Self.readInputRegisters), count >= 12 {
            address = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
            quantity = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        } else {
            address = 0
            quantity = 0
        }
        // The MBAP length counts the unit id and the PDU, i.e. everything after byte 6.
        let announced = Int(bytes[4]) << 8 | Int(bytes[5])
        unframedBytes = announced - (count - 6)
    }

    init(unitID: UInt8, function: UInt8, address: UInt16 = 0, quantity: UInt16 = 0) {
        self.unitID = unitID
        self.function = function
        self.address = address
        self.quantity = quantity
        self.unframedBytes = 0
    }
}

/// The Modbus exception codes this server answers with.
enum ModbusException: UInt8 {
    case illegalFunction = 0x01
    case gatewayPathUnavailable = 0x0A
    case gatewayTargetFailedToRespond = 0x0B
}

/// What to answer a request with.
enum Answer: Equatable {
    /// `modbus_reply` from the unit's image; libmodbus itself answers exception 03 for a
    /// quantity outside 1...125 and 02 for a range reaching outside the image's span.
    case reply
    case exception(ModbusException)

    /// Decides the answer to `request` given the image of its unit (nil if none), whether FC04
    /// is served, and the monotonic time `now`:
    ///
    /// - no image → 0A;
    /// - FC03, or FC04 when `inputRegisters` → a reply, unless the range is well-formed, lies
    ///   inside the span, touches a meter-derived register and the image is not fresh → 0B
    ///   (a malformed or out-of-span range gets libmodbus's 03/02 whatever the freshness);
    /// - everything else (writes, FC04 when disabled, any other function) → 01.
    init(to request: Request, image: UnitImage?, inputRegisters: Bool, now: UInt64) {
        guard let image else {
            self = .exception(.gatewayPathUnavailable)
            return
        }
        switch request.function {
        case Request.readHoldingRegisters:
            break
        case Request.readInputRegisters where inputRegisters:
            break
        default:
            self = .exception(.illegalFunction)
            return
        }
        if !image.isFresh(at: now), Self.touchesMeterData(request, image) {
            self = .exception(.gatewayTargetFailedToRespond)
        } else {
            self = .reply
        }
    }

    private static func touchesMeterData(_ request: Request, _ image: UnitImage) -> Bool {
        let first = Int(request.address) - Int(image.start)
        let end = first + Int(request.quantity)
        guard (1...125).contains(request.quantity), first >= 0, end <= image.meterDerived.count else { return false }
        return image.meterDerived[first..<end].contains(true)
    }
}
