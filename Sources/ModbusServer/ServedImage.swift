import CModbus

/// A `UnitImage` together with the libmodbus register tables `modbus_reply` answers from, built
/// once when the image is published and freed with it.
///
/// `@unchecked Sendable` because `mapping` is written only in `init` and then only read: the
/// server calls `modbus_reply` solely for FC03/FC04, which copy out of the register tables and
/// never write them, so any number of connection threads may answer from one instance at once.
final class ServedImage: @unchecked Sendable {
    /// The unit's image: its one part, or for a unit shared by several meters (`register_offset`)
    /// their registers side by side (gaps 0), marked always fresh, with the lowest part's identity
    /// (freshness is decided per part: `Answer.init(to:served:inputRegisters:now:)`).
    let image: UnitImage
    /// The images answering for the unit, by start address, spans apart.
    let parts: [UnitImage]
    /// Holding and input register tables, both starting at `image.start` with the image's values.
    let mapping: UnsafeMutablePointer<modbus_mapping_t>
    /// The same tables from `image.staleRegisters` (`on_stale: nan`), else nil.
    let staleMapping: UnsafeMutablePointer<modbus_mapping_t>?

    convenience init(_ image: UnitImage) { self.init(parts: [image]) }

    /// - Precondition: `parts` is not empty, sorted by start, spans apart.
    init(parts: [UnitImage]) {
        self.parts = parts
        let image = parts.count == 1 ? parts[0] : Self.combined(parts)
        self.image = image
        self.mapping = Self.tables(image.registers, of: image)
        self.staleMapping = image.staleRegisters.map { Self.tables($0, of: image) }
    }

    /// One image over the span of `parts`, their registers in place, gaps 0 and not meter-derived.
    private static func combined(_ parts: [UnitImage]) -> UnitImage {
        let start = Int(parts[0].start)
        let end = parts.map { Int($0.start) + $0.registers.count }.max() ?? start
        var registers = [UInt16](repeating: 0, count: end - start)
        var derived = [Bool](repeating: false, count: end - start)
        var stale: [UInt16]? = parts.contains { $0.staleRegisters != nil } ? registers : nil
        for part in parts {
            let range = (Int(part.start) - start)..<(Int(part.start) - start + part.registers.count)
            registers.replaceSubrange(range, with: part.registers)
            derived.replaceSubrange(range, with: part.meterDerived)
            stale?.replaceSubrange(range, with: part.staleRegisters ?? part.registers)
        }
        return UnitImage(
            unitID: parts[0].unitID, start: UInt16(start), registers: registers, meterDerived: derived, validUntil: .max,
            staleRegisters: stale, identity: parts.lazy.compactMap(\.identity).first)
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
