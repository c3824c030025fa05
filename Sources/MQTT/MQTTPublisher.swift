import Config
import Foundation
import Logging
import Platform
import Synchronization

/// Publishes what the bridge polls to one broker (see docs/MAPPING.md, "`mqtt`"): each good
/// poll's values (at most once per interval), each meter's availability, the bridge's own
/// availability (`offline` as the last will), and Home Assistant discovery configs.
///
/// While the broker is away, messages wait in a bounded `OutgoingQueue`; on every connect the
/// queue is flushed and the current availability and state of every meter are republished.
/// Nothing here blocks the caller on the network: libmosquitto's loop thread does the I/O.
public final class MQTTPublisher: Sendable {
    /// libmosquitto's reconnection backoff: from 1 s, growing (1, 4, 9 s) up to 10 s.
    static let reconnectDelay = (minimum: 1, maximum: 10)
    static let keepalive = 30

    private let logger: Logger

    /// One connection to one broker, as configured.
    struct Session: Sendable {
        var config: MQTTConfig
        /// The password read from `password_file` when connecting (a reload compares it).
        var password: String?
        var clientID: String
        var topics: MQTTTopics
        var client: MosquittoClient
        var generation: Int
        /// Ends this session's waits (connection backoff, the restart after a TLS error) at once
        /// when it is closed.
        var closing: StopSignal
    }

    struct State: Sendable {
        var session: Session?
        var connected = false
        /// Refusals and libmosquitto problems said since the last connect: each is said once.
        var reported: Set<String> = []
        var wasConnected = false
        var queue = OutgoingQueue()
        var limiter: PublishLimiter
        var meters: [MeterConfig]
        /// Per meter: the latest state payload, availability and serial number.
        var latest: [String: [UInt8]] = [:]
        var online: [String: Bool] = [:]
        var serials: [String: UInt32] = [:]
        /// Discovery topics published with a config (so that a reload can clear the ones gone).
        var discovered: Set<String> = []
        var generation = 0
    }

    private let state: Mutex<State>

    /// Connects to the broker of `config` in the background; throws (one line) for what can be
    /// known at once: an unreadable password file, a TLS setup libmosquitto refuses.
    public init(
        config: MQTTConfig, meters: [MeterConfig], logger: Logger = Logger(label: "tembridge.mqtt")
    ) throws(MQTTSetupError) {
        self.logger = logger
        state = Mutex(State(limiter: PublishLimiter(interval: config.interval), meters: meters))
        try open(config)
    }

    // MARK: Events from the bridge

    /// A good poll of `meter`: publishes its state (with its `status.quality` bits) unless the
    /// interval has not passed.
    public func polled(meter: String, serialNumber: UInt32?, values: [(name: String, value: Double)], quality: UInt16 = 0) {
        let payload = StatePayload(time: WallClock.seconds(), values: values, quality: quality).json
        state.withLock { state in
            guard let session = state.session, state.meters.contains(where: { $0.name == meter }) else { return }
            state.latest[meter] = payload
            let firstSerial = serialNumber != nil && state.serials[meter] == nil
            if let serialNumber { state.serials[meter] = serialNumber }
            if firstSerial, state.connected { publishDiscovery(&state, session: session, meters: [meter]) }
            guard state.limiter.allow(meter, at: .now) else { return }
            send(&state, stateMessage(payload, meter, session))
        }
    }

    /// `meter`'s data became fresh (`online`) or stale.
    public func availability(meter: String, online: Bool) {
        state.withLock { state in
            guard let session = state.session, state.meters.contains(where: { $0.name == meter }) else { return }
            state.online[meter] = online
            send(&state, availabilityMessage(meter, online, session))
        }
    }

