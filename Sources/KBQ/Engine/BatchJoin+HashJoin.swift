/// A hash join on an equality filter. A step that shares no variable with the steps before
/// it (`?x is_a Person, ?y is_a Person`) would be made once for every row that reaches it,
/// a cross product that the filter after it (`?x.label = ?y.label`) then thins: 40,000 rows
/// on each side are 1.6 billion candidates. Here the step's rows are made once per run, and
/// grouped by the hash of their side of the filter; each incoming row is paired with the
/// rows of its own side's hash only.
///
/// The filter step stays after it and decides every pair, so a pair made here is a
/// candidate, never an answer by itself: the hash only has to give equal values equal
/// hashes (`BindingFilter.hashKey`). A row whose side cannot be read as a key (text beyond
/// ASCII, a value kept boxed) is paired with every row of the other side. Each row's pairs
/// come in the order the step made its rows, so the answers come in the cross product's
/// order (BatchJoinTests and BindingFilterTests compare them with the general evaluator).
extension BatchJoin {
    final class HashJoinOp {
        /// The step that shares no variable with the steps before it.
        let inner: Op
        /// The filter's side read from the incoming rows, and the side read from the
        /// step's own rows.
        let probe: BindingFilter.Side
        let build: BindingFilter.Side
        /// The step's rows in this run, grouped by their hashes, and the rows whose side is
        /// no key.
        var rows: BindingBatch? = nil
        var buckets = HashBuckets()
        var unkeyed: [Int32] = []
        var rowsOut = 0

        init(inner: Op, probe: BindingFilter.Side, build: BindingFilter.Side) {
            (self.inner, self.probe, self.build) = (inner, probe, build)
        }

        /// Clears what a run made (a run starts, and the store may have changed).
        func reset() {
            rows = nil
            buckets = HashBuckets()
            unkeyed = []
            rowsOut = 0
        }
    }

    /// A hash join for step `step`, which `following` (the step after it) may equate with
    /// earlier rows; nil when it is not such a pair. `before`: every variable an earlier
    /// step may bind.
    static func hashJoin(_ op: Op, binding stepVariables: Set<Int>, followedBy following: JoinPlan.Step?, before: Set<Int>) -> HashJoinOp? {
        guard !before.isEmpty, !stepVariables.isEmpty, stepVariables.isDisjoint(with: before),
              case .filter(let e, _, _, _)? = following, let filter = BindingFilter(e), filter.test == .compare, filter.op == .equal,
              let l = filter.left.variable, let r = filter.right.variable
        else { return nil }
        switch op {
        case .pattern(let p) where p.joining == .inner: break
        case .isA: break
        default: return nil
        }
        if before.contains(l), stepVariables.contains(r) { return HashJoinOp(inner: op, probe: filter.left, build: filter.right) }
        if before.contains(r), stepVariables.contains(l) { return HashJoinOp(inner: op, probe: filter.right, build: filter.left) }
        return nil
    }

    /// Every variable a step may bind (in some rows, not necessarily all).
    static func mayBind(_ step: JoinPlan.Step) -> Set<Int> {
        switch step {
        case .pattern(let p): return Set(p.variables)
        case .isA(let a): return Set([a.subject, a.type].filter { $0.kind == .variable }.map(\.variable))
        case .path(let p): return Set(p.variables)
        case .call(let c): return Set(c.variables)
        case .optional(let inner): return inner.reduce(into: Set<Int>()) { $0.formUnion(mayBind($1)) }
        case .or(let branches): return branches.joined().reduce(into: Set<Int>()) { $0.formUnion(mayBind($1)) }
        case .filter, .absorbed, .not: return []
        }
    }

