import CModbus
import Glibc
import Platform

/// A failure of the Modbus server to set itself up, with what it was doing and why, in one line:
///
///     cannot listen on 127.0.0.1:1502: Address already in use
public struct ModbusServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted, worded to follow "cannot": `listen on 127.0.0.1:1502`.
    public let operation: String
    /// The `errno` (or libmodbus error number) of the failed call; 0 when there was none.
    public let code: Int32
    /// The human text for `code` (from `modbus_strerror`, which covers plain errno values too).
    public let reason: String

    /// An error for the current `errno`.
    static func fromErrno(_ operation: String, code: Int32 = errno) -> ModbusServerError {
        ModbusServerError(operation: operation, code: code, reason: String(cString: modbus_strerror(code)))
    }

    public var description: String { "cannot \(operation): \(reason)" }
}

/// The one check every C return code of this module goes through: -1 (or any negative value)
/// throws an error carrying `operation`, `errno` and its text; anything else is returned.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(ModbusServerError) -> Int32 {
    guard result >= 0 else {
        let code = errno  // before building the message, which may allocate
        throw .fromErrno(operation(), code: code)
    }
    return result
}
