// Config: what a mapping file says, as plain values — the checked `Mapping` with its lines,
// meters and register entries, `Endpoint`, `ListenAddress`, `IPv4Network`, the server settings
// and the duration grammar (DurationText.swift). Values only: no I/O, no parsing of files (that
// is the Mapping module), no libmodbus.
//
// It may import TEMProtocol (register entries name its values) and nothing else of tembridge;
// Platform, TEMLink, ModbusServer, Mapping and Bridge build on it, never the other way round.
