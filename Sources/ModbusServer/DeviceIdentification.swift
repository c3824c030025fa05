/// Read Device Identification (function 0x2B, MEI type 0x0E), Modbus Application Protocol 1.1b3
/// §6.21, answered by tembridge itself (libmodbus 3.1.6 does not). Pure: request PDU in,
/// response PDU or exception out; the transports add their own header (MBAP, or slave id + CRC
/// by libmodbus).
///
/// Objects: 0x00 VendorName `tembridge`, 0x01 ProductCode `TEM-106`, 0x02 MajorMinorRevision
/// (tembridge's version) — the basic ones, always; 0x04 ProductName `TEM-106 heat meter`, 0x05
/// ModelName (the meter's identify reply) — regular; 0x80 serial number (decimal), 0x81 network
/// address (decimal) — extended. A unit whose meter has not been read yet has the basic ones only.
enum DeviceIdentification {
    static let function: UInt8 = 0x2B
    static let meiType: UInt8 = 0x0E
    /// Extended identification level, stream and individual access.
    static let conformityLevel: UInt8 = 0x83
    /// tembridge's version, served as object 0x02.
    static let revision = "1.14"
    /// Bytes left for objects in one response: the 253-byte PDU less its 7-byte header.
    static let objectRoom = 253 - 7

    /// What to send back.
    enum Outcome: Equatable {
        /// The response PDU, function code first.
        case response([UInt8])
        case exception(ModbusException)
    }

    /// The objects a unit has, in id order.
    static func objects(_ identity: DeviceIdentity?) -> [(id: UInt8, value: [UInt8])] {
        var objects: [(UInt8, String)] = [(0x00, "tembridge"), (0x01, "TEM-106"), (0x02, revision)]
        if let identity {
            let model = String(decoding: identity.modelName.utf8.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            objects += [
                (0x04, "TEM-106 heat meter"), (0x05, model),
                (0x80, String(identity.serialNumber)), (0x81, String(identity.networkAddress)),
            ]
        }
        return objects.map { ($0.0, Array($0.1.utf8.prefix(objectRoom - 2))) }
    }

    /// Answers the request PDU `pdu` (function code, MEI type, read device id code, object id)
    /// for a unit with `identity` (nil: its meter has not been read yet).
    ///
    /// - wrong length → 03; MEI type other than 0x0E → 01; read code outside 01…04 → 03;
    /// - 04 (one object) for an object the unit does not have → 02;
    /// - 01/02/03 (basic/regular/extended stream) from the object id asked for, or from the
    ///   first object if the unit has no such object; as many objects as fit in `room` bytes,
    ///   with "more follows" 0xFF and the next object id when some do not.
    static func answer(_ pdu: [UInt8], identity: DeviceIdentity?, room: Int = objectRoom) -> Outcome {
        guard pdu.count >= 2, pdu[1] == meiType else { return .exception(.illegalFunction) }
        guard pdu.count == 4 else { return .exception(.illegalDataValue) }
        let code = pdu[2]
        let objectID = pdu[3]
        let all = objects(identity)
        var header: [UInt8] = [function, meiType, code, conformityLevel]
        switch code {
        case 0x04:
            guard let object = all.first(where: { $0.id == objectID }) else { return .exception(.illegalDataAddress) }
            header += [0x00, 0x00, 1, object.id, UInt8(object.value.count)]
            return .response(header + object.value)
        case 0x01, 0x02, 0x03:
            let last: UInt8 = code == 0x01 ? 0x02 : code == 0x02 ? 0x7F : 0xFF
            let category = all.filter { $0.id <= last }
            var index = category.firstIndex { $0.id == objectID } ?? 0
            var body: [UInt8] = []
            var count: UInt8 = 0
            while index < category.count, body.count + 2 + category[index].value.count <= room {
                body += [category[index].id, UInt8(category[index].value.count)] + category[index].value
                count += 1
                index += 1
            }
            let more = index < category.count
            header += [more ? 0xFF : 0x00, more ? category[index].id : 0x00, count]
            return .response(header + body)
        default:
            return .exception(.illegalDataValue)
        }
    }
}
