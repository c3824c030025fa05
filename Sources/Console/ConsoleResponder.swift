import Bridge
import Config
import Hummingbird
import JSONOutput
import NIOCore
import Platform

/// Which page a request is for: decided from the method and path alone.
enum Route: Equatable {
    case page, metrics, health, status, registers, trace, history, report
    case notFound
    case methodNotAllowed

    static let paths: [String: Route] = [
        "/": .page, "/metrics": .metrics, "/health": .health, "/api/status": .status,
        "/api/registers.csv": .registers, "/api/trace": .trace, "/api/history": .history, "/api/report": .report,
    ]

    /// GET of a known path; any other method of a known path is 405 (the console is read-only);
    /// an unknown path is 404.
    init(method: String, path: String) {
        guard let route = Self.paths[path] else {
            self = .notFound
            return
        }
        self = method == "GET" ? route : .methodNotAllowed
    }
}

/// The request context: Hummingbird's basics plus the client's address, for `allow`.
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Answers every console request. Nothing here changes the bridge.
struct ConsoleResponder: HTTPResponder {
    typealias Context = ConsoleContext
    let bridge: Bridge
    let instruments: ConsoleInstruments
    let allow: HTTPConfiguration
    let version: String
    let exposition: MetricsExposition
    let archive = ArchiveStoreReader()

    init(bridge: Bridge, instruments: ConsoleInstruments, allow: HTTPConfiguration, version: String) {
        self.bridge = bridge
        self.instruments = instruments
        self.allow = allow
        self.version = version
        exposition = MetricsExposition(instruments: instruments)
    }

    func respond(to request: Request, context: ConsoleContext) async throws -> Response {
        guard Self.allowed(context.remoteAddress, by: allow) else {
            return text(.forbidden, "forbidden: this address is not in the console's allow list\n")
        }
        switch Route(method: request.method.rawValue, path: request.uri.path) {
        case .notFound:
            return text(.notFound, "not found\n")
        case .methodNotAllowed:
            var response = text(.methodNotAllowed, "method not allowed: the console is read-only (GET)\n")
            response.headers[.allow] = "GET"
            return response
        case .page:
            let status = bridge.status()
            let (gaps, charts) = await offloaded { [archive] in
                (archive.gapCounts(status.mapping), archive.chartRecords(status.mapping))
            }
            return body(page(status, gaps: gaps, charts: charts), type: "text/html; charset=utf-8")
        case .metrics:
            return body(exposition.render(bridge.status()), type: "text/plain; version=0.0.4; charset=utf-8")
        case .health:
            let health = HealthDocument(staleMeters: bridge.status().staleMeters)
            return body(JSONText.document(health), type: "application/json", status: .init(code: health.httpStatus))
        case .status:
            let parameters = request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
            let query: StatusQuery
            switch StatusQuery.parse(parameters) {
            case let .success(parsed): query = parsed
            case let .failure(error):
                return body(JSONText.document(["error": error.message]), type: "application/json", status: .badRequest)
            }
            let status = bridge.status()
            let gaps = await offloaded { [archive] in archive.gapCounts(status.mapping) }
            return body(
                JSONText.document(StatusDocument(status, version: version, gaps: gaps, query: query)),
                type: "application/json")
        case .registers:
            return body(RegisterTable.csv(bridge.status().mapping), type: "text/csv; charset=utf-8")
        case .trace:
            return trace()
        case .history:
            let mapping = bridge.status().mapping
            let parameters = request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
            let answer = await offloaded { [archive] in archive.history(parameters: parameters, mapping: mapping) }
            return body(answer.body, type: answer.type, status: .init(code: answer.status))
        case .report:
            let mapping = bridge.status().mapping
            let parameters = request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
            let answer = await offloaded { [archive] in archive.report(parameters: parameters, mapping: mapping) }
            return body(answer.body, type: answer.type, status: .init(code: answer.status))
        }
    }

    /// The status page with the current status, register table, recent frames and the first
    /// meters' chart records built in, so it shows everything at once (and to a browser that runs
    /// no script for long).
    private func page(_ status: BridgeStatus, gaps: [String: [String: Int]]?, charts: String?) -> String {
        var names = MeterNames(bridge: bridge)
        let frames = instruments.trace.recent.map { TraceHub.json($0) { names.name(line: $0, address: $1) } }
        let initial =
            "{\"status\":" + JSONText.document(StatusDocument(status, version: version, gaps: gaps)) + ",\"registers\":"
            + JSONText.document(RegisterTable.csv(status.mapping)) + ",\"trace\":[" + frames.joined(separator: ",") + "]"
            + (charts.map { ",\"history\":" + $0 } ?? "") + "}"
        // "</" cannot end the script element inside a JSON string written as "<\/".
        return StatusPage.html.replacing("/*INITIAL*/null", with: initial.replacing("</", with: "<\\/"))
    }

    /// `/api/trace`: one server-sent event per frame until the client goes or the server stops.
    private func trace() -> Response {
        guard let subscription = instruments.trace.subscribe() else {
            return text(.serviceUnavailable, "stopping\n")
        }
        let hub = instruments.trace
        let bridge = self.bridge
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            defer { hub.unsubscribe(subscription) }
            var iterator = subscription.stream.makeAsyncIterator()
            var names = MeterNames(bridge: bridge)
            try await writer.write(ByteBuffer(string: ": tembridge trace, one event per native frame\nretry: 2000\n\n"))
            while let item = await subscription.next(&iterator) {
                try await writer.write(ByteBuffer(string: TraceHub.sse(item) { names.name(line: $0, address: $1) }))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private func body(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        body(Array(text.utf8), type: type, status: status)
    }

    private func body(_ bytes: [UInt8], type: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        body(message, type: "text/plain; charset=utf-8", status: status)
    }

    /// Whether a client at `address` may use the console: IPv4 inside `allow` (anyone when there
    /// is no list; an IPv6 or unknown address only then).
    static func allowed(_ address: SocketAddress?, by configuration: HTTPConfiguration) -> Bool {
        guard configuration.allow != nil else { return true }
        guard case let .v4(v4) = address else { return false }
        return configuration.allows(UInt32(bigEndian: v4.address.sin_addr.s_addr))
    }
}

/// Meter names by line and address for the trace, re-read from the bridge when the map changes
/// (a name not found is looked up again, at most once a second).
struct MeterNames {
    let bridge: Bridge
    private var names: [String: String] = [:]
    private var lastLoad = MonotonicClock.Instant.now - .seconds(10)

    init(bridge: Bridge) {
        self.bridge = bridge
    }

    mutating func name(line: String, address: UInt8) -> String? {
        let key = "\(line)\u{0}\(address)"
        if let name = names[key] { return name }
        guard MonotonicClock.Instant.now - lastLoad > .seconds(1) else { return nil }
        lastLoad = .now
        names = [:]
        for meter in bridge.status().mapping.meters { names["\(meter.line)\u{0}\(meter.address)"] = meter.name }
        return names[key]
    }
}
