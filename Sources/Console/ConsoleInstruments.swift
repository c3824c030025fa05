import Bridge
import Metrics
import Prometheus
import Synchronization
import TEMLink

/// What the console collects while the bridge runs, made before the bridge so that its line
/// monitors can feed it: the Prometheus registry (exchange counts and durations arrive as they
/// happen, through swift-metrics) and the trace hub the `/api/trace` streams read.
public final class ConsoleInstruments: Sendable {
    let registry = PrometheusCollectorRegistry()
    let trace = TraceHub()
    private let factory: PrometheusMetricsFactory
    /// Per line: the exchange counters by outcome and the duration timer, made on first use.
    private let lines = Mutex<[String: LineInstruments]>([:])

    struct LineInstruments: Sendable {
        let exchanges: [Metrics.Counter]
        let duration: Metrics.Timer
    }

    /// Exchange durations: 5 ms … 10 s (one T2K read at 9600 baud takes about 100 ms).
    static let exchangeBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ["tembridge_line_exchange_seconds": Self.exchangeBuckets]
        self.factory = factory
    }

    /// The observers to give the bridge's line monitors.
    public var observers: LineMonitor.Observers {
        LineMonitor.Observers(
            exchange: { [self] line, outcome, nanoseconds in
                let instruments = self.instruments(of: line)
                instruments.exchanges[outcome.rawValue].increment()
                instruments.duration.recordNanoseconds(Int64(clamping: nanoseconds))
            },
            frame: { [trace] line, frame in trace.publish(line: line, frame: frame) })
    }

    /// Makes `line`'s exchange series (at zero) so that /metrics shows every line from the start.
    func prepare(line: String) {
        _ = instruments(of: line)
    }

    private func instruments(of line: String) -> LineInstruments {
        lines.withLock { lines in
            if let made = lines[line] { return made }
            let made = LineInstruments(
                exchanges: LineMonitor.Outcome.allCases.map {
                    Metrics.Counter(
                        label: "tembridge_line_exchanges_total", dimensions: [("line", line), ("result", $0.label)],
                        factory: factory)
                },
                duration: Metrics.Timer(
                    label: "tembridge_line_exchange_seconds", dimensions: [("line", line)], factory: factory))
            lines[line] = made
            return made
        }
    }
}
