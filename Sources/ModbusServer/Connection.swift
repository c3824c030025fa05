import CModbus
import Glibc
import Logging
import Platform

/// One accepted client, served on its own thread with its own libmodbus context, so a slow,
/// silent or hostile client only ever holds up itself.
struct Connection {
    let socket: Int32
    /// The client, `192.0.2.7:50312`, for the log.
    let peer: String
    let store: RegisterStore
    let settings: LiveSettings
    let logger: Logger
    let counters: ModbusCounters

    /// Serves requests until the client disconnects, sends nothing for the idle timeout, stalls
    /// inside a frame for the byte timeout (0.5 s), does not take a response for the idle timeout,
    /// sends something that cannot be framed or a function code of 0x80 or more, or the socket is
    /// shut down. Never closes the socket. Why it ended is logged at debug.
    ///
    /// Requests are framed here (`RequestReader`, one `recv` per request); libmodbus builds the
    /// answers (`modbus_reply`), from the same bytes it would have framed itself.
    func serve() {
        let reason = serveRequests()
        logger.debug("Modbus client \(peer): connection closed: \(reason)")
    }

    /// Serves until the connection must end; returns why.
    private func serveRequests() -> String {
        let context: ModbusContext
        do { context = try ModbusContext(socket: socket) } catch { return "\(error)" }
        // Responses leave at once instead of waiting for the client's ACK of the previous one.
        setNoDelay(socket)
        let reader = RequestReader(socket: socket)
        var cache = ImageCache()
        var windows = ArchiveWindowSession()
        var idleTimeout = Int64.min  // none applied yet
        do {
            while true {
                let wanted = settings.idleTimeoutNanoseconds.load(ordering: .relaxed)
                if wanted != idleTimeout {
                    try applyIdleTimeout(.nanoseconds(wanted))
                    idleTimeout = wanted
                }
                let frame = try reader.next()
                let request = Request(frame)
                // 0x80...0xFF mark exception responses: libmodbus would answer "function + 0x80",
                // which wraps to a normal-looking response for function 0x00...0x7F.
                guard request.function < 0x80 else {
                    return "function code 0x\(String(request.function, radix: 16, uppercase: true)) is an exception code"
                }
                // One snapshot per response: the image is fetched once, here.
                let served = cache.image(for: request.unitID, in: store)
                if request.function == DeviceIdentification.function, let served {
                    try identify(frame, identity: served.image.identity, context: context)
                    continue
                }
                if served != nil, ArchiveWindowSession.isWrite(request.function) {
                    switch windows.write(unit: request.unitID, pdu: ArraySlice(frame[7...]), store: store) {
                    case .notHandled: break
                    case .exception(let exception):
                        counters.countRequest(function: request.function, exception: exception.rawValue)
                        try context.reply(to: frame, exception: exception)
                        continue
                    case .reply(let scratch):
                        counters.countRequest(function: request.function, exception: nil)
                        try context.reply(to: frame, from: scratch.mapping)
                        continue
                    }
                }
                let answer = Answer(
                    to: request, served: served,
                    inputRegisters: settings.inputRegisters.load(ordering: .relaxed), now: MonotonicClock.now())
                switch answer {
                case .reply, .replyStale:
                    // libmodbus answers 02 itself for a range outside the image's span.
                    counters.countRequest(
                        function: request.function, exception: served!.image.spans(request) ? nil : 0x02)
                    // A reply implies an image; this connection's archive window registers over it.
                    try windows.withTables(for: request, served: served!, answer: answer, store: store) {
                        (tables) throws(ModbusServerError) in try context.reply(to: frame, from: tables)
                    }
                case .exception(let exception):
                    counters.countRequest(function: request.function, exception: exception.rawValue)
                    try context.reply(to: frame, exception: exception)
                }
            }
        } catch let failure as RequestReader.Failure {
            return failure.description
        } catch {
            return "\(error)"
        }
    }

    /// Answers Read Device Identification (libmodbus 3.1.6 does not): the response with the
    /// request's transaction id and unit id and protocol id 0 (as libmodbus answers), or an
    /// exception.
    private func identify(_ frame: UnsafeBufferPointer<UInt8>, identity: DeviceIdentity?, context: ModbusContext)
        throws(ModbusServerError)
    {
        switch DeviceIdentification.answer(Array(frame[7...]), identity: identity) {
        case .exception(let exception):
            counters.countRequest(function: DeviceIdentification.function, exception: exception.rawValue)
            try context.reply(to: frame, exception: exception)
        case .response(let pdu):
            counters.countRequest(function: DeviceIdentification.function, exception: nil)
            let length = pdu.count + 1
            let adu = [frame[0], frame[1], 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), frame[6]] + pdu
            guard case .success = writeAll(socket, adu, socket: true) else { throw .fromErrno("send a response") }
        }
    }

    /// Closes the connection after `timeout` without a request (the socket's receive timeout,
    /// which `RequestReader` waits with for a request's first byte) or with a response not taken
    /// (the send timeout). `.zero` waits for ever.
    private func applyIdleTimeout(_ timeout: Duration) throws(ModbusServerError) {
        var limit = timeout.timeval
        let size = socklen_t(MemoryLayout<timeval>.size)
        try check(setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, size), "set the receive timeout")
        try check(setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, size), "set the send timeout")
    }
}
