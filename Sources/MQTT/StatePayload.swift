import Config
import Foundation

/// The body of a `<topic>/<meter>/state` message:
/// `{"quality":0,"time":"2026-11-30T04:30:00Z","values":{"energy.1":1234.5,"temperature.1":71.25}}`,
/// `quality` being the meter's `status.quality` bits as of the poll.
/// Keys sorted, numbers written so that they read back as exactly the same `Double`;
/// non-finite numbers (JSON has none) are left out.
public struct StatePayload: Sendable, Equatable, Encodable {
    public var time: Date
    public var values: [String: Double]
    public var quality: UInt16

    public init(time: Date, values: [(name: String, value: Double)], quality: UInt16 = 0) {
        self.time = time
        self.quality = quality
        var finite: [String: Double] = [:]
        for (name, value) in values where value.isFinite && finite[name] == nil { finite[name] = value }
        self.values = finite
    }

    /// The JSON bytes.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding can only fail for non-finite numbers, which `init` leaves out.
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}
