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

    init(_ image: UnitImage) {
        let count = UInt32(image.registers.count)
        let start = UInt32(image.start)
        // No coils or discrete inputs: FC01/FC02 never reach modbus_reply anyway.
        guard let mapping = modbus_mapping_new_start_address(0, 0, 0, 0, start, count, start, count) else {
            fatalError("out of memory building the Modbus register table of unit \(image.unitID) (\(count) registers)")
        }
        if count > 0 {
            image.registers.withUnsafeBufferPointer { values in
                mapping.pointee.tab_registers.update(from: values.baseAddress!, count: values.count)
                mapping.pointee.tab_input_registers.update(from: values.baseAddress!, count: values.count)
            }
        }
        self.image = image
        self.mapping = mapping
    }

    deinit { modbus_mapping_free(mapping) }
}
