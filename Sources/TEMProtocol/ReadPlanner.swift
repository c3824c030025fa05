/// The T2K reads one poll makes: each at most 64 bytes.
public struct ReadPlan: Sendable, Hashable, CustomStringConvertible {
    /// The reads, in address order.
    public let reads: [Command]

    /// Data bytes the reads ask for.
    public var dataBytes: Int { reads.reduce(0) { $0 + $1.replyLength } }

    /// Bytes on the wire for the whole plan, requests and replies.
    public var wireBytes: Int {
        reads.reduce(0) { $0 + (FrameLayout.overhead + $1.requestData.count) + (FrameLayout.overhead + $1.replyLength) }
    }

    public var description: String { reads.map(\.description).joined(separator: ", ") }
}

/// Plans the fewest reads that cover a set of T2K byte ranges.
///
/// Every range is atomic: it is never split across two reads, so an integrator's L and F
/// parts, a 32-bit value or the six clock bytes always come from one meter reply.
public enum ReadPlanner {
    /// The fewest reads of at most `maxLength` bytes such that each range lies wholly inside one
    /// read; each read is trimmed to the ranges it serves.
    ///
    /// A range [a, b] fits a read starting at s exactly when b − maxLength + 1 ≤ s ≤ a; choosing
    /// read starts is then the classic "fewest points stabbing all intervals" problem, solved
    /// optimally by taking the intervals in order of their right end (a) greedily.
    public static func plan(_ ranges: [ClosedRange<UInt16>], maxLength: Int = Command.maxReadLength) -> ReadPlan {
        let unique = Set(ranges).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        for r in unique {
            precondition(r.count <= maxLength, "range \(r) is longer than one read")
        }
        // Ordered by right end of the allowed-start interval, which is the range's lower bound.
        var reads: [Command] = []
        var current: (start: Int, low: Int, high: Int)?
        for r in unique {
            let a = Int(r.lowerBound), b = Int(r.upperBound)
            if let c = current, b - maxLength + 1 <= c.start {
                current = (c.start, min(c.low, a), max(c.high, b))
                continue
            }
            if let c = current { reads.append(read(c.low, c.high)) }
            current = (a, a, b)
        }
        if let c = current { reads.append(read(c.low, c.high)) }
        return ReadPlan(reads: reads)
    }

    /// The plan for a set of values (status and archive values need no T2K read).
    public static func plan(values: [ValueDefinition], extraRanges: [ClosedRange<UInt16>] = []) -> ReadPlan {
        plan(values.flatMap(\.t2kRanges) + extraRanges)
    }

    private static func read(_ low: Int, _ high: Int) -> Command {
        .readT2K(address: UInt16(low), length: UInt8(high - low + 1))
    }
}