    dynamic func expandHashJoin(_ h: HashJoinOp, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        if h.rows == nil { try buildHashSide(h) }
        let rows = h.rows!
        guard rows.count > 0 else { return }
        var left: [Int32] = []
        var right: [Int32] = []
        left.reserveCapacity(BatchJoin.batchRows)
        right.reserveCapacity(BatchJoin.batchRows)
        func emit() throws {
            guard !left.isEmpty else { return }
            h.rowsOut += left.count
            try next(BatchJoin.paired(batch, left, rows, right))
            left.removeAll(keepingCapacity: true)
            right.removeAll(keepingCapacity: true)
        }
        // Every row of the step, for an incoming row whose side is no key (made if one is met).
        var all: [Int32]? = nil
        // Held here: read from the operator at each row, its arrays were retained and released.
        let (buckets, unkeyed) = (h.buckets, h.unkeyed)
        try entities.withNames { names in
            try literals.withPayloads { payloads in
                let tables = BindingFilter.Tables(names: names, literals: payloads)
                var text = BindingFilter.Text.allocate()
                defer { text.free() }
                try batch.column(h.probe.variable).withUnsafeBufferPointer { column in
                    for r in 0..<batch.count {
                        let key = BindingFilter.scalar(h.probe, r, column, tables, &text).map { BindingFilter.hashKey($0, text) }
                        // The rows of the key's hash and those with no key, in the step's order.
                        let matches: ArraySlice<Int32>
                        if let key {
                            matches = BatchJoin.merged(buckets.rows(key), unkeyed)
                        } else {
                            if all == nil { all = Array(0..<Int32(rows.count)) }
                            matches = all![...]
                        }
                        for j in matches {
                            left.append(Int32(r))
                            right.append(j)
                            if left.count == BatchJoin.batchRows { try emit() }
                        }
                    }
                }
            }
        }
        try emit()
    }

    /// The step's rows for this run, made once from a row of nothing bound, and grouped.
    private func buildHashSide(_ h: HashJoinOp) throws {
        let rows = try collect([h.inner], startBatch)
        var keyed: [(key: UInt64, row: Int32)] = []
        var unkeyed: [Int32] = []
        entities.withNames { names in
            literals.withPayloads { payloads in
                let tables = BindingFilter.Tables(names: names, literals: payloads)
                var text = BindingFilter.Text.allocate()
                defer { text.free() }
                rows.column(h.build.variable).withUnsafeBufferPointer { column in
                    for j in 0..<rows.count {
                        if let s = BindingFilter.scalar(h.build, j, column, tables, &text) {
                            keyed.append((BindingFilter.hashKey(s, text), Int32(j)))
                        } else {
                            unkeyed.append(Int32(j))
                        }
                    }
                }
            }
        }
        (h.rows, h.buckets, h.unkeyed) = (rows, HashBuckets(keyed), unkeyed)
    }

    /// Rows by key: the rows grouped by key (each key's in increasing order), and an open
    /// addressing table from a key to where its rows start, a slot holding the key and its
    /// rows' bounds together, so that a probe reads one place (a dictionary of arrays made
    /// an array a key, and hashed every key again; three arrays were three cache misses).
    struct HashBuckets {
        struct Slot {
            var key: UInt64 = 0
            /// Where the key's rows start and end in `rowsByKey` (`end` 0: an empty slot; a
            /// key has a row at least).
            var start: Int32 = 0
            var end: Int32 = 0
        }
        private var rowsByKey: [Int32] = []
        private var slots: [Slot] = []

        init() {}

