import Bridge

/// `/api/status?page=N&per_page=M&online=true|false`: which meters one answer holds, so a plant of
/// thousands of meters is read a page at a time (or only its stale meters). Without parameters
/// every meter is given, as before paging existed.
struct StatusQuery: Equatable {
    /// 1-based; nil: every meter on one page.
    var page: Int?
    var perPage: Int
    /// Only meters whose data is fresh (true) or not (false); nil: all.
    var online: Bool?

    static let defaultPerPage = 100
    static let maxPerPage = 1000
    static let all = StatusQuery(page: nil, perPage: defaultPerPage, online: nil)

    /// The query from the request's parameters, or a one-line reason it is refused.
    static func parse(_ parameters: [(key: String, value: String)]) -> Result<StatusQuery, StatusQueryError> {
        var query = StatusQuery.all
        for (key, value) in parameters {
            switch key {
            case "page":
                guard let page = Int(value), page >= 1 else { return .failure(.init("page must be a whole number ≥ 1")) }
                query.page = page
            case "per_page":
                guard let perPage = Int(value), (1...maxPerPage).contains(perPage) else {
                    return .failure(.init("per_page must be 1...\(maxPerPage)"))
                }
                query.perPage = perPage
                if query.page == nil { query.page = 1 }
            case "online":
                guard let online = ["true": true, "1": true, "false": false, "0": false][value] else {
                    return .failure(.init("online must be true or false"))
                }
                query.online = online
            default:
                return .failure(.init("unknown parameter '\(key)' (use page, per_page, online)"))
            }
        }
        return .success(query)
    }

    /// The meters of the answer: filtered by `online`, then the page's slice.
    func select(_ meters: [BridgeStatus.Meter]) -> (meters: ArraySlice<BridgeStatus.Meter>, matching: Int) {
        let matching = online.map { wanted in meters.filter { $0.online == wanted } } ?? meters
        guard let page else { return (matching[...], matching.count) }
        let first = min(matching.count, (page - 1) * perPage)
        return (matching[first..<min(matching.count, first + perPage)], matching.count)
    }
}

/// A refused `/api/status` query, answered 400 with `{"error": message}`.
struct StatusQueryError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// `summary` of `/api/status`: the whole plant in numbers, whatever page is asked for.
struct StatusSummary: Encodable, Equatable {
    let meters: Int
    let online: Int
    let stale: Int
    let lines: Int

    init(_ status: BridgeStatus) {
        meters = status.meters.count
        online = status.meters.reduce(0) { $0 + ($1.online ? 1 : 0) }
        stale = meters - online
        lines = status.lines.count
    }
}

/// `paging` of `/api/status` when a page was asked for.
struct StatusPaging: Encodable, Equatable {
    let page: Int
    let perPage: Int
    /// Pages of `per_page` meters among those matching (at least 1).
    let pages: Int
    /// Meters matching the query (all, or those with the `online` asked for).
    let matching: Int

    enum CodingKeys: String, CodingKey {
        case page, pages, matching
        case perPage = "per_page"
    }
}
