import Config
import TEMProtocol

extension ReadPlanner {
    /// Tiered polling's plans for a meter's map (`ReadPlanner.tiered`), with `comma` read at
    /// `comma`: every mapped value, raw entries and, when an archive value is mapped, the archive
    /// pointers. Raw entries and pointers count as configuration only when they lie inside a
    /// configuration value's bytes (`FLASH_TYPE`).
    public static func tiered(for config: MeterConfig, comma: CommaAddress, archivePointers: Bool = false) -> TieredReadPlan {
        var values: [ValueDefinition] = []
        var extra: [ClosedRange<UInt16>] = []
        var archive = false
        for entry in config.registers {
            switch entry.source {
            case let .value(definition):
                values.append(definition)
                if case .archive = definition.source { archive = true }
            case let .raw(t2k, type):
                extra.append(t2k...(t2k + UInt16(type.size) - 1))
            }
        }
        if archive || archivePointers { extra += ArchivePointers.t2kRanges }
        // The serial number, for Read Device Identification (object 0x80): configuration.
        extra.append(T2KMap.serialNumber...(T2KMap.serialNumber + UInt16(FieldType.u32.size) - 1))
        // time.powered, read every poll whatever the map says: when it goes backwards the meter
        // was reset or replaced, and its configuration is read again before anything is served.
        values.append(ValueCatalog.definition(named: "time.powered")!)
        return tiered(values: values, extraRanges: extra, comma: comma)
    }
}
