import Bridge
import Prometheus
import Synchronization
import TEMProtocol

/// `/metrics`: brings the families derived from the bridge's state up to date in the registry
/// (gauges set, counters set to the bridge's own counts), then emits the Prometheus text. Series
/// of meters a reload removed are unregistered. Scrapes are serialised; the request path of the
/// Modbus server is never involved (its counters are atomics read here).
final class MetricsExposition: Sendable {
    private let instruments: ConsoleInstruments
    /// Gauges and counters set at the last scrape, by name and labels, to unregister stale ones.
    private let previous = Mutex<Scrape>(Scrape())

    struct Scrape: Sendable {
        var gauges: [SeriesKey: Gauge] = [:]
        var counters: [SeriesKey: Counter] = [:]
    }

    struct SeriesKey: Hashable, Sendable {
        let name: String
        let labels: [String]
    }

    init(instruments: ConsoleInstruments) {
        self.instruments = instruments
    }

    /// The Prometheus text exposition for `status`.
    func render(_ status: BridgeStatus) -> String {
        previous.withLock { previous in
            let registry = instruments.registry
            var now = Scrape()
            func gauge(_ name: String, _ labels: [(String, String)], _ value: Double) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                let made = previous.gauges[key] ?? registry.makeGauge(name: name, labels: labels)
                made.set(value)
                now.gauges[key] = made
            }
            func counter(_ name: String, _ labels: [(String, String)], _ value: Int) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                let made = previous.counters[key] ?? registry.makeCounter(name: name, labels: labels)
                made.reset()
                made.increment(by: Int64(value))
                now.counters[key] = made
            }
            for meter in status.meters {
                let m = ("meter", meter.name)
                gauge("tembridge_meter_up", [m], meter.online ? 1 : 0)
                if let age = meter.ageSeconds { gauge("tembridge_meter_data_age_seconds", [m], age) }
                counter("tembridge_meter_polls_total", [m, ("result", "ok")], meter.pollsOK)
                counter("tembridge_meter_polls_total", [m, ("result", "failed")], meter.pollsFailed)
                for value in meter.values { gauge("tembridge_meter_value", [m, ("name", value.name)], value.value) }
                for (bit, name) in MeterQuality.named {
                    gauge("tembridge_meter_quality", [m, ("bit", name)], meter.quality.contains(bit) ? 1 : 0)
                }
            }
            for (meter, flags) in status.archiveFlagged {
                for (flag, count) in flags {
                    counter("tembridge_archive_records_flagged_total", [("meter", meter), ("flag", flag)], count)
                }
            }
            for line in status.lines { instruments.prepare(line: line.name) }
            gauge("tembridge_modbus_connections", [], Double(status.modbus.connections))
            for request in status.modbus.requests {
                counter(
                    "tembridge_modbus_requests_total",
                    [("function", hex(request.function, width: 2)), ("exception", request.exception)], request.count)
            }
            counter("tembridge_modbus_connections_refused_total", [("reason", "allow")], status.modbus.refusedNotAllowed)
            counter(
                "tembridge_modbus_connections_refused_total", [("reason", "max_connections")],
                status.modbus.refusedMaxConnections)
            counter("tembridge_reloads_total", [("result", "ok")], status.reloadsOK)
            counter("tembridge_reloads_total", [("result", "failed")], status.reloadsFailed)
            for (key, gone) in previous.gauges where now.gauges[key] == nil { registry.unregisterGauge(gone) }
            for (key, gone) in previous.counters where now.counters[key] == nil { registry.unregisterCounter(gone) }
            previous = now
            return registry.emitToString()
        }
    }
}
