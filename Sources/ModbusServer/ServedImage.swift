import CModbus

/// A `UnitImage` together with the libmodbus register tables `modbus_reply` answers from, built
/// once when the image is published and freed with it.
///
/// `@unchecked Sendable` because `mapping` is written only in `init` and then only read: the
/// server calls `modbus_reply` solely for FC03/FC04, which copy out of the register tables and
/// never write them, so any number of connection threads may answer from one instance at once.
final class ServedImage: @unchecked Sendable {
    let image: UnitImage
    /// Holding and input register tables, both starting at `image.start` with the image's values.
    let mapping: UnsafeMutablePointer<modbus_mapping_t>
    /// The same tables from `image.staleRegisters` (`on_stale: nan`), else nil.
    let staleMapping: UnsafeMutablePointer<modbus_mapping_t>?

    init(_ image: UnitImage) {
        self.image = image
        self.mapping = Self.tables(image.registers, of: image)
        self.staleMapping = image.staleRegisters.map { Self.tables($0, of: image) }
    }

    private static func tables(_ registers: [UInt16], of image: UnitImage) -> UnsafeMutablePointer<modbus_mapping_t> {
        let count = UInt32(registers.count)
        let start = UInt32(image.start)
        // No coils or discrete inputs: FC01/FC02 never reach modbus_reply anyway.
        guard let mapping = modbus_mapping_new_start_address(0, 0, 0, 0, start, count, start, count) else {
            fatalError("out of memory building the Modbus register table of unit \(image.unitID) (\(count) registers)")
        }
        if count > 0 {
            registers.withUnsafeBufferPointer { values in
                mapping.pointee.tab_registers.update(from: values.baseAddress!, count: values.count)
                mapping.pointee.tab_input_registers.update(from: values.baseAddress!, count: values.count)
            }
        }
        return mapping
    }

    /// The tables `answer` replies from: the stale ones for `.replyStale`, else the image's.
    func tables(for answer: Answer) -> UnsafeMutablePointer<modbus_mapping_t> {
        answer == .replyStale ? (staleMapping ?? mapping) : mapping
    }

    deinit {
        modbus_mapping_free(mapping)
        if let staleMapping { modbus_mapping_free(staleMapping) }
    }
}
