import CModbus

/// One connection's (or RTU port's) archive windows: what each window of each unit shows to
/// this master. Lives on the connection's thread and dies with it, so a closed connection's
/// cursors are gone.
///
/// Writes (FC06, FC16) to cursor registers are decided here and answered by `modbus_reply` from
/// a scratch table; a read (FC03/FC04) that touches a window's registers is answered from a
/// scratch table holding the unit's image with this connection's window registers over it.
struct ArchiveWindowSession {
    static let writeSingleRegister: UInt8 = 0x06
    static let writeMultipleRegisters: UInt8 = 0x10

    /// FC06 or FC16: the writes a window may take.
    static func isWrite(_ function: UInt8) -> Bool {
        function == writeSingleRegister || function == writeMultipleRegisters
    }

    private struct Key: Hashable {
        let unit: UInt8
        let window: Int
    }

    private var shown: [Key: [UInt16: UInt16]] = [:]
    /// The store's windows generation the cursors belong to: a reload forgets them.
    private var generation: UInt64 = 0

    /// What to do with a request.
    enum WriteAnswer {
        /// Not a write to a unit with a window: answer as always.
        case notHandled
        /// Answer with this exception.
        case exception(ModbusException)
        /// Accepted: answer with `modbus_reply` from this scratch table (it echoes the write).
        case reply(ScratchTables)
    }

    /// Decides a request whose PDU (function code first) is `pdu`, for `unit`.
    mutating func write(unit: UInt8, pdu: ArraySlice<UInt8>, store: RegisterStore) -> WriteAnswer {
        guard let function = pdu.first, Self.isWrite(function) else { return .notHandled }
        let (service, generation) = store.archiveWindows
        guard let service else { return .notHandled }
        forget(unless: generation)
        guard let (first, values) = Self.parse(pdu) else {
            // A malformed write to a unit with a window: 03, as libmodbus answers.
            return service.target(unit: unit, first: 0, count: 0) == .noWindow ? .notHandled : .exception(.illegalDataValue)
        }
        switch service.target(unit: unit, first: first, count: values.count) {
        case .noWindow:
            return .notHandled
        case .notWritable:
            return .exception(.illegalDataAddress)
        case .window(let window):
            let key = Key(unit: unit, window: window)
            switch service.write(values, at: first, unit: unit, window: window, shown: shown[key] ?? [:]) {
            case .invalidValue:
                return .exception(.illegalDataValue)
            case .accepted(let registers):
                shown[key] = registers
                return .reply(ScratchTables(start: first, values: values))
            }
        }
    }

    /// The tables to answer the read `request` from: `served`'s (as `answer` says), or a scratch
    /// copy of the requested range with this connection's window registers over it.
    func withTables(
        for request: Request, served: ServedImage, answer: Answer, store: RegisterStore,
        _ body: (UnsafeMutablePointer<modbus_mapping_t>) throws(ModbusServerError) -> Void
    ) throws(ModbusServerError) {
        let tables = served.tables(for: answer)
        guard !shown.isEmpty, served.image.spans(request), store.archiveWindows.generation == generation else {
            return try body(tables)
        }
        let range = request.address..<(request.address + request.quantity)
        var overlay: [(UInt16, UInt16)] = []
        for (key, registers) in shown where key.unit == request.unitID {
            for (address, value) in registers where range.contains(address) { overlay.append((address, value)) }
        }
        guard !overlay.isEmpty else { return try body(tables) }
        let offset = Int(request.address - served.image.start)
        let base = UnsafeBufferPointer(start: tables.pointee.tab_registers + offset, count: Int(request.quantity))
        var values = Array(base)
        for (address, value) in overlay { values[Int(address - request.address)] = value }
        let scratch = ScratchTables(start: request.address, values: values)
        try body(scratch.mapping)
    }

    /// Drops the cursors of an earlier mapping.
    private mutating func forget(unless current: UInt64) {
        if current != generation {
            shown = [:]
            generation = current
        }
    }

    /// The first register and the values of an FC06 or FC16 PDU; nil when it is malformed
    /// (FC16: quantity outside 1…123, or a byte count that does not match).
    static func parse(_ pdu: ArraySlice<UInt8>) -> (UInt16, [UInt16])? {
        let p = Array(pdu)
        guard p.count >= 5 else { return nil }
        let first = UInt16(p[1]) << 8 | UInt16(p[2])
        if p[0] == writeSingleRegister { return (first, [UInt16(p[3]) << 8 | UInt16(p[4])]) }
        guard p.count >= 6 else { return nil }
        let quantity = Int(p[3]) << 8 | Int(p[4])
        let bytes = Int(p[5])
        guard (1...123).contains(quantity), bytes == 2 * quantity, p.count >= 6 + bytes,
            Int(first) + quantity <= 65536
        else { return nil }
        return (first, (0..<quantity).map { UInt16(p[6 + 2 * $0]) << 8 | UInt16(p[7 + 2 * $0]) })
    }
}

/// A libmodbus register table for one answer, freed with it: holding and input registers from
/// `start`, holding `values`.
final class ScratchTables {
    let mapping: UnsafeMutablePointer<modbus_mapping_t>

    init(start: UInt16, values: [UInt16]) {
        let count = UInt32(values.count)
        guard let mapping = modbus_mapping_new_start_address(0, 0, 0, 0, UInt32(start), count, UInt32(start), count) else {
            fatalError("out of memory building a Modbus answer of \(count) registers")
        }
        values.withUnsafeBufferPointer { v in
            mapping.pointee.tab_registers.update(from: v.baseAddress!, count: v.count)
            mapping.pointee.tab_input_registers.update(from: v.baseAddress!, count: v.count)
        }
        self.mapping = mapping
    }

    deinit { modbus_mapping_free(mapping) }
}
