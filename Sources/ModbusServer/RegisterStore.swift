import Synchronization

/// Thread-safe holder of the current register images, keyed by unit id.
///
/// A unit id may be answered by several images at once, one per meter sharing it at its own
/// `register_offset` (their spans apart); they are served as one unit (`ServedImage`), each
/// keeping its own freshness. Images are immutable and each swap happens under one lock, so a
/// reader gets either the old or the new image of a unit, never a mix. Publishing also builds the
/// unit's libmodbus tables, so the request path only fetches a reference.
public final class RegisterStore: Sendable {
    private struct Slot {
        /// The images answering for the unit, by start address; spans apart.
        var parts: [UnitImage] = []
        var served: ServedImage?
    }

    /// One slot per unit id (0...255).
    private let slots = Mutex<[Slot]>(Array(repeating: Slot(), count: 256))
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
    /// Images of one unit id are served together; of two whose spans overlap, the later wins.
    public func replaceAll(_ images: [UnitImage]) {
        var fresh = [Slot](repeating: Slot(), count: 256)
        for image in images { fresh[Int(image.unitID)].parts = Self.placing(image, among: fresh[Int(image.unitID)].parts) }
        for index in fresh.indices where !fresh[index].parts.isEmpty {
            fresh[index].served = ServedImage(parts: fresh[index].parts)
        }
        let old = slots.withLock { slots in
            defer { generation.add(1, ordering: .releasing) }
            return exchange(&slots, with: fresh)
        }
        _ = old  // the replaced tables are freed here, outside the lock
    }

    /// Replaces the image of `image`'s unit id that has the same span start (one meter's), and
    /// any other it overlaps; the unit's other images stay.
    public func publish(_ image: UnitImage) {
        let old = slots.withLock { slots in
            defer { generation.add(1, ordering: .releasing) }
            let index = Int(image.unitID)
            let parts = Self.placing(image, among: slots[index].parts)
            slots[index].parts = parts
            return exchange(&slots[index].served, with: ServedImage(parts: parts))
        }
        _ = old  // the replaced table is freed here, outside the lock
    }

    /// `parts` with `image` in place of those it overlaps, sorted by start.
    private static func placing(_ image: UnitImage, among parts: [UnitImage]) -> [UnitImage] {
        if parts.count == 1, parts[0].start == image.start { return [image] }
        let end = Int(image.start) + image.registers.count
        var kept = parts.filter {
            $0.start != image.start && (Int($0.start) >= end || Int($0.start) + $0.registers.count <= Int(image.start))
        }
        kept.append(image)
        return kept.sorted { $0.start < $1.start }
    }

    /// The current image of `unitID`, or nil if no image answers for it (for a unit shared by
    /// several images, their combination: see `ServedImage.image`).
    public func image(for unitID: UInt8) -> UnitImage? {
        slots.withLock { $0[Int(unitID)].served }?.image
    }

    /// The current served image of `unitID` and the generation it belongs to.
    func served(for unitID: UInt8) -> (image: ServedImage?, generation: UInt64) {
        slots.withLock { ($0[Int(unitID)].served, generation.load(ordering: .relaxed)) }
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
