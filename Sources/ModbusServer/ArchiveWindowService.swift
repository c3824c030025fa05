/// What a unit's archive window does, seen from the Modbus server: which registers a master may
/// write, and what its connection's window shows after a write. Implemented outside this module
/// (the bridge, over the archive store); the server only keeps each connection's registers.
///
/// A window is a block of a unit's map: writable cursor registers, and registers that show the
/// record under the cursor. Each TCP connection and each RTU port has its own cursor: what one
/// master wrote is never shown to another.
public protocol ArchiveWindowService: Sendable {
    /// Where a write of `count` registers from `first` on `unit` lands.
    func target(unit: UInt8, first: UInt16, count: Int) -> ArchiveWindowTarget

    /// A master wrote `values` from `first` to window `window` of `unit` (as `target` named it),
    /// whose registers showed `shown` (address → value; empty before the first write).
    /// - Returns: what the window shows now, every one of its registers (the cursor registers
    ///   included), or `.invalidValue` when a written value is out of its register's range.
    func write(_ values: [UInt16], at first: UInt16, unit: UInt8, window: Int, shown: [UInt16: UInt16])
        -> ArchiveWindowWrite
}

/// Where a write lands.
public enum ArchiveWindowTarget: Sendable, Equatable {
    /// The unit has no archive window: writes are refused as before (exception 01).
    case noWindow
    /// The unit has a window, but not every register written is one of its cursor registers
    /// (exception 02).
    case notWritable
    /// Every register written is a cursor register of this window (an index the service chose).
    case window(Int)
}

/// The outcome of a write to a window.
public enum ArchiveWindowWrite: Sendable, Equatable {
    /// Accepted: the window's registers now (address → value).
    case accepted([UInt16: UInt16])
    /// A value out of range (exception 03); the window keeps what it showed.
    case invalidValue
}
