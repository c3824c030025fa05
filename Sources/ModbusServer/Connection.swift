import CModbus
import Glibc

/// One accepted client, served on its own thread with its own libmodbus context, so a slow,
/// silent or hostile client only ever holds up itself.
struct Connection {
    let socket: Int32
    let store: RegisterStore
    let settings: LiveSettings
    let counters: ModbusCounters

    /// Serves requests until the client disconnects, sends nothing for the idle timeout, stalls
    /// inside a frame for the byte timeout (0.5 s), does not take a response for the idle timeout,
    /// sends something that cannot be framed or a function code of 0x80 or more, or the socket is
    /// shut down. Never closes the socket.
    ///
    /// Requests are framed here (`RequestReader`, one `recv` per request); libmodbus builds the
    /// answers (`modbus_reply`), from the same bytes it would have framed itself.
    func serve() {
        guard let context = try? ModbusContext(socket: socket) else { return }
        // Responses leave at once instead of waiting for the client's ACK of the previous one.
        var yes: Int32 = 1
        _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        let reader = RequestReader(socket: socket)
        var cache = ImageCache()
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
                guard request.function < 0x80 else { return }
                // One snapshot per response: the image is fetched once, here.
                let served = cache.image(for: request.unitID, in: store)
                let answer = Answer(
                    to: request, image: served?.image,
                    inputRegisters: settings.inputRegisters.load(ordering: .relaxed), now: MonotonicClock.now())
                switch answer {
                case .reply:
                    // libmodbus answers 02 itself for a range outside the image's span.
                    counters.countRequest(
                        function: request.function, exception: served!.image.spans(request) ? nil : 0x02)
                    try context.reply(to: frame, from: served!.mapping)  // .reply implies an image
                case .exception(let exception):
                    counters.countRequest(function: request.function, exception: exception.rawValue)
                    try context.reply(to: frame, exception: exception)
                }
            }
        } catch {
            return
        }
    }

    /// Closes the connection after `timeout` without a request (the socket's receive timeout,
    /// which `RequestReader` waits with for a request's first byte) or with a response not taken
    /// (the send timeout). `.zero` waits for ever.
    private func applyIdleTimeout(_ timeout: Duration) throws(ModbusServerError) {
        let (seconds, microseconds) = timeout.secondsAndMicroseconds
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(microseconds))
        let size = socklen_t(MemoryLayout<timeval>.size)
        try check(setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, size), "set the receive timeout")
        try check(setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, size), "set the send timeout")
    }
}
