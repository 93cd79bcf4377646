import CKBQPrefetch

/// A pattern's matches grouped by the term at one of its ends: the build side of a hash
/// join. Each match is its statement and the values it gives the pattern's variables, so a
/// probe reads no statement. Each group keeps its matches in statement order, which is the
/// order an index lookup of the same end would give them, so a join answers in the same
/// order whichever way it runs.
///
/// Keyed densely when the keys' range is small enough (`dense`), else hashed (`slots`).
///
/// A class: a step reaches it at every row, and a struct of five arrays was retained five
/// times over at each. Never changed once made, so queries on any thread may share one
/// (`FactStore.derived`).
final class KeyedStatements: @unchecked Sendable {
    /// Open addressing: a key and where its group's statements are in `statements`, in
    /// one slot (`end` 0: an empty slot; a group is never empty); a power of two in size,
    /// at most half full. One slot, not a key, a group number and the group's bounds in
    /// three arrays: a probe missed the cache once for each.
    struct Slot {
        var key: UInt32 = 0
        var start: Int32 = 0
        var end: Int32 = 0
    }
    private let slots: [Slot]
    /// Dense keys instead (`slots` then empty): key k's group at `dense[k] ..< dense[k + 1]`.
    /// Entities' terms are their numbers, so a side keyed by entities, as most are, has
    /// keys few times fewer than their range: a group is then two loads at the key's
    /// place, where a probe hashed it and walked slots that missed the cache.
    private let dense: [Int32]
    let statements: [StatementID]
    /// Match n's values of the pattern's variables at `n * width ..< (n + 1) * width`.
    let values: [UInt64]
    let width: Int

    /// `keys[i]` is the key of `sids[i]`, whose values are `values[i * width ..< (i + 1) *
    /// width]`; `sids` in statement order.
    init(keys: [UInt32], sids: [StatementID], values: [UInt64], width: Int) {
        self.width = width
        let range = Int(keys.max() ?? 0) + 1
        if range <= KeyedStatements.denseRange(keys.count) {
            (slots, dense) = ([], KeyedStatements.counted(keys, range: range))
            (statements, self.values) = KeyedStatements.grouped(keys, starts: dense, sids, values, width: width)
            return
        }
        dense = []
        var size = 16
        while size < keys.count * 2 { size <<= 1 }
        // First each slot's group number in `start` (`end` 1 marks it taken), then its
        // group's bounds: a key and its group in one slot, so an insertion's probe reads
        // one place, not two arrays.
        var slots = [Slot](repeating: Slot(), count: size)
        var groupOf = [Int32](repeating: 0, count: keys.count)
        var counts: [Int32] = []
        let mask = size - 1
        // Through buffers: a build touches every match twice, and the arrays' checks and
        // uniqueness tests were most of its time.
        slots.withUnsafeMutableBufferPointer { slots in
            groupOf.withUnsafeMutableBufferPointer { groupOf in
                keys.withUnsafeBufferPointer { keys in
                    for i in 0..<keys.count {
                        // The slot of a key some places on brought in meanwhile: a side of
                        // tens of thousands of keys outgrows the caches, and a probe's miss
                        // at a time was most of a build.
                        if i + KeyedStatements.fetchAhead < keys.count {
                            kbq_prefetch(slots.baseAddress! + (KeyedStatements.hash(keys[i + KeyedStatements.fetchAhead]) & mask))
                        }
                        let key = keys[i]
                        var slot = KeyedStatements.hash(key) & mask
                        while slots[slot].end != 0 && slots[slot].key != key { slot = (slot + 1) & mask }
                        if slots[slot].end == 0 {
                            slots[slot] = Slot(key: key, start: Int32(counts.count), end: 1)
                            counts.append(0)
                        }
                        let g = slots[slot].start
                        groupOf[i] = g
                        counts[Int(g)] += 1
                    }
                }
            }
        }
        var starts = [Int32](repeating: 0, count: counts.count + 1)
        for (g, c) in counts.enumerated() { starts[g + 1] = starts[g] + c }
        for slot in 0..<size where slots[slot].end != 0 {
            let g = Int(slots[slot].start)
            (slots[slot].start, slots[slot].end) = (starts[g], starts[g + 1])
        }
        (statements, self.values) = KeyedStatements.grouped(groupOf, starts: starts, sids, values, width: width)
        self.slots = slots
    }

