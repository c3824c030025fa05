import CModbus
import Config

/// The fields of a Modbus TCP request the server decides on, read from one framed ADU: the
/// 7-byte MBAP header (transaction id, protocol id, length, unit id), then the PDU (function
/// code, for FC03/FC04 the start address and quantity).
struct Request: Equatable {
    static let readHoldingRegisters: UInt8 = 0x03
    static let readInputRegisters: UInt8 = 0x04

    let unitID: UInt8
    let function: UInt8
    /// First register asked for (FC03/FC04; 0 for other functions).
    let address: UInt16
    /// Number of registers asked for (FC03/FC04; 0 for other functions).
    let quantity: UInt16

    /// What the bytes at the front of a connection's stream hold.
    enum Framing: Equatable {
        /// A whole request of this many bytes (more may follow it).
        case complete(Int)
        /// The start of a request (or nothing yet): wait for more bytes.
        case incomplete
        /// Not a Modbus TCP request: the MBAP length is below 2 (unit id + function code) or
        /// above 254 (the longest ADU is 260 bytes), or an FC03/FC04 is shorter than its
        /// 5-byte PDU.
        case invalid
    }

    /// Frames the request at the front of `bytes` by the MBAP length field, which counts the
    /// unit id and the PDU. Bytes a known function does not need (an FC03 announcing 8 PDU
    /// bytes) are part of the frame and ignored; so is the protocol id, as libmodbus does.
    static func framing(_ bytes: UnsafeBufferPointer<UInt8>) -> Framing {
        guard bytes.count >= 6 else { return .incomplete }
        let length = Int(bytes[4]) << 8 | Int(bytes[5])
        guard (2...Int(MODBUS_TCP_MAX_ADU_LENGTH) - 6).contains(length) else { return .invalid }
        guard bytes.count >= 6 + length else { return .incomplete }
        let function = bytes[7]
        if function == readHoldingRegisters || function == readInputRegisters, length < 6 { return .invalid }
        return .complete(6 + length)
    }

    /// Reads the fields from one request framed by `framing`.
    init(_ frame: UnsafeBufferPointer<UInt8>) {
        unitID = frame[6]
        function = frame[7]
        if function == Self.readHoldingRegisters || function == Self.readInputRegisters, frame.count >= 12 {
            address = UInt16(frame[8]) << 8 | UInt16(frame[9])
            quantity = UInt16(frame[10]) << 8 | UInt16(frame[11])
        } else {
            address = 0
            quantity = 0
        }
    }

    init(unitID: UInt8, function: UInt8, address: UInt16 = 0, quantity: UInt16 = 0) {
        self.unitID = unitID
        self.function = function
        self.address = address
        self.quantity = quantity
    }
}

/// The Modbus exception codes this server answers with.
enum ModbusException: UInt8 {
    case illegalFunction = 0x01
    case illegalDataAddress = 0x02
    case illegalDataValue = 0x03
    case gatewayPathUnavailable = 0x0A
    case gatewayTargetFailedToRespond = 0x0B
}

/// What to answer a request with.
enum Answer: Equatable {
    /// `modbus_reply` from the unit's image; libmodbus itself answers exception 02 for a range
    /// reaching outside the image's span.
    case reply
    /// `modbus_reply` from the unit's stale registers (`on_stale: nan`: NaN / 0 for meter data).
    case replyStale
    case exception(ModbusException)

    /// Decides the answer to `request` given the image of its unit (nil if none), whether FC04
    /// is served, and the monotonic time `now`:
    ///
    /// - no image → 0A;
    /// - FC03, or FC04 when `inputRegisters`, for a quantity outside 1...125 → 03 (decided here:
    ///   libmodbus would also drop whatever the client sent after the request);
    /// - such a read of a range inside the span that touches a meter-derived register while the
    ///   image is not fresh → per the unit's `StalePolicy`: 0B (`exception`, and `last_value`
    ///   before the meter was ever read), the last values (`last_value`) or the stale registers
    ///   (`nan`); a range touching an integer register whose value is NaN (`unavailable`) → 0B
    ///   (except from the stale registers of `nan`, where integers are 0 by that policy); any
    ///   other → a reply (an out-of-span range gets libmodbus's 02 whatever the freshness);
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
        if !(1...125).contains(request.quantity) {
            self = .exception(.illegalDataValue)
        } else if !image.isFresh(at: now), Self.touchesMeterData(request, image) {
            switch image.onStale {
            case .exception: self = .exception(.gatewayTargetFailedToRespond)
            case .lastValue:
                self =
                    image.validUntil == nil || Self.touches(request, image.unavailable, from: image.start)
                    ? .exception(.gatewayTargetFailedToRespond) : .reply
            case .nan: self = .replyStale
            }
        } else if Self.touches(request, image.unavailable, from: image.start) {
            self = .exception(.gatewayTargetFailedToRespond)
        } else {
            self = .reply
        }
    }

    /// Decides the answer for a unit that may be shared by several images (`register_offset`):
    /// as `init(to:image:inputRegisters:now:)` for the whole unit, then each part the request
    /// touches decides for its own registers by its own freshness and `on_stale`; the first
    /// exception wins, else the stale registers if any part wants them.
    init(to request: Request, served: ServedImage?, inputRegisters: Bool, now: UInt64) {
        self.init(to: request, image: served?.image, inputRegisters: inputRegisters, now: now)
        // A range outside the unit's span gets libmodbus's 02 whatever the freshness, as for one meter.
        guard let served, served.parts.count > 1, self == .reply, served.image.spans(request) else { return }
        let end = Int(request.address) + Int(request.quantity)
        for part in served.parts {
            let low = max(Int(request.address), Int(part.start))
            let high = min(end, Int(part.start) + part.registers.count)
            guard low < high else { continue }
            let clipped = Request(
                unitID: request.unitID, function: request.function, address: UInt16(low), quantity: UInt16(high - low))
            switch Answer(to: clipped, image: part, inputRegisters: inputRegisters, now: now) {
            case .exception(let exception):
                self = .exception(exception)
                return
            case .replyStale: self = .replyStale
            case .reply: break
            }
        }
    }

    private static func touchesMeterData(_ request: Request, _ image: UnitImage) -> Bool {
        touches(request, image.meterDerived, from: image.start)
    }

    /// Whether `request`'s range, inside the span starting at `start`, covers a register marked
    /// true in `marks` (nil: none is).
    private static func touches(_ request: Request, _ marks: [Bool]?, from start: UInt16) -> Bool {
        guard let marks else { return false }
        let first = Int(request.address) - Int(start)
        let end = first + Int(request.quantity)
        guard first >= 0, end <= marks.count else { return false }
        return marks[first..<end].contains(true)
    }
}

extension UnitImage {
    /// Whether `request`'s register range lies inside this image's span (else libmodbus answers 02).
    func spans(_ request: Request) -> Bool {
        request.address >= start && Int(request.address) + Int(request.quantity) <= Int(start) + registers.count
    }
}
