import Config
import JSONOutput
import Platform

/// The body of a `<topic>/<meter>/state` message:
/// `{"quality":0,"time":"2026-11-30T04:30:00Z","values":{"energy.1":1234.5,"temperature.1":71.25}}`,
/// `quality` being the meter's `status.quality` bits as of the poll.
/// Keys sorted, numbers written so that they read back as exactly the same `Double`;
/// non-finite numbers (JSON has none) are left out.
public struct StatePayload: Sendable, Equatable, Encodable {
    /// When it was polled, Unix seconds (`WallClock.seconds()`); written as ISO 8601 UTC.
    public var time: Int
    public var values: [String: Double]
    public var quality: UInt16

    public init(time: Int, values: [(name: String, value: Double)], quality: UInt16 = 0) {
        self.time = time
        self.quality = quality
        var finite: [String: Double] = [:]
        for (name, value) in values where value.isFinite && finite[name] == nil { finite[name] = value }
        self.values = finite
    }

    private enum CodingKeys: String, CodingKey { case quality, time, values }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(quality, forKey: .quality)
        try container.encode(Timestamp.iso8601(seconds: time), forKey: .time)
        try container.encode(values, forKey: .values)
    }

    /// The JSON bytes.
    public var json: [UInt8] {
        // Encoding can only fail for non-finite numbers, which `init` leaves out.
        Array(JSONText.document(self).utf8)
    }
}
