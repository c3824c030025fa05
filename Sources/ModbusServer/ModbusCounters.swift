import Synchronization

/// What the server has done, counted for the operations console: requests by function code and
/// answer, and clients refused. Counting is one relaxed atomic increment per request, so it
/// costs the request path nothing measurable; readers (a metrics scrape) load the cells.
public final class ModbusCounters: Sendable {
    /// The answers a request is counted under, in `exceptionLabels` order.
    public static let exceptionLabels = ["none", "01", "02", "03", "0A", "0B"]

    /// One cell per function code (0...255) × answer.
    private let requests: [Cell]
    private let refusedNotAllowed = Atomic<Int>(0)
    private let refusedTooMany = Atomic<Int>(0)

    final class Cell: Sendable {
        let value = Atomic<Int>(0)
    }

    public init() {
        requests = (0..<(256 * Self.exceptionLabels.count)).map { _ in Cell() }
    }

    /// Counts one answered request: `exception` nil for a normal answer.
    func countRequest(function: UInt8, exception: UInt8?) {
        let column: Int =
            switch exception {
            case nil: 0
            case 0x01: 1
            case 0x02: 2
            case 0x03: 3
            case 0x0A: 4
            default: 5
            }
        requests[Int(function) * Self.exceptionLabels.count + column].value.wrappingAdd(1, ordering: .relaxed)
    }

    func countRefusal(_ reason: ModbusTCPServer.Refusal.Reason) {
        switch reason {
        case .notAllowed: refusedNotAllowed.wrappingAdd(1, ordering: .relaxed)
        case .tooMany: refusedTooMany.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// One nonzero request count: the function code and the answer label (`none`, `01`, …).
    public struct RequestCount: Sendable, Equatable {
        public let function: UInt8
        public let exception: String
        public let count: Int
    }

    /// Every nonzero request count, by function code then answer.
    public var requestCounts: [RequestCount] {
        var out: [RequestCount] = []
        for (index, cell) in requests.enumerated() {
            let count = cell.value.load(ordering: .relaxed)
            guard count > 0 else { continue }
            let (function, column) = index.quotientAndRemainder(dividingBy: Self.exceptionLabels.count)
            out.append(RequestCount(function: UInt8(function), exception: Self.exceptionLabels[column], count: count))
        }
        return out
    }

    /// Requests answered so far, all functions and answers.
    public var totalRequests: Int { requestCounts.reduce(0) { $0 + $1.count } }

    /// Clients closed at once: outside `allow`, and over `max_connections`.
    public var refused: (allow: Int, maxConnections: Int) {
        (refusedNotAllowed.load(ordering: .relaxed), refusedTooMany.load(ordering: .relaxed))
    }
}
