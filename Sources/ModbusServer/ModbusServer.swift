// ModbusServer: the Modbus TCP server — the only code that touches libmodbus (`CModbus`). It
// owns every `modbus_t` and `modbus_mapping_t`, frames requests itself (RequestReader.swift),
// answers reads from immutable register images (RegisterStore.swift, UnitImage.swift) and
// gives exceptions 01/02/03/0A/0B. The only writes it takes are to archive window cursor
// registers, decided per connection (ArchiveWindowSession.swift) and looked up by an
// `ArchiveWindowService` that lives outside this module.
//
// It must not import TEMProtocol, TEMLink, the mapping or the bridge: it serves registers and
// knows nothing of meters. Sockets, threads and clocks come from Platform.
