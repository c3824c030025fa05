import Synchronization

/// Thread-safe holder of the current register images, keyed by unit id.
///
/// Images are immutable and each swap happens under one lock, so a reader gets either the old
/// or the new image of a unit, never a mix. Publishing also builds the image's libmodbus tables,
/// so the request path only fetches a reference.
public final class RegisterStore: Sendable {
    /// One slot per unit id (0...255).
    private let slots = Mutex<[ServedImage?]>(Array(repeating: nil, count: 256))
    /// Incremented (inside the lock) after every change, so a connection can keep using the
    /// image it fetched last without locking while nothing was published.
    private let generation = Atomic<UInt64>(0)

    /// The archive windows of the current map and a count of their replacements (a connection
    /// forgets its cursors when it changes); nil = no unit has a window.
    private let windows = Mutex<(service: (any ArchiveWindowService)?, generation: UInt64)>((nil, 0))

    public init() {}

    /// Serves `service`'s archive windows from now on (nil: none); every connection's cursors
    /// are forgotten.
    public func setArchiveWindows(_ service: (any ArchiveWindowService)?) {
        windows.withLock { $0 = (service, $0.generation + 1) }
    }

    /// The archive windows being served and their generation.
    var archiveWindows: (service: (any ArchiveWindowService)?, generation: UInt64) { windows.withLock { $0 } }

    /// Replaces every image at once (e.g. after a mapping reload): units not listed disappear.
    /// If a unit id is listed twice, the last image wins.
    public func replaceAll(_ images: [UnitImage]) {
        var fresh = [ServedImage?](repeating: nil, count: 256)
        for image in images { fresh[Int(image.unitID)] = ServedImage(image) }
        let old = slots.withLock { slots in
            defer { generation.add(1, ordering: .releasing) }
            return exchange(&slots, with: fresh)
        }
        _ = old  // the replaced tables are freed here, outside the lock
    }

    /// Replaces one unit's image.
    public func publish(_ image: UnitImage) {
        let served = ServedImage(image)
        let old = slots.withLock { slots in
            defer { generation.add(1, ordering: .releasing) }
            return exchange(&slots[Int(image.unitID)], with: served)
        }
        _ = old  // the replaced table is freed here, outside the lock
    }

    /// The current image of `unitID`, or nil if no image answers for it.
    public func image(for unitID: UInt8) -> UnitImage? {
        slots.withLock { $0[Int(unitID)] }?.image
    }

    /// The current served image of `unitID` and the generation it belongs to.
    func served(for unitID: UInt8) -> (image: ServedImage?, generation: UInt64) {
        slots.withLock { ($0[Int(unitID)], generation.load(ordering: .relaxed)) }
    }

    /// The current generation; unchanged means no image was published since it was read.
    var currentGeneration: UInt64 { generation.load(ordering: .acquiring) }
}

/// Swaps `value` into `slot` and returns what was there.
private func exchange<T>(_ slot: inout T, with value: T) -> T {
    let old = slot
    slot = value
    return old
}
