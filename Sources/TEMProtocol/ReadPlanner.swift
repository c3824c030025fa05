/// One read of a plan: `length` (1...64) bytes of T2K memory from `address`.
public struct T2KRead: Sendable, Hashable, CustomStringConvertible {
    public let address: UInt16
    public let length: UInt8

    public init(address: UInt16, length: UInt8) {
        precondition((1...UInt8(Command.maxReadLength)).contains(length), "a T2K read is 1...64 bytes")
        self.address = address
        self.length = length
    }

    /// The same read, as `ReadPlanner` tests and the protocol notes write it.
    public static func readT2K(address: UInt16, length: UInt8) -> T2KRead { T2KRead(address: address, length: length) }

    /// The command that performs it.
    public var command: Command { .readT2K(address: address, length: length) }

    /// The bytes it covers.
    public var range: ClosedRange<UInt16> { address...(address + UInt16(length) - 1) }

    public var replyLength: Int { Int(length) }

    public var description: String { command.description }
}

/// The T2K reads one poll makes: each at most 64 bytes. Executed by `MeterClient.read(_:address:)`.
public struct ReadPlan: Sendable, Hashable, CustomStringConvertible {
    /// The reads, in address order.
    public let reads: [T2KRead]

    public init(reads: [T2KRead]) { self.reads = reads }

    /// Data bytes the reads ask for.
    public var dataBytes: Int { reads.reduce(0) { $0 + $1.replyLength } }

    /// Bytes on the wire for the whole plan, requests and replies.
    public var wireBytes: Int { reads.reduce(0) { $0 + Self.wireBytes($1) } }

    /// Bytes on the wire for one exchange: the request frame and the reply frame.
    public static func wireBytes(_ read: T2KRead) -> Int {
        FrameLayout.overhead + read.command.requestData.count + FrameLayout.overhead + read.replyLength
    }

    public var description: String { reads.map(\.description).joined(separator: ", ") }
}

/// Plans the fewest reads that cover a set of T2K byte ranges, and among those the fewest bytes.
///
/// Every range is atomic: it is never split across two reads, so an integrator's L and F
/// parts, a 32-bit value or the six clock bytes always come from one meter reply.
public enum ReadPlanner {
    /// The fewest reads of at most `maxLength` bytes such that each range lies wholly inside one
    /// read; among plans with that many reads, the one with the fewest bytes on the wire.
    ///
    /// With the ranges ordered by start, some optimal plan reads consecutive runs of them (the
    /// greedy "fewest points stabbing all intervals" argument: a range [a, b] fits a read
    /// starting at s exactly when b − maxLength + 1 ≤ s ≤ a). A dynamic programme over those
    /// runs minimises (reads, bytes): O(n²) for n ranges, a few hundred at most.
    public static func plan(_ ranges: [ClosedRange<UInt16>], maxLength: Int = Command.maxReadLength) -> ReadPlan {
        let sorted = Set(ranges).sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        for r in sorted {
            precondition(r.count <= maxLength, "range \(r) is longer than one read")
        }
        let n = sorted.count
        // best[j]: the cheapest plan for the first j ranges, as (reads, bytes, start of last run).
        var best = [(reads: Int, bytes: Int, from: Int)](repeating: (Int.max, Int.max, 0), count: n + 1)
        best[0] = (0, 0, 0)
        for i in 0..<n where best[i].reads != Int.max {
            let low = Int(sorted[i].lowerBound)
            var high = low
            for j in i..<n {
                high = max(high, Int(sorted[j].upperBound))
                guard high - low + 1 <= maxLength else { break }
                let cost = (reads: best[i].reads + 1, bytes: best[i].bytes + ReadPlan.wireBytes(read(low, high)), from: i)
                if (cost.reads, cost.bytes) < (best[j + 1].reads, best[j + 1].bytes) { best[j + 1] = cost }
            }
        }
        var reads: [T2KRead] = []
        var j = n
        while j > 0 {
            let i = best[j].from
            let high = sorted[i..<j].map { Int($0.upperBound) }.max()!
            let low = Int(sorted[i].lowerBound)
            reads.append(read(low, high))
            j = i
        }
        return ReadPlan(reads: reads.reversed())
    }

    /// The plan for a set of values (status and archive values need no T2K read), with the
    /// `comma` codes read at `comma`.
    public static func plan(
        values: [ValueDefinition], extraRanges: [ClosedRange<UInt16>] = [], comma: CommaAddress = .listed
    ) -> ReadPlan {
        plan(values.flatMap { $0.t2kRanges(comma: comma) } + extraRanges)
    }

    /// The T2K read of bytes `low`...`high`.
    private static func read(_ low: Int, _ high: Int) -> T2KRead {
        T2KRead(address: UInt16(low), length: UInt8(high - low + 1))
    }
}
