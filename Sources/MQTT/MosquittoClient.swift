import CMosquitto
import Foundation

/// A libmosquitto call that failed: the operation and libmosquitto's own text for the code.
public struct MosquittoError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var text: String

    public var description: String { "\(operation): \(text)" }

}

/// What libmosquitto's loop thread reports, as Swift closures.
struct MosquittoEvents: Sendable {
    /// CONNACK: 0 connected, else the broker's refusal (`mosquitto_connack_string`).
    var connected: @Sendable (_ code: Int32, _ text: String) -> Void
    /// The connection ended: 0 when asked for, else lost.
    var disconnected: @Sendable (_ code: Int32, _ text: String) -> Void
    /// A warning or error libmosquitto logs (TLS failures are told only this way).
    var problem: @Sendable (String) -> Void
}

/// One libmosquitto client: owns the `struct mosquitto *` (destroyed in `deinit`) and runs
/// libmosquitto's own network thread (`mosquitto_loop_start`), which reconnects with backoff.
///
/// `@unchecked Sendable`: libmosquitto's threaded mode makes `mosquitto_publish` and
/// `mosquitto_disconnect` safe from any thread while its loop thread runs; every other call is
/// made before `startLoop` or after `stopLoop`, by the owner alone.
final class MosquittoClient: @unchecked Sendable {
    private static let library: Void = { mosquitto_lib_init() }()

    private let handle: OpaquePointer
    private let events: Unmanaged<EventBox>

    private final class EventBox {
        let events: MosquittoEvents
        init(_ events: MosquittoEvents) { self.events = events }
    }

    init(clientID: String, events: MosquittoEvents) throws(MosquittoError) {
        _ = Self.library
        let box = Unmanaged.passRetained(EventBox(events))
        guard let handle = mosquitto_new(clientID, true, box.toOpaque()) else {
            box.release()
            throw MosquittoError(
                operation: "mosquitto_new", code: MOSQ_ERR_ERRNO.rawValue, text: String(cString: strerror(errno)))
        }
        self.handle = handle
        self.events = box
        mosquitto_connect_callback_set(handle) { _, object, code in
            guard let object else { return }
            let box = Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue()
            box.events.connected(code, String(cString: mosquitto_connack_string(code)))
        }
        mosquitto_disconnect_callback_set(handle) { _, object, code in
            guard let object else { return }
            let box = Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue()
            box.events.disconnected(code, String(cString: mosquitto_strerror(code)))
        }
        mosquitto_log_callback_set(handle) { _, object, level, text in
            guard let object, let text, level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0 else { return }
            Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue().events.problem(String(cString: text))
        }
    }

    deinit {
        mosquitto_destroy(handle)
        events.release()
    }

    /// Every libmosquitto return code goes through here.
    private func check(_ code: Int32, _ operation: String) throws(MosquittoError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        let text =
            code == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(code))
        throw MosquittoError(operation: operation, code: code, text: text)
    }

    func setWill(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MosquittoError) {
        try check(mosquitto_will_set(handle, topic, Int32(payload.count), payload, Int32(qos), retain), "will")
    }

    func setCredentials(username: String, password: String?) throws(MosquittoError) {
        try check(mosquitto_username_pw_set(handle, username, password), "username/password")
    }

    /// TLS, verifying the broker's certificate and host name against `caFile`, or against the
    /// system's CAs when nil.
    func setTLS(caFile: String?) throws(MosquittoError) {
        if let caFile {
            try check(mosquitto_tls_set(handle, caFile, nil, nil, nil, nil), "TLS with ca_file \(caFile)")
        } else {
            try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "TLS with the system's CAs")
        }
    }

    /// Waits `minimum`, doubling up to `maximum`, between reconnection attempts.
    func setReconnectDelay(minimum: Int, maximum: Int) throws(MosquittoError) {
        try check(mosquitto_reconnect_delay_set(handle, UInt32(minimum), UInt32(maximum), true), "reconnect delay")
    }

    /// Starts connecting; the loop thread finishes the connection and retries it.
    func connect(host: String, port: UInt16, keepalive: Int) throws(MosquittoError) {
        try check(mosquitto_connect_async(handle, host, Int32(port), Int32(keepalive)), "connect to \(host):\(port)")
    }

    func startLoop() throws(MosquittoError) {
        try check(mosquitto_loop_start(handle), "loop start")
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MosquittoError) {
        let code = payload.withUnsafeBytes { bytes in
            mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        try check(code, "publish \(topic)")
    }

    /// Ends the connection cleanly (no last will) and stops the loop thread.
    func disconnectAndStop() {
        _ = mosquitto_disconnect(handle)
        _ = mosquitto_loop_stop(handle, false)
    }
}
