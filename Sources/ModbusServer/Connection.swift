import CModbus
import Glibc

/// One accepted client, served on its own thread with its own libmodbus context, so a slow,
/// silent or hostile client only ever holds up itself.
struct Connection {
    let socket: Int32
    let store: RegisterStore
    let settings: LiveSettings

    /// Serves requests until the client disconnects, sends nothing for the idle timeout, stalls
    /// inside a frame for the byte timeout, does not take a response for the idle timeout, sends
    /// something that cannot be framed or a function code of 0x80 or more, or the socket is shut
    /// down. Never closes the socket.
    func serve() {
        guard let context = try? ModbusContext(socket: socket) else { return }
        // Responses leave at once instead of waiting for the client's ACK of the previous one.
        var yes: Int32 = 1
        _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        defer { buffer.deallocate() }
        var cache = ImageCache()
        var idleTimeout = Int64.min  // none applied yet
        do {
            while true {
                let wanted = settings.idleTimeoutNanoseconds.load(ordering: .relaxed)
                if wanted != idleTimeout {
                    try applyIdleTimeout(.nanoseconds(wanted), to: context)
                    idleTimeout = wanted
                }
                let length = try context.receive(into: buffer)
                guard length > Request.mbapLength else { continue }  // libmodbus always frames the function code
                let request = Request(buffer, count: length)
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
                    try context.reply(to: buffer, length: length, from: served!.mapping)  // .reply implies an image
                case .exception(let exception):
                    try context.reply(to: buffer, exception: exception)
                }
                guard request.unframedBytes == 0 || discard(request.unframedBytes, using: buffer) else { return }
            }
        } catch {
            return
        }
    }

    /// Closes the connection after `timeout` without a request (libmodbus's indication timeout)
    /// or with a response not taken (the socket's send timeout). `.zero` waits for ever.
    private func applyIdleTimeout(_ timeout: Duration, to context: ModbusContext) throws(ModbusServerError) {
        try context.setIndicationTimeout(timeout)
        let (seconds, microseconds) = timeout.secondsAndMicroseconds
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(microseconds))
        try check(
            setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)), "set the send timeout")
    }

    /// Reads and drops the `count` bytes the MBAP header announced past what libmodbus framed, so
    /// the next request starts where it should. False (close the connection) if `count` is
    /// negative or too large to be a Modbus frame, or the bytes do not come within the byte timeout.
    private func discard(_ count: Int, using buffer: UnsafeMutablePointer<UInt8>) -> Bool {
        guard count > 0, count <= Int(MODBUS_TCP_MAX_ADU_LENGTH) else { return false }
        var left = count
        while left > 0 {
            var waiting = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 500) == 1 else { return false }
            let received = recv(socket, buffer, left, 0)
            guard received > 0 else { return false }
            left -= received
        }
        return true
    }
}