    /// The matches and their values placed group by group: match i's in group `groupOf[i]`,
    /// which starts at `starts[groupOf[i]]`; within a group, in the matches' order.
    private static func grouped<G: FixedWidthInteger>(_ groupOf: [G], starts: [Int32], _ sids: [StatementID], _ values: [UInt64],
                                                      width: Int) -> ([StatementID], [UInt64]) {
        var fill = starts
        var grouped = [StatementID](repeating: 0, count: sids.count)
        var groupedValues = [UInt64](repeating: 0, count: values.count)
        // Through buffers: a build touches every match twice, and the arrays' checks and
        // uniqueness tests were most of its time.
        fill.withUnsafeMutableBufferPointer { fill in
            grouped.withUnsafeMutableBufferPointer { grouped in
                groupedValues.withUnsafeMutableBufferPointer { groupedValues in
                    sids.withUnsafeBufferPointer { sids in
                        values.withUnsafeBufferPointer { values in
                            for (i, g) in groupOf.enumerated() {
                                let to = Int(fill[Int(g)])
                                grouped[to] = sids[i]
                                for j in 0..<width { groupedValues[to * width + j] = values[i * width + j] }
                                fill[Int(g)] += 1
                            }
                        }
                    }
                }
            }
        }
        return (grouped, groupedValues)
    }

    /// The most keys' range a table of `n` keys takes densely: a table's own size again,
    /// or a few thousand entries, whichever is more.
    @inline(__always) static func denseRange(_ n: Int) -> Int { max(4 * n, 4096) }

    /// Where each key's group starts, for keys below `range`, and the end after them.
    private static func counted(_ keys: [UInt32], range: Int) -> [Int32] {
        var starts = [Int32](repeating: 0, count: range + 1)
        starts.withUnsafeMutableBufferPointer { starts in
            for key in keys { starts[Int(key) + 1] += 1 }
            for k in 0..<range { starts[k + 1] += starts[k] }
        }
        return starts
    }

    /// Where the statements of `key` are in `statements` (empty when it has none).
    @inline(__always) func group(_ key: UInt32) -> Range<Int> { lookup.group(key) }

    /// The table's slots in a value, for a probe loop to hold as a local: read through
    /// the object at every row, the array was a retain and a release.
    var lookup: Lookup { Lookup(slots: slots, dense: dense) }

    /// The table read in place (`withGroups`), for a walk that reads many groups.
    struct Groups {
        let lookup: Lookup
        let values: UnsafeBufferPointer<UInt64>
        let statements: UnsafeBufferPointer<StatementID>
        let width: Int

        /// Each match of `key`, in statement order: its first value and its statement.
        @inline(__always) func forEach(_ key: UInt32, _ body: (UInt64, StatementID) throws -> Void) rethrows {
            for n in lookup.group(key) { try body(values[n * width], statements[n]) }
        }
    }

    /// Calls `body` with the table read in place, its arrays held for the call: read
    /// through the object at each match, each was a retain and a release.
    func withGroups<R>(_ body: (Groups) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer { values in
            try statements.withUnsafeBufferPointer { statements in
                try body(Groups(lookup: lookup, values: values, statements: statements, width: width))
            }
        }
    }

    struct Lookup {
        let slots: [Slot]
        let dense: [Int32]

        /// Where the statements of `key` are in `statements` (empty when it has none).
        @inline(__always) func group(_ key: UInt32) -> Range<Int> {
            if !dense.isEmpty {
                return dense.withUnsafeBufferPointer { dense in
                    Int(key) < dense.count - 1 ? Int(dense[Int(key)])..<Int(dense[Int(key) + 1]) : 0..<0
                }
            }
            return slots.withUnsafeBufferPointer { slots in
                let mask = slots.count - 1
                var slot = KeyedStatements.hash(key) & mask
                while slots[slot].end != 0 {
                    if slots[slot].key == key { return Int(slots[slot].start)..<Int(slots[slot].end) }
                    slot = (slot + 1) & mask
                }
                return 0..<0
            }
        }
    }

    /// How many keys ahead a build brings in a key's slot.
    private static let fetchAhead = 12

    @inline(__always) fileprivate static func hash(_ key: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }
}