        /// Groups the rows by key in one pass and places them by counting (a sort of the
        /// pairs by key was most of a build). Each key's rows keep the order they come in,
        /// which is increasing: `keyed` is in increasing row order, as `buildHashSide`
        /// makes it (out of order, the pairs are put in order first).
        init(_ given: [(key: UInt64, row: Int32)]) {
            let inOrder = !zip(given, given.dropFirst()).contains { $0.row > $1.row }
            let keyed = inOrder ? given : given.sorted { $0.row < $1.row }
            var size = 16
            while size < keyed.count * 2 { size *= 2 }
            let mask = size - 1
            // First each pair's slot, with `end` counting the slot's rows.
            var slots = [Slot](repeating: Slot(), count: size)
            var slotOf = [Int32](repeating: 0, count: keyed.count)
            for (i, pair) in keyed.enumerated() {
                var slot = HashBuckets.home(pair.key) & mask
                while slots[slot].end > 0 && slots[slot].key != pair.key { slot = (slot + 1) & mask }
                slots[slot].key = pair.key
                slots[slot].end += 1
                slotOf[i] = Int32(slot)
            }
            // Then where each key's rows start, in slot order, and the rows in place.
            var next = [Int32](repeating: 0, count: size)
            var at: Int32 = 0
            for slot in 0..<size where slots[slot].end > 0 {
                let count = slots[slot].end
                (slots[slot].start, slots[slot].end, next[slot]) = (at, at + count, at)
                at += count
            }
            rowsByKey = [Int32](repeating: 0, count: keyed.count)
            for (i, pair) in keyed.enumerated() {
                let slot = Int(slotOf[i])
                rowsByKey[Int(next[slot])] = pair.row
                next[slot] += 1
            }
            self.slots = slots
        }

        /// A key's first slot: the keys are hashes already, but their low bits are mixed in
        /// from the high ones all the same.
        @inline(__always) private static func home(_ key: UInt64) -> Int {
            Int(truncatingIfNeeded: key ^ key >> 32)
        }

        /// The rows of `key`, in increasing order.
        func rows(_ key: UInt64) -> ArraySlice<Int32> {
            guard !slots.isEmpty else { return [] }
            let bounds: Range<Int>? = slots.withUnsafeBufferPointer { slots in
                let mask = slots.count - 1
                var slot = HashBuckets.home(key) & mask
                while slots[slot].end > 0 {
                    if slots[slot].key == key { return Int(slots[slot].start)..<Int(slots[slot].end) }
                    slot = (slot + 1) & mask
                }
                return nil
            }
            return bounds.map { rowsByKey[$0] } ?? []
        }
    }

    /// Two increasing lists as one.
    static func merged(_ a: ArraySlice<Int32>, _ b: [Int32]) -> ArraySlice<Int32> {
        if b.isEmpty { return a }
        if a.isEmpty { return b[...] }
        var out: [Int32] = []
        out.reserveCapacity(a.count + b.count)
        var (i, j) = (a.startIndex, 0)
        while i < a.endIndex || j < b.count {
            if j == b.count || (i < a.endIndex && a[i] < b[j]) {
                out.append(a[i])
                i += 1
            } else {
                out.append(b[j])
                j += 1
            }
        }
        return out[...]
    }

    /// Pairs as rows: incoming row `left[k]` with the step's row `right[k]`. The step binds
    /// only variables the incoming rows leave unbound, and fills only its own evidence
    /// slots, so each column comes from the one side that has it.
    static func paired(_ batch: BindingBatch, _ left: [Int32], _ rows: BindingBatch, _ right: [Int32]) -> BindingBatch {
        var out = BindingBatch(count: left.count, width: batch.columns.count, slots: batch.evidence.count)
        left.withUnsafeBufferPointer { left in
            right.withUnsafeBufferPointer { right in
                for v in 0..<batch.columns.count {
                    if !rows.columns[v].isEmpty {
                        out.columns[v] = BindingBatch.gather(rows.columns[v], right)
                    } else if !batch.columns[v].isEmpty {
                        out.columns[v] = BindingBatch.gather(batch.columns[v], left)
                    }
                }
                for s in 0..<batch.evidence.count {
                    if !rows.evidence[s].isEmpty {
                        out.evidence[s] = BindingBatch.gather(rows.evidence[s], right)
                    } else if !batch.evidence[s].isEmpty {
                        out.evidence[s] = BindingBatch.gather(batch.evidence[s], left)
                    }
                }
            }
        }
        return out
    }
}
