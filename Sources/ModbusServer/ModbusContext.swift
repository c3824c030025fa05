import CModbus
import Platform

/// Owns one libmodbus TCP context speaking over an already accepted socket, and frees it in
/// `deinit`. Closing the socket stays with whoever accepted it.
///
/// Not Sendable: a libmodbus context is not thread-safe, so each one lives and dies on the
/// thread of its connection.
final class ModbusContext {
    private let context: OpaquePointer

    /// Binds a new context to `socket`, for answering requests framed elsewhere.
    init(socket: Int32) throws(ModbusServerError) {
        // The address and port are never used: the context gets a connected socket instead.
        guard let context = modbus_new_tcp("0.0.0.0", 0) else { throw .fromErrno("create a libmodbus context") }
        self.context = context
        try check(modbus_set_socket(context, socket), "set the socket of a libmodbus context")
        // `Answer` gives exception 03 (a bad quantity) itself. Should `modbus_reply` ever answer
        // 03, it would first sleep the response timeout (0.5 s by default, to clear an RTU line)
        // and flush the socket; 1 µs is the least sleep it accepts.
        try check(modbus_set_response_timeout(context, 0, 1), "set the response timeout")
    }

    deinit { modbus_free(context) }

    /// Answers a read request from `mapping`. Only ever called for FC03/FC04, which read the
    /// register tables and never write them.
    @inline(__always)
    func reply(to request: UnsafeBufferPointer<UInt8>, from mapping: UnsafeMutablePointer<modbus_mapping_t>)
        throws(ModbusServerError)
    {
        try check(modbus_reply(context, request.baseAddress, Int32(request.count), mapping), "send a response")
    }

    /// Answers `request` with exception `code`.
    func reply(to request: UnsafeBufferPointer<UInt8>, exception: ModbusException) throws(ModbusServerError) {
        try check(
            modbus_reply_exception(context, request.baseAddress, UInt32(exception.rawValue)),
            "send exception \(exception.rawValue)")
    }
}
