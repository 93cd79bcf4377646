#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Names to numbers, looked up by their UTF-8 bytes without making a String: the loader's
/// table of entity ids, where a million statements make several million lookups.
struct ByteKeyTable {
    private var arena: [UInt8] = []
    /// Per key: arena offset << 16 | length.
    private var spans: [UInt64] = []
    private var values: [Int32] = []
    /// Key numbers + 1 (0: empty), by hash; a power of two, at most half full.
    private var slots: [Int32]

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: 0, count: size)
    }

    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ h >> 32)
    }

    /// Adds a key (a later duplicate is ignored: the first declaration wins).
    mutating func insert(_ key: String, _ value: Int32) {
        var k = key
        k.withUTF8 { b in
            guard b.count < 1 << 16, lookup(b) == nil else { return }
            if (spans.count + 1) * 2 > slots.count { grow() }
            spans.append(UInt64(arena.count) << 16 | UInt64(b.count))
            arena.append(contentsOf: b)
            values.append(value)
            place(spans.count - 1, ByteKeyTable.hash(b))
        }
    }

    private mutating func place(_ n: Int, _ h: Int) {
        var slot = h & (slots.count - 1)
        while slots[slot] != 0 { slot = (slot + 1) & (slots.count - 1) }
        slots[slot] = Int32(n + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for n in spans.indices {
            let start = Int(spans[n] >> 16)
            let h = arena.withUnsafeBufferPointer { ByteKeyTable.hash(UnsafeBufferPointer(rebasing: $0[start..<start + Int(spans[n] & 0xFFFF)])) }
            place(n, h)
        }
    }

    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = ByteKeyTable.hash(key) & (slots.count - 1)
        return arena.withUnsafeBufferPointer { a in
            while slots[slot] != 0 {
                let n = Int(slots[slot]) - 1
                let start = Int(spans[n] >> 16)
                let length = Int(spans[n] & 0xFFFF)
                if length == key.count, memcmp(a.baseAddress! + start, key.baseAddress!, length) == 0 { return values[n] }
                slot = (slot + 1) & (slots.count - 1)
            }
            return nil
        }
    }
}
