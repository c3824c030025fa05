// TEMSimulator: our fixture, a simulated TEM-106 line — meters whose memory moves with a
// heating process, archive rings, fault injection, control commands, served in-process
// (`sim://`), over TCP like a converter, on a pseudo-terminal, or frozen from a dump image.
//
// It must not import the bridge, the Modbus server or the mapping; only the executable (and
// tests) link it: it is never part of the gateway's polling path unless `sim://` is asked for.
