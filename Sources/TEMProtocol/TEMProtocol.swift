// TEMProtocol: the meter's protocol as pure values — frames and their checksum
// (Frame.swift, Checksum.swift), the resynchronising reply parser (ReplyParser.swift), commands,
// the T2K memory map and the value catalog (T2KMap.swift, ValueCatalog.swift: one table read by
// the decoder, the planner, `registers` and the docs), the read planner and tiered plans, the
// BCD clock, archive records (ArchiveRecordLayout.swift: one table of record fields), Flash
// layouts and pointers, where `comma` lives (CommaLocation.swift) and plausibility checks.
//
// It must not import anything of tembridge, nor do any I/O: every function here is testable
// on bytes alone, and the fuzzer runs it.
