import Glibc
import JSONOutput
import Platform
import Synchronization
import TEMLink
import TEMProtocol

/// Hands the native frames of every line to the `/api/trace` subscribers without ever making a
/// poller wait: each subscriber has a bounded buffer of its own (`capacity` frames); a frame that
/// does not fit is dropped for that subscriber only and counted, and the subscriber's stream says
/// how many were lost before its next frame. With no subscriber a frame costs one atomic load.
final class TraceHub: Sendable {
    /// One frame as the stream shows it.
    struct Event: Sendable {
        let line: String
        let frame: LineMonitor.Frame
    }

    /// What a subscriber reads: frames, and notices of frames dropped because it was too slow.
    enum Item: Sendable {
        case frame(Event)
        case dropped(Int)
    }

    final class Subscription: Sendable {
        let id: Int
        fileprivate let continuation: AsyncStream<Event>.Continuation
        fileprivate let dropped = Atomic<Int>(0)
        let stream: AsyncStream<Event>

        fileprivate init(id: Int, capacity: Int) {
            self.id = id
            (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingOldest(capacity))
        }

        /// The next item: a drop notice first if frames were lost since the last one; nil once
        /// the hub has finished the stream.
        func next(_ iterator: inout AsyncStream<Event>.AsyncIterator) async -> Item? {
            let lost = dropped.exchange(0, ordering: .relaxed)
            if lost > 0 { return .dropped(lost) }
            guard let event = await iterator.next() else { return nil }
            return .frame(event)
        }
    }

    let capacity: Int
    private let subscribers = Mutex<(next: Int, all: [Int: Subscription], finished: Bool)>((0, [:], false))
    private let count = Atomic<Int>(0)
    /// The last `recentCount` frames, for the page's first rendering: numbered in order and
    /// spread round-robin over `recentShards` rings, each with a short lock of its own, so two
    /// thousand pollers publishing at once seldom meet on a lock (one ring under one lock cost a
    /// 10 000-meter bridge a quarter of a core in lock contention).
    private let recentFrames = (0..<TraceHub.recentShards).map { _ in RecentShard() }
    private let sequence = Atomic<Int>(0)
    static let recentCount = 40
    static let recentShards = 8

    /// The newest `recentCount` frames one shard saw, with their sequence numbers.
    private struct RecentRing {
        var slots: [(number: Int, event: Event)?] = Array(repeating: nil, count: TraceHub.recentCount)
        var next = 0
    }

    private final class RecentShard: Sendable {
        let ring = Mutex(RecentRing())
    }

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The last frames seen, oldest first.
    var recent: [Event] {
        let all = recentFrames.flatMap { shard in shard.ring.withLock { $0.slots.compactMap { $0 } } }
        return all.sorted { $0.number < $1.number }.suffix(Self.recentCount).map(\.event)
    }

    /// Called on a poller's thread for every frame: never blocks for longer than a short lock.
    func publish(line: String, frame: LineMonitor.Frame) {
        let event = Event(line: line, frame: frame)
        let number = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        recentFrames[(number & Int.max) % Self.recentShards].ring.withLock { ring in
            ring.slots[ring.next] = (number, event)
            ring.next = (ring.next + 1) % Self.recentCount
        }
        guard count.load(ordering: .relaxed) > 0 else { return }
        subscribers.withLock { state in
            for subscription in state.all.values {
                if case .dropped = subscription.continuation.yield(event) {
                    subscription.dropped.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
    }

    /// A new subscriber; nil once the hub is finished (the server is stopping).
    func subscribe() -> Subscription? {
        let subscription: Subscription? = subscribers.withLock { state in
            guard !state.finished else { return nil }
            state.next += 1
            let made = Subscription(id: state.next, capacity: capacity)
            state.all[made.id] = made
            return made
        }
        if subscription != nil { count.wrappingAdd(1, ordering: .relaxed) }
        return subscription
    }

    func unsubscribe(_ subscription: Subscription) {
        let removed = subscribers.withLock { $0.all.removeValue(forKey: subscription.id) != nil }
        subscription.continuation.finish()
        if removed { count.wrappingSubtract(1, ordering: .relaxed) }
    }

    /// Accepts subscribers again (a console server starting).
    func reopen() {
        subscribers.withLock { $0.finished = false }
    }

    /// Ends every stream and refuses new subscribers until `reopen`.
    func finishAll() {
        let all = subscribers.withLock { state in
            state.finished = true
            defer { state.all = [:] }
            return Array(state.all.values)
        }
        count.store(0, ordering: .relaxed)
        for subscription in all { subscription.continuation.finish() }
    }

    /// The server-sent event for `item`: a `data:` line of JSON for a frame, an `event: dropped`
    /// for lost frames. `meter` names the meter at the frame's address on its line.
    static func sse(_ item: Item, meter: (String, UInt8) -> String?) -> String {
        switch item {
        case let .dropped(n):
            return "event: dropped\ndata: {\"dropped\":\(n),\"reason\":\"this client reads too slowly\"}\n\n"
        case let .frame(event):
            return "data: " + json(event, meter: meter) + "\n\n"
        }
    }

    /// One frame as a JSON object: time, line, meter (null if unknown), direction, hex.
    static func json(_ event: Event, meter: (String, UInt8) -> String?) -> String {
        let frame = event.frame
        let name = meter(event.line, frame.address).map(JSONText.string) ?? "null"
        return "{\"time\":\"\(Timestamp.iso8601(nanoseconds: frame.time))\",\"line\":\(JSONText.string(event.line)),"
            + "\"meter\":\(name),\"direction\":\"\(frame.direction.rawValue)\",\"hex\":\"\(hexDump(frame.bytes))\"}"
    }
}