    /// A reloaded map: a changed connection (broker, client id, credentials, CA, topic, QoS, or
    /// the password in `password_file`) reconnects;
    /// meters and values gone have their discovery configs cleared (empty retained messages).
    /// With no `mqtt` section any more, the publisher disconnects.
    public func reload(config: MQTTConfig?, meters: [MeterConfig]) throws(MQTTSetupError) {
        // A password changed in the same file counts as a changed connection.
        let password = try config?.passwordFile.map { path throws(MQTTSetupError) in try Self.password(path) }
        let old = state.withLock { state -> Session? in
            let names = Set(meters.map(\.name))
            state.meters = meters
            state.limiter.interval = config?.interval
            state.limiter.keep(only: names)
            state.latest = state.latest.filter { names.contains($0.key) }
            state.online = state.online.filter { names.contains($0.key) }
            state.serials = state.serials.filter { names.contains($0.key) }
            guard let session = state.session else { return nil }
            // Clear what is no longer published, on the broker it was published to.
            let wanted = config?.homeAssistant == true ? Set(discoveryMessages(state, session: session).map(\.topic)) : []
            for topic in state.discovered.subtracting(wanted).sorted() {
                send(&state, OutgoingMessage(topic: topic, payload: [], retain: true, kind: .discovery))
            }
            state.discovered.formIntersection(wanted)
            guard let config, Self.sameConnection(config, session.config), password == session.password else {
                state.session = nil
                state.connected = false
                state.discovered = []
                return session
            }
            state.session?.config = config
            if config.homeAssistant, state.connected { publishDiscovery(&state, session: session, meters: nil) }
            return nil
        }
        if let old {
            logger.info("MQTT: disconnecting from \(old.config.broker) (the mqtt section changed)")
            close(old)
            if let config { try open(config) }
        }
    }

    /// Says `offline` for the bridge and disconnects (cleanly: the will is not sent).
    public func stop() {
        let session = state.withLock { state in
            defer { state.session = nil }
            return state.session
        }
        if let session { close(session) }
    }

    // MARK: Connection

    private static func sameConnection(_ a: MQTTConfig, _ b: MQTTConfig) -> Bool {
        // What a reload may change without reconnecting: retain, interval, home_assistant.
        var a = a
        (a.retain, a.interval, a.homeAssistant) = (b.retain, b.interval, b.homeAssistant)
        return a == b
    }

    private func open(_ config: MQTTConfig) throws(MQTTSetupError) {
        let clientID = config.clientID ?? "tembridge-\(ProcessInfo.processInfo.hostName)"
        let topics = MQTTTopics(prefix: config.topic, clientID: clientID)
        let generation = state.withLock {
            $0.generation += 1
            return $0.generation
        }
        let broker = config.broker
        let password = try config.passwordFile.map { path throws(MQTTSetupError) in try Self.password(path) }
        do throws(MosquittoError) {
            let events = MosquittoEvents(
                connected: { [weak self] code, text in self?.connected(generation, code: code, text: text) },
                disconnected: { [weak self] code, text in self?.disconnected(generation, code: code, text: text) },
                problem: { [weak self] text in self?.problem(generation, text) })
            let client = try MosquittoClient(clientID: clientID, events: events)
            if let username = config.username { try client.setCredentials(username: username, password: password) }
            if broker.tls { try client.setTLS(caFile: config.caFile) }
            try client.setWill(
                topic: topics.bridgeAvailability, payload: Array(Availability.offline.rawValue.utf8), qos: config.qos,
                retain: true)
            try client.setReconnectDelay(minimum: Self.reconnectDelay.minimum, maximum: Self.reconnectDelay.maximum)
            let closing = StopSignal()
            state.withLock {
                $0.session = Session(
                    config: config, password: password, clientID: clientID, topics: topics, client: client,
                    generation: generation, closing: closing)
                $0.connected = false
                $0.reported = []
                $0.wasConnected = false
            }
            logger.info("MQTT: publishing to \(broker) as \(clientID) under \(config.topic)/")
            // The first connection on a thread of its own: polling never waits for it, and
            // closing does not either (a connection being made is ended by its maker).
            guard
                PosixThread.detach(
                    stackSize: 512 * 1024,
                    { [weak self] in
                        self?.connect(client, to: broker, generation: generation, closing: closing)
                    })
            else { throw MosquittoError(operation: "start the connecting thread", code: 0, text: Errno.current.message) }
        } catch {
            state.withLock { $0.session = nil }
            throw MQTTSetupError(description: "MQTT broker \(broker): \(error)")
        }
    }

