import Config

/// One message to publish.
public struct OutgoingMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A meter's values: may be dropped when the queue is full.
        case state
        /// Online/offline: never dropped.
        case availability
        /// A Home Assistant config (or its removal): never dropped.
        case discovery
    }

    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool
    public var kind: Kind

    public init(topic: String, payload: [UInt8], retain: Bool, kind: Kind) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
        self.kind = kind
    }
}

/// What waits in memory while the broker is away. Bounded: when full, the oldest state message
/// makes room (and is counted); availability and discovery messages are never dropped, so the
/// queue may pass its capacity only by those.
public struct OutgoingQueue: Sendable, Equatable {
    public static let defaultCapacity = 1000

    public let capacity: Int
    public private(set) var messages: [OutgoingMessage] = []
    /// State messages dropped since the last `take`.
    public private(set) var dropped = 0

    public init(capacity: Int = defaultCapacity) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public mutating func append(_ message: OutgoingMessage) {
        if messages.count >= capacity {
            if let oldest = messages.firstIndex(where: { $0.kind == .state }) {
                messages.remove(at: oldest)
                dropped += 1
            } else if message.kind == .state {
                dropped += 1
                return
            }
        }
        messages.append(message)
    }

    /// Everything queued, oldest first, and how many state messages were dropped; the queue
    /// is then empty.
    public mutating func take() -> (messages: [OutgoingMessage], dropped: Int) {
        defer {
            messages = []
            dropped = 0
        }
        return (messages, dropped)
    }
}
