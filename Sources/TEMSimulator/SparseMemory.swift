/// Flash memory that reads 0xFF where nothing was written (erased Flash), stored in pages
/// allocated on first write so a meter with 1 MiB of mostly empty Flash stays small.
struct SparseMemory: Sendable, Hashable {
    static let pageSize = 4096
    /// Bytes of the memory.
    let size: Int
    private var pages: [Int: [UInt8]] = [:]

    init(size: Int) { self.size = size }

    /// `count` bytes at `address`; precondition: inside the memory.
    func read(at address: Int, count: Int) -> [UInt8] {
        precondition(address >= 0 && address + count <= size, "read outside Flash")
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var a = address
        while a < address + count {
            let page = a / Self.pageSize, offset = a % Self.pageSize
            let n = min(Self.pageSize - offset, address + count - a)
            if let bytes = pages[page] { out += bytes[offset..<(offset + n)] } else { out += repeatElement(0xFF, count: n) }
            a += n
        }
        return out
    }

    /// Writes `bytes` at `address`; precondition: inside the memory.
    mutating func write(_ bytes: [UInt8], at address: Int) {
        precondition(address >= 0 && address + bytes.count <= size, "write outside Flash")
        var i = 0
        while i < bytes.count {
            let a = address + i, page = a / Self.pageSize, offset = a % Self.pageSize
            let n = min(Self.pageSize - offset, bytes.count - i)
            pages[page, default: [UInt8](repeating: 0xFF, count: Self.pageSize)]
                .replaceSubrange(offset..<(offset + n), with: bytes[i..<(i + n)])
            i += n
        }
    }
}
