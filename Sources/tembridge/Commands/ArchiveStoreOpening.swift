import ArchiveStore
import Bridge
import Config
import Logging
import Mapping

/// The mapping's `archive_store`, opened: one line naming the mapping position and the
/// reason when it cannot be (a path that cannot be created, a corrupt file).
enum ArchiveStoreOpening {
    /// The problem with `config`'s path, as `FILE:LINE:COL: …`, or nil.
    static func problem(_ config: ArchiveStoreConfig) -> String? {
        ArchiveStore.problem(openingAt: config.path).map {
            "\(config.pathLocation): archive_store path '\(config.path)': \($0)"
        }
    }

    /// Opens the store for `serve`; a `Failure` of one line if it cannot be.
    static func open(_ config: ArchiveStoreConfig) throws -> ArchiveStore {
        if let problem = problem(config) { throw Failure(problem) }
        do {
            return try ArchiveStore(path: config.path)
        } catch {
            throw Failure("\(config.pathLocation): archive_store path '\(config.path)': \(error.message)")
        }
    }

    /// The store named by the mapping at `path`, read-only (for `history` and `report`).
    static func openForReading(mapping path: String) throws -> (Mapping, ArchiveStore) {
        let mapping = try loadMapping(path)
        guard let config = mapping.archiveStore else {
            throw Failure("\(path): no archive_store section: there is no store to read")
        }
        do {
            return (mapping, try ArchiveStore(path: config.path, readOnly: true))
        } catch {
            throw Failure("\(config.pathLocation): archive_store path '\(config.path)': \(error.message)")
        }
    }

    /// The keeper and (with `upstream`) the forwarder `serve` runs.
    static func start(_ config: ArchiveStoreConfig) throws -> (ArchiveKeeper, UpstreamForwarder?) {
        let logger = Logger(label: "tembridge.archive")
        let store = try open(config)
        let keeper = ArchiveKeeper(store: store, config: config, logger: logger)
        let forwarder = config.upstream.map { UpstreamForwarder(store: store, upstream: $0, logger: logger) }
        forwarder?.start()
        let forwarded = forwarder.map { ", forwarded to \($0.name)" } ?? ""
        logger.info("archive store \(config.path): \(config.kinds.map(\.rawValue).joined(separator: ", "))\(forwarded)")
        return (keeper, forwarder)
    }
}
