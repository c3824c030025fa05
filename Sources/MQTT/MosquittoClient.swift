import CMosquitto
import Config
import Foundation
import Synchronization

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

/// One libmosquitto client: owns the `struct mosquitto *` (destroyed in `deinit`) and, once
/// connected, runs libmosquitto's own network thread (`mosquitto_loop_start`), which reconnects
/// with backoff.
///
/// The first connection is made with the blocking `mosquitto_connect` (by the caller's thread,
/// retried by the caller), not `mosquitto_connect_async`: libmosquitto 2.0.11's loop thread
/// never retries a first connection that failed at once, and gives up for good on a TLS
/// handshake that fails inside it. Its own reconnections are blocking, and retried.
///
/// `@unchecked Sendable`: the set-up calls are made before `connectAndStart`, by the owner
/// alone; `mosquitto_publish` is safe from any thread in libmosquitto's threaded mode; the
/// connection's life (connect, start, disconnect, stop) is serialised by `life`.
final class MosquittoClient: @unchecked Sendable {
    private static let library: Void = { lazy_mosquitto_lib_init() }()

    private let handle: OpaquePointer
    private let events: Unmanaged<EventBox>

    private enum Life { case idle, connecting, running, closed }
    private let life = Mutex<Life>(.idle)

    private final class EventBox {
        let events: MosquittoEvents
        init(_ events: MosquittoEvents) { self.events = events }
    }

    init(clientID: String, events: MosquittoEvents) throws(MosquittoError) {
        _ = Self.library
        let box = Unmanaged.passRetained(EventBox(events))
        guard let handle = lazy_mosquitto_new(clientID, true, box.toOpaque()) else {
            box.release()
            throw MosquittoError(
                operation: "mosquitto_new", code: MOSQ_ERR_ERRNO.rawValue, text: String(cString: strerror(errno)))
        }
        self.handle = handle
        self.events = box
        lazy_mosquitto_connect_callback_set(handle) { _, object, code in
            guard let object else { return }
            let box = Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue()
            box.events.connected(code, String(cString: lazy_mosquitto_connack_string(code)))
        }
        lazy_mosquitto_disconnect_callback_set(handle) { _, object, code in
            guard let object else { return }
            let box = Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue()
            box.events.disconnected(code, String(cString: lazy_mosquitto_strerror(code)))
        }
        lazy_mosquitto_log_callback_set(handle) { _, object, level, text in
            guard let object, let text, level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0 else { return }
            Unmanaged<EventBox>.fromOpaque(object).takeUnretainedValue().events.problem(String(cString: text))
        }
    }

    deinit {
        lazy_mosquitto_destroy(handle)
        events.release()
    }

    /// Every libmosquitto return code goes through here.
    private func check(_ code: Int32, _ operation: String) throws(MosquittoError) {
        guard code != MOSQ_ERR_SUCCESS.rawValue else { return }
        let text =
            code == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: lazy_mosquitto_strerror(code))
        throw MosquittoError(operation: operation, code: code, text: text)
    }

    func setWill(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MosquittoError) {
        try check(lazy_mosquitto_will_set(handle, topic, Int32(payload.count), payload, Int32(qos), retain), "will")
    }

    func setCredentials(username: String, password: String?) throws(MosquittoError) {
        try check(lazy_mosquitto_username_pw_set(handle, username, password), "username/password")
    }

    /// TLS, verifying the broker's certificate and host name against `caFile`, or against the
    /// system's CAs when nil.
    func setTLS(caFile: String?) throws(MosquittoError) {
        if let caFile {
            try check(lazy_mosquitto_tls_set(handle, caFile, nil, nil, nil, nil), "TLS with ca_file \(caFile)")
        } else {
            try check(lazy_mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "TLS with the system's CAs")
        }
    }

    /// Waits `minimum`, doubling up to `maximum`, between reconnection attempts.
    func setReconnectDelay(minimum: Int, maximum: Int) throws(MosquittoError) {
        try check(lazy_mosquitto_reconnect_delay_set(handle, UInt32(minimum), UInt32(maximum), true), "reconnect delay")
    }

    /// Connects (blocking: name lookup, TCP, TLS handshake, CONNECT sent) and starts the loop
    /// thread, which reads the broker's answer and from then on reconnects by itself.
    /// - Returns: false when `close` came first (nothing is started then).
    func connectAndStart(host: String, port: UInt16, keepalive: Int) throws(MosquittoError) -> Bool {
        let go = life.withLock { life in
            guard life == .idle else { return false }
            life = .connecting
            return true
        }
        guard go else { return false }
        // Not under `life`: a connection may take long, and `close` must not wait for it.
        let code = lazy_mosquitto_connect(handle, host, Int32(port), Int32(keepalive))
        return try life.withLock { life throws(MosquittoError) -> Bool in
            guard life == .connecting else {
                // Closed while connecting.
                if code == MOSQ_ERR_SUCCESS.rawValue { _ = lazy_mosquitto_disconnect(handle) }
                return false
            }
            guard code == MOSQ_ERR_SUCCESS.rawValue else {
                life = .idle
                try check(code, "connect to \(host):\(port)")
                return false
            }
            try check(lazy_mosquitto_loop_start(handle), "loop start")
            life = .running
            return true
        }
    }

    var isClosed: Bool { life.withLock { $0 == .closed } }

    /// Ends what is left of a connection whose loop thread gave up (after a TLS error,
    /// libmosquitto 2.0.11's loop returns for good), so that `connectAndStart` can begin again.
    /// Safe on a live loop too (it is told to disconnect, then joined).
    /// - Returns: true when it ended a running connection (false: idle, connecting or closed).
    func reset() -> Bool {
        life.withLock { life in
            guard life == .running else { return false }
            _ = lazy_mosquitto_disconnect(handle)
            _ = lazy_mosquitto_loop_stop(handle, false)
            life = .idle
            return true
        }
    }

    func publish(topic: String, payload: [UInt8], qos: Int, retain: Bool) throws(MosquittoError) {
        let code = payload.withUnsafeBytes { bytes in
            lazy_mosquitto_publish(handle, nil, topic, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
        }
        try check(code, "publish \(topic)")
    }

    /// Ends the connection cleanly (no last will) and stops the loop thread; a connection still
    /// being made is ended by its maker.
    func close() {
        life.withLock { life in
            defer { life = .closed }
            guard life == .running else { return }
            _ = lazy_mosquitto_disconnect(handle)
            _ = lazy_mosquitto_loop_stop(handle, false)
        }
    }
}
