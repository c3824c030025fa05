import Config
import TEMProtocol
import Yams

extension MappingReader {
    static let archiveStoreKeys = ["path", "kinds", "backfill", "reads_per_poll", "upstream"]

    /// Reads `archive_store:`; nil (reported) when it is not usable.
    mutating func readArchiveStore(_ node: Node) -> ArchiveStoreConfig? {
        guard let fields = read.fields(of: node, allowed: Self.archiveStoreKeys) else { return nil }
        var config = ArchiveStoreConfig(path: "")
        if let node = read.required("path", in: fields), let path = read.string(node) {
            config.path = path
            let at = Position(node)
            config.pathLocation = "\(read.file):\(at.line):\(at.column)"
        }
        if let node = fields["kinds"], let items = read.list(node) {
            if items.isEmpty { read.report("kinds: [] keeps nothing (leave 'kinds' out to keep all three)", at: node) }
            var kinds: [ArchiveKind] = []
            for item in items {
                guard let kind: ArchiveKind = read.choice(item, what: "archive kind") else { continue }
                if kinds.contains(kind) { read.report("archive kind '\(kind.rawValue)' is listed twice", at: item) }
                kinds.append(kind)
            }
            config.kinds = ArchiveKind.allCases.filter(kinds.contains)
        }
        if let node = fields["backfill"], let value = read.bool(node) { config.backfill = value }
        if let node = fields["reads_per_poll"],
            let value = read.integer(
                node, in: ArchiveStoreConfig.readsPerPollRange, what: "reads_per_poll")
        {
            config.readsPerPoll = value
        }
        if let node = fields["upstream"], let text = read.string(node) {
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") || text.contains("=") {
                config.upstream = text
            } else {
                read.report(
                    "upstream '\(text)' is not a PostgreSQL connection string (write postgres://USER@HOST/DB)", at: node)
            }
        }
        return config.path.isEmpty ? nil : config
    }
}
