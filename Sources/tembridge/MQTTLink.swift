import Bridge
import Config
import Logging
import MQTT
import Mapping
import Synchronization

/// Connects the bridge's meter events to the MQTT publisher of the map's `mqtt` section (if
/// any), and applies a reloaded section: the bridge knows nothing of MQTT, the publisher
/// nothing of the bridge.
final class MQTTLink: Sendable {
    private let publisher: Mutex<MQTTPublisher?>
    private let logger = Logger(label: "tembridge.mqtt")

    /// Starts publishing when `mapping` has an `mqtt` section.
    init(mapping: Mapping) throws(MQTTSetupError) {
        let logger = self.logger
        publisher = Mutex(try mapping.mqtt.map { config throws(MQTTSetupError) in try Self.publisher(config, mapping, logger) })
    }

    /// The events to give the bridge.
    var events: MeterEvents {
        MeterEvents(
            polled: { [weak self] reading in
                self?.publisher.withLock { $0 }?.polled(
                    meter: reading.meter, serialNumber: reading.serialNumber, values: reading.values.map { ($0.name, $0.value) },
                    quality: reading.quality.rawValue)
            },
            availability: { [weak self] meter, online in
                self?.publisher.withLock { $0 }?.availability(meter: meter, online: online)
            })
    }

    /// Applies the `mqtt` section of a reloaded map; a section that cannot be set up is logged
    /// and publishing stops.
    func reload(_ mapping: Mapping) {
        let current = publisher.withLock { $0 }
        do throws(MQTTSetupError) {
            if let current {
                try current.reload(config: mapping.mqtt, meters: mapping.meters)
                if mapping.mqtt == nil { publisher.withLock { $0 = nil } }
            } else if let config = mapping.mqtt {
                let started = try Self.publisher(config, mapping, logger)
                publisher.withLock { $0 = started }
            }
        } catch {
            logger.error("reload: \(error); not publishing to MQTT")
            current?.stop()
            publisher.withLock { $0 = nil }
        }
    }

    func stop() {
        publisher.withLock { p in
            defer { p = nil }; return p
        }?.stop()
    }

    private static func publisher(_ config: MQTTConfig, _ mapping: Mapping, _ logger: Logger) throws(MQTTSetupError)
        -> MQTTPublisher
    {
        try MQTTPublisher(config: config, meters: mapping.meters, logger: logger)
    }
}
