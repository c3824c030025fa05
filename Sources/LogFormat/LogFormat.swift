// LogFormat: the one log line tembridge writes, `TIMESTAMP LEVEL message` on stderr, as a
// swift-log `LogHandler` (LineLogHandler.swift). Only the executable installs it; libraries log
// through `Logger` and never see it.
//
// It must not import any other tembridge module.
