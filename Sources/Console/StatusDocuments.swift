import Bridge
import Foundation
import Platform
import TEMProtocol

/// `/api/status`: the JSON document, field names as docs/CONSOLE.md gives them.
struct StatusDocument: Encodable {
    struct Meter: Encodable {
        let name: String
        let line: String
        let address: Int
        let unitIDs: [Int]
        let online: Bool
        /// Encoded as `null` before the first good poll.
        let ageSeconds: Double?
        let pollsOK: Int
        let pollsFailed: Int
        let lastError: String?
        /// `status.quality` and the names of its bits set, in bit order.
        let quality: Int
        let qualityFlags: [String]
        let values: [String: Double]
        /// Missing archive periods by kind, from the archive store; `null` without one.
        let gaps: [String: Int]?

        enum CodingKeys: String, CodingKey {
            case name, line, address, online, values, gaps
            case unitIDs = "unit_ids", ageSeconds = "age_seconds", pollsOK = "polls_ok", pollsFailed = "polls_failed"
            case lastError = "last_error"
            case quality, qualityFlags = "quality_flags"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(line, forKey: .line)
            try c.encode(address, forKey: .address)
            try c.encode(unitIDs, forKey: .unitIDs)
            try c.encode(online, forKey: .online)
            try c.encode(ageSeconds, forKey: .ageSeconds)  // null, not absent
            try c.encode(pollsOK, forKey: .pollsOK)
            try c.encode(pollsFailed, forKey: .pollsFailed)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(quality, forKey: .quality)
            try c.encode(qualityFlags, forKey: .qualityFlags)
            try c.encode(values, forKey: .values)
            try c.encode(gaps, forKey: .gaps)  // null, not absent
        }
    }

    struct Line: Encodable {
        let name: String
        let endpoint: String
        let exchangesOK: Int
        let exchangesFailed: Int

        enum CodingKeys: String, CodingKey {
            case name, endpoint
            case exchangesOK = "exchanges_ok", exchangesFailed = "exchanges_failed"
        }
    }

    struct Modbus: Encodable {
        let connections: Int
        let requests: Int
    }

    let version: String
    let started: String
    let meters: [Meter]
    let lines: [Line]
    let modbus: Modbus
    let summary: StatusSummary
    /// Absent unless a page was asked for (StatusPaging.swift).
    let paging: StatusPaging?

    /// `gaps`: missing archive periods by meter and kind (nil: no archive store). `query` picks
    /// the meters given (and then only their lines); `summary` counts them all.
    init(_ status: BridgeStatus, version: String, gaps: [String: [String: Int]]? = nil, query: StatusQuery = .all) {
        self.version = version
        started = Timestamp.iso8601(nanoseconds: Int64(status.started * 1e9))
        let (selected, matching) = query.select(status.meters)
        summary = StatusSummary(status)
        paging = query.page.map {
            StatusPaging(
                page: $0, perPage: query.perPage, pages: max(1, (matching + query.perPage - 1) / query.perPage),
                matching: matching)
        }
        meters = selected.map { meter in
            Meter(
                name: meter.name, line: meter.line, address: Int(meter.address), unitIDs: meter.unitIDs.map(Int.init),
                online: meter.online, ageSeconds: meter.ageSeconds, pollsOK: meter.pollsOK, pollsFailed: meter.pollsFailed,
                lastError: meter.lastError, quality: Int(meter.quality.rawValue), qualityFlags: meter.quality.names,
                values: Dictionary(meter.values.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
                gaps: gaps.map { $0[meter.name] ?? [:] })
        }
        let lineNames = query == .all ? nil : Set(selected.map(\.line))
        lines = status.lines.filter { lineNames?.contains($0.name) ?? true }.map {
            Line(name: $0.name, endpoint: $0.endpoint, exchangesOK: $0.exchangesOK, exchangesFailed: $0.exchangesFailed)
        }
        modbus = Modbus(connections: status.modbus.connections, requests: status.modbus.totalRequests)
    }
}

/// `/health`: ok when every meter is fresh, else degraded with the stale meters' names.
struct HealthDocument: Encodable, Equatable {
    let status: String
    let stale: [String]?

    init(staleMeters: [String]) {
        status = staleMeters.isEmpty ? "ok" : "degraded"
        stale = staleMeters.isEmpty ? nil : staleMeters
    }

    /// 200 when ok, 503 when degraded.
    var httpStatus: Int { stale == nil ? 200 : 503 }
}