    private func close(_ session: Session) {
        session.closing.signal()
        try? session.client.publish(
            topic: session.topics.bridgeAvailability, payload: Array(Availability.offline.rawValue.utf8),
            qos: session.config.qos, retain: true)
        session.client.close()
    }

    /// Makes the first connection, retrying with libmosquitto's backoff until it succeeds or
    /// the client is closed; from then on libmosquitto's loop thread reconnects by itself.
    private func connect(_ client: MosquittoClient, to broker: MQTTBroker, generation: Int, closing: StopSignal) {
        var attempt = 0
        while !client.isClosed, !closing.isSignalled {
            do throws(MosquittoError) {
                _ = try client.connectAndStart(host: broker.host, port: broker.port, keepalive: Self.keepalive)
                return
            } catch {
                // Refused, unreachable, or a TLS handshake that failed.
                problem(generation, "\(error.text) (retrying in the background)")
            }
            attempt += 1
            let delay = min(Self.reconnectDelay.minimum * attempt * attempt, Self.reconnectDelay.maximum)
            closing.sleep(for: .seconds(delay))
        }
    }

    /// The first line of the password file.
    static func password(_ path: String) throws(MQTTSetupError) -> String {
        guard case let .success(text) = readTextFile(atPath: path, limit: 64 << 10) else {
            throw MQTTSetupError(description: "MQTT password_file \(path) cannot be read")
        }
        let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let password = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        guard !password.isEmpty else { throw MQTTSetupError(description: "MQTT password_file \(path) is empty") }
        return password
    }

    // MARK: libmosquitto's loop thread

    private func connected(_ generation: Int, code: Int32, text: String) {
        // Logged once the lock is released: a log handler may block.
        let line = state.withLock { state -> (Logger.Level, String)? in
            guard let session = state.session, session.generation == generation else { return nil }
            guard code == 0 else {
                let message = "MQTT broker \(session.config.broker) refused the connection: \(text)" + Self.hint(code)
                return state.reported.insert(message).inserted ? (.error, message) : nil
            }
            state.connected = true
            state.reported = []
            let (queued, dropped) = state.queue.take()
            let said =
                (state.wasConnected ? "MQTT: back on \(session.config.broker)" : "MQTT: connected to \(session.config.broker)")
                + (dropped > 0 ? " (\(dropped) state message(s) dropped while away: queue full)" : "")
            state.wasConnected = true
            send(&state, availabilityMessage(nil, true, session))
            // What waited goes out first, then what is current, unless the queue just said it.
            var flushed: [String: [UInt8]] = [:]
            for message in queued {
                send(&state, message)
                flushed[message.topic] = message.payload
            }
            if session.config.homeAssistant { publishDiscovery(&state, session: session, meters: nil) }
            for meter in state.meters.map(\.name) {
                if let online = state.online[meter] {
                    let message = availabilityMessage(meter, online, session)
                    if flushed[message.topic] != message.payload { send(&state, message) }
                }
                if let payload = state.latest[meter], flushed[session.topics.state(meter)] != payload {
                    send(&state, stateMessage(payload, meter, session))
                }
            }
            return (.info, said)
        }
        if let (level, message) = line { logger.log(level: level, "\(message)") }
    }

    private func disconnected(_ generation: Int, code: Int32, text: String) {
        let broker = state.withLock { state -> MQTTBroker? in
            guard let session = state.session, session.generation == generation, state.connected else { return nil }
            state.connected = false
            return session.config.broker
        }
        if let broker { logger.warning("MQTT: connection to \(broker) lost (\(text)); reconnecting, polling goes on") }
    }

