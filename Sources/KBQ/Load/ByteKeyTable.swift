import CKBQPrefetch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Names to numbers, looked up by their UTF-8 bytes without making a String: the loader's
/// table of entity ids, where a million statements make several million lookups.
///
/// Open addressing over 32-byte slots that hold the key's hash, its first 16 bytes, its
/// place in the arena and its value: looking up a name of up to 16 bytes (most ids) touches
/// one slot, one cache miss; a longer one reads the rest of the key from the arena.
struct ByteKeyTable {
    private struct Slot {
        var hash: UInt32 = 0
        /// 0: empty (keys are never empty).
        var length: UInt16 = 0
        var offset: UInt32 = 0
        var value: Int32 = 0
        /// The key's first 16 bytes, zero-padded.
        var head: UInt64 = 0
        var tail: UInt64 = 0
    }

    /// Eight bytes of `b` from `i`, zero-padded past its end.
    @inline(__always)
    private static func word(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        word(b, i, length: b.count - i)
    }

    /// The first `length` (up to eight) bytes of `b` from `i`, zero-padded: loaded whole
    /// and masked when eight bytes can be read there (a name inside a file, nearly always),
    /// else a byte at a time.
    @inline(__always)
    static func word(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, length n: Int) -> UInt64 {
        if i + 8 <= b.count {
            let w = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
            return n >= 8 ? w : w & ((1 << UInt64(8 * max(n, 0))) &- 1)
        }
        var w: UInt64 = 0
        for k in 0..<max(0, min(n, 8, b.count - i)) { w |= UInt64(b[i + k]) << UInt64(8 * k) }
        return w
    }

    private var arena: [UInt8] = []
    private var slots: [Slot]
    private var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: Slot(), count: size)
    }

    /// A hash of the bytes read eight at a time (names are short: one or two words).
    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawPointer(b.baseAddress!)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        while i + 8 <= b.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < b.count {
            var w: UInt64 = 0
            for k in i..<b.count { w |= UInt64(b[k]) << UInt64((k - i) * 8) }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        return h ^ h >> 29
    }

    /// Whether `count` bytes at `a` and `b` are equal, a word at a time (no call).
    @inline(__always)
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    /// Adds a key (a later duplicate is ignored: the first declaration wins).
    mutating func insert(_ key: String, _ value: Int32) {
        var k = key
        k.withUTF8 { insert($0, value) }
    }

    mutating func insert(_ b: UnsafeBufferPointer<UInt8>, _ value: Int32) {
        guard lookup(b) == nil else { return }
        insert(distinct: b, value)
    }

    /// Adds a key known not to be in the table yet (entity ids, which the store keeps
    /// distinct): one probe, not two.
    mutating func insert(distinct b: UnsafeBufferPointer<UInt8>, _ value: Int32) {
        guard b.count > 0 else { return }
        insert(distinct: b, hash: ByteKeyTable.hash(b), value)
    }

    /// `insert(distinct:_:)`, the key's hash computed already.
    mutating func insert(distinct b: UnsafeBufferPointer<UInt8>, hash h: UInt64, _ value: Int32) {
        guard b.count > 0, b.count < 1 << 16, arena.count + b.count < 1 << 32 else { return }
        if (count + 1) * 2 > slots.count { grow() }
        place(Slot(
            hash: UInt32(truncatingIfNeeded: h), length: UInt16(b.count), offset: UInt32(arena.count), value: value,
            head: ByteKeyTable.word(b, 0), tail: ByteKeyTable.word(b, 8)), h)
        arena.append(contentsOf: b)
        count += 1
    }

    private mutating func place(_ slot: Slot, _ h: UInt64) {
        var i = Int(truncatingIfNeeded: h) & (slots.count - 1)
        while slots[i].length != 0 { i = (i + 1) & (slots.count - 1) }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(), count: slots.count * 2)
        for s in old where s.length != 0 {
            let h = arena.withUnsafeBufferPointer { ByteKeyTable.hash(UnsafeBufferPointer(rebasing: $0[Int(s.offset)..<Int(s.offset) + Int(s.length)])) }
            place(s, h)
        }
    }

    /// Starts bringing in the home slot of a key whose `hash` is `h`.
    @inline(__always)
    func prefetch(hash h: UInt64) {
        slots.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + (Int(truncatingIfNeeded: h) & ($0.count - 1))) }
    }

    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard key.count > 0 else { return nil }
        return lookup(key, hash: ByteKeyTable.hash(key))
    }

    /// `lookup(key)`, its hash computed already.
    func lookup(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32? {
        guard key.count > 0 else { return nil }
        return lookup(key, hash: h, head: ByteKeyTable.word(key, 0), tail: ByteKeyTable.word(key, 8))
    }

    /// `lookup(key)`, its hash and first sixteen bytes (`word(key, 0)` and `word(key, 8)`)
    /// read already: a key of up to sixteen bytes is not read at all.
    func lookup(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64, head: UInt64, tail: UInt64) -> Int32? {
        guard key.count > 0 else { return nil }
        let tag = UInt32(truncatingIfNeeded: h)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            while slots[i].length != 0 {
                let s = slots[i]
                if s.hash == tag, s.head == head, s.tail == tail, Int(s.length) == key.count,
                    key.count <= 16 || arena.withUnsafeBufferPointer({
                        ByteKeyTable.equal($0.baseAddress! + Int(s.offset) + 16, key.baseAddress! + 16, key.count - 16)
                    })
                {
                    return s.value
                }
                i = (i + 1) & mask
            }
            return nil
        }
    }
}
