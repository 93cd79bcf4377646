/// The few names a worker looks up on every line (predicates, qualifier keys), kept by
/// their first sixteen bytes and length in front of their `ByteKeyTable`: a hit costs two
/// loads and three compares, not a hash and a probe (a million lines look up some two
/// million such names). Names longer than sixteen bytes, and names too near the end of
/// the bytes to load sixteen, go to the table.
struct SmallNameCache {
    private struct Entry {
        var head: UInt64 = 0
        var tail: UInt64 = 0
        /// 0: empty (names are never empty).
        var length: Int32 = 0
        /// -1: not in the table.
        var value: Int32 = -1
    }

    private static let size = 128
    private var entries = [Entry](repeating: Entry(), count: SmallNameCache.size)

    /// `table.lookup(b[r])`, remembered.
    mutating func lookup(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, in table: ByteKeyTable) -> Int32? {
        let n = r.count
        guard n > 0, n <= 16, r.lowerBound + 16 <= b.count else { return table.lookup(UnsafeBufferPointer(rebasing: b[r])) }
        let p = UnsafeRawPointer(b.baseAddress! + r.lowerBound)
        var head = p.loadUnaligned(as: UInt64.self)
        var tail = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if n < 8 {
            head &= (1 << UInt64(8 * n)) &- 1
            tail = 0
        } else if n < 16 {
            tail &= (1 << UInt64(8 * (n - 8))) &- 1
        }
        let slot = Int(truncatingIfNeeded: ((head ^ tail &* 31) &* 0x9E37_79B9_7F4A_7C15) >> 57)
        let e = entries[slot]
        if e.length == Int32(n), e.head == head, e.tail == tail { return e.value >= 0 ? e.value : nil }
        let value = table.lookup(UnsafeBufferPointer(rebasing: b[r]))
        entries[slot] = Entry(head: head, tail: tail, length: Int32(n), value: value ?? -1)
        return value
    }
}
