import TEMProtocol

extension MeterQuality {
    /// A meter's quality at `now`: what its latest good poll found doubtful, `stale` when its
    /// data is not fresh, `configurationNotRead` before its first good poll.
    public static func now(snapshot: Snapshot?, health: MeterHealth, at now: UInt64) -> MeterQuality {
        var quality = snapshot?.quality ?? .configurationNotRead
        if !health.isFresh(at: now) { quality.insert(.stale) }
        return quality
    }

    /// Bit 3 from what the poller holds of each kind's newest record (`ArchiveFollow.newestDamaged`):
    /// set while the newest record read of any kind is damaged.
    static func archiveDamaged(damagedKinds: Set<ArchiveKind>) -> MeterQuality {
        damagedKinds.isEmpty ? [] : .archiveDamaged
    }
}
