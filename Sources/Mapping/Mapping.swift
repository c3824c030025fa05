// Mapping: reading a mapping file — the YAML parser keeping line:column (MappingParser.swift,
// NodeReader.swift), every check with FILE:LINE:COL (MappingReader.swift, MappingChecks.swift,
// the section readers), and the register table export (RegisterTable.swift). The values it
// produces live in Config.
//
// It must not import libmodbus, the Modbus server, TEMLink, Platform or the bridge: `check` and
// the fuzzer link only values and YAML.
