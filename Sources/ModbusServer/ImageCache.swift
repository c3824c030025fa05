/// The image a connection used last, reused while the store's generation is unchanged.
struct ImageCache {
    private var unitID: UInt8 = 0
    private var generation: UInt64 = .max
    private var image: ServedImage?

    /// The current image of `unitID`, locking the store only if something was published since
    /// the last lookup (or a different unit is asked for).
    mutating func image(for unitID: UInt8, in store: RegisterStore) -> ServedImage? {
        if unitID == self.unitID, store.currentGeneration == generation { return image }
        (image, generation) = store.served(for: unitID)
        self.unitID = unitID
        return image
    }
}
