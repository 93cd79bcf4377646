#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Names to numbers, looked up by their UTF-8 bytes without making a String: the loader's
/// table of entity ids, where a million statements make several million lookups.
///
/// Open addressing over 16-byte slots that hold the key's hash, place in the arena and
/// value, so a lookup touches one slot and the key's bytes: two cache misses, not four.
struct ByteKeyTable {
    private struct Slot {
        var hash: UInt32 = 0
        /// 0: empty (keys are never empty).
        var length: UInt16 = 0
        var offset: UInt32 = 0
        var value: Int32 = 0
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
        k.withUTF8 { b in
            guard b.count > 0, b.count < 1 << 16, arena.count + b.count < 1 << 32, lookup(b) == nil else { return }
            if (count + 1) * 2 > slots.count { grow() }
            let h = ByteKeyTable.hash(b)
            place(Slot(hash: UInt32(truncatingIfNeeded: h), length: UInt16(b.count), offset: UInt32(arena.count), value: value), h)
            arena.append(contentsOf: b)
            count += 1
        }
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

    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard key.count > 0 else { return nil }
        let h = ByteKeyTable.hash(key)
        let tag = UInt32(truncatingIfNeeded: h)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { a in
                while slots[i].length != 0 {
                    let s = slots[i]
                    if s.hash == tag, Int(s.length) == key.count,
                        ByteKeyTable.equal(a.baseAddress! + Int(s.offset), key.baseAddress!, key.count)
                    {
                        return s.value
                    }
                    i = (i + 1) & mask
                }
                return nil
            }
        }
    }
}