    private func problem(_ generation: Int, _ text: String) {
        let (session, message) = state.withLock { state -> (Session?, String?) in
            guard let session = state.session, session.generation == generation else { return (nil, nil) }
            let hint =
                text.contains("certificate verify failed") ? " (the broker's certificate is not signed by the CA of ca_file)" : ""
            let message = "MQTT broker \(session.config.broker): \(text)\(hint)"
            return (session, state.reported.insert(message).inserted ? message : nil)
        }
        if let message { logger.error("\(message)") }
        // A TLS error ends libmosquitto's loop thread for good: start over after the longest
        // backoff (by then the loop thread, which is telling us this, has returned).
        if let session, text.hasPrefix("OpenSSL Error") {
            let broker = session.config.broker
            _ = PosixThread.detach(stackSize: 512 * 1024) { [weak self] in
                guard session.closing.sleep(for: .seconds(Self.reconnectDelay.maximum)), session.client.reset() else { return }
                self?.connect(session.client, to: broker, generation: generation, closing: session.closing)
            }
        }
    }

    private static func hint(_ code: Int32) -> String {
        switch code {
        case 4, 5: " (check username and password_file)"
        case 2: " (check client_id)"
        default: ""
        }
    }

    // MARK: Messages

    /// Publishes now when connected, else queues; a publish that fails queues too.
    private func send(_ state: inout State, _ message: OutgoingMessage) {
        guard let session = state.session else { return }
        if state.connected {
            do throws(MosquittoError) {
                try session.client.publish(
                    topic: message.topic, payload: message.payload, qos: session.config.qos, retain: message.retain)
                return
            } catch {
                state.connected = false
            }
        }
        state.queue.append(message)
    }

    /// Retained when `mqtt.retain` says so.
    private func stateMessage(_ payload: [UInt8], _ meter: String, _ session: Session) -> OutgoingMessage {
        OutgoingMessage(topic: session.topics.state(meter), payload: payload, retain: session.config.retain, kind: .state)
    }

    /// For a meter, or for the bridge itself when `meter` is nil; always retained.
    private func availabilityMessage(_ meter: String?, _ online: Bool, _ session: Session) -> OutgoingMessage {
        let topic = meter.map(session.topics.availability) ?? session.topics.bridgeAvailability
        let payload = (online ? Availability.online : Availability.offline).rawValue
        return OutgoingMessage(topic: topic, payload: Array(payload.utf8), retain: true, kind: .availability)
    }

    /// The discovery configs due now: every meter whose identity is known (its serial number,
    /// once read, when the map reads it; else the client and meter names).
    private func discoveryMessages(_ state: State, session: Session, meters: Set<String>? = nil) -> [OutgoingMessage] {
        state.meters.filter { meters?.contains($0.name) ?? true }.flatMap { meter -> [OutgoingMessage] in
            let readsSerial = meter.registers.contains { $0.sourceName == "serial_number" }
            let serial = state.serials[meter.name]
            if readsSerial, serial == nil { return [] }
            let deviceID = serial.map { "tem106_\($0)" } ?? "tembridge_\(session.topics.node)_\(meter.name)"
            return DiscoveryConfig.all(for: meter, deviceID: deviceID, serialNumber: serial, topics: session.topics).map {
                OutgoingMessage(topic: $0.topic, payload: $0.config.json, retain: true, kind: .discovery)
            }
        }
    }

    private func publishDiscovery(_ state: inout State, session: Session, meters: Set<String>?) {
        guard session.config.homeAssistant else { return }
        for message in discoveryMessages(state, session: session, meters: meters) {
            state.discovered.insert(message.topic)
            send(&state, message)
        }
    }
}

/// Why the publisher could not be set up: one line for the person starting tembridge.
public struct MQTTSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
