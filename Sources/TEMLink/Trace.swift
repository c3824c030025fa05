import Config
import Glibc
import Platform
import TEMProtocol

/// A line-by-line record of the bytes on a meter line, for `--trace`: it replaces a serial
/// monitor. Each line is the local time, the direction, the endpoint and the bytes:
///
///     14:15:33.120 -> tcp://10.0.0.5:4001 55 01 FE 0F 01 03 02 00 1C 7A
///     14:15:33.161 <- tcp://10.0.0.5:4001 AA 01 FE 0F 01 1C …
///     14:15:34.162 -- tcp://10.0.0.5:4001 meter 1: read T2K 0x0200 ×28: attempt 1 failed: no reply within 1s
///
/// Received bytes are traced as they arrive, noise and echo included, so one reply may take
/// several `<-` lines. Safe to share between threads: each line is handed to the sink whole.
public final class Trace: Sendable {
    private let sink: @Sendable (String) -> Void

    /// A trace handing each line (without a newline) to `sink`.
    public init(sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// A trace writing to standard error, one `write` per line.
    public convenience init() {
        self.init { line in
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// Records bytes sent (`->`).
    public func sent(_ bytes: [UInt8], on endpoint: Endpoint) {
        emit("->", endpoint, hexDump(bytes))
    }

    /// Records bytes received (`<-`).
    public func received(_ bytes: [UInt8], on endpoint: Endpoint) {
        emit("<-", endpoint, hexDump(bytes))
    }

    /// Records an event between frames (`--`): a failed attempt, a reconnect.
    public func note(_ text: String, on endpoint: Endpoint) {
        emit("--", endpoint, text)
    }

    private func emit(_ direction: String, _ endpoint: Endpoint, _ text: String) {
        sink("\(Self.timestamp()) \(direction) \(endpoint) \(text)")
    }

    /// The local wall-clock time as `HH:MM:SS.mmm`.
    static func timestamp() -> String { Timestamp.localTimeOfDay(nanoseconds: WallClock.nanoseconds()) }
}
