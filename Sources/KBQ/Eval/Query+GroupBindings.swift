/// Grouping over the join's batches: when every grouping key and every aggregate's argument
/// is a plain variable (`find ?a, count(?s) ... group by ?a`), each batch's rows are given
/// their groups from the key columns' machine words, and counted, without a Value or an
/// evidence list per answer; a Value is made per row only for a sum, min, max or average,
/// and per distinct binding for a `distinct` call.
extension PreparedQuery {
    /// The groups, as `aggregate` would give them (same groups, in the same order, with the
    /// same results and evidence), or nil when the query is not of that form.
    func aggregateBindings(_ exec: Execution) throws -> [Collected]? {
        guard allowIDJoin, joinProgram != nil else { return nil }
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        var keyVariables: [Int] = []
        for e in keyExprs {
            guard case .slot(.variable(let v)) = e else { return nil }
            keyVariables.append(v)
        }
        let calls = aggregateCalls
        var arguments: [Int?] = []
        for call in calls {
            guard let a = call.argument else { arguments.append(nil); continue }
            guard case .slot(.variable(let v)) = a else { return nil }
            arguments.append(v)
        }
        let fresh = calls.map { Accumulator(function: $0.function, distinct: $0.distinct, range: $0.range) }
        // A count that is not distinct needs no value: only whether the variable is bound.
        let plainCount = calls.map { $0.function == "count" && !$0.distinct }
        guard let join = join(exec) else { return nil }
        var groups = BindingGroups(keyVariables, entityCount: store.entities.count)
        var firstBindings: [[UInt64]] = []
        var accumulators: [[Accumulator]] = []
        // Per call, per group: the plain counts, and the distinct bindings of a distinct call.
        var counts: [[Int]] = calls.map { _ in [] }
        var distinctBindings = calls.map { _ in DistinctPairs() }
        // Each group's statements as the join gives them (Int32s: a repeat is found by
        // comparing words, not Evidence values), made Evidence at the end.
        var evidence: [[StatementID]] = []
        let ops = exec.ops
        let source = self.source
        let allVariables = Array(0..<c.variables.count)
        var groupOfRow: [Int32] = []
        try join.runBatches { batch in
            try exec.checkLimits()
            groups.assign(batch, &groupOfRow)
            if groups.count > firstBindings.count {
                // New groups: their first rows, met in this batch in group order.
                var rows: [Int32] = []
                for (r, g) in groupOfRow.enumerated() where Int(g) == firstBindings.count + rows.count { rows.append(Int32(r)) }
                let first = batch.gathered(rows).rows(allVariables)
                for n in rows.indices { firstBindings.append(Array(first[n * allVariables.count..<(n + 1) * allVariables.count])) }
                for i in calls.indices { counts[i].append(contentsOf: repeatElement(0, count: rows.count)) }
                accumulators.append(contentsOf: repeatElement(fresh, count: rows.count))
                evidence.append(contentsOf: repeatElement([], count: rows.count))
            }
            for (i, argument) in arguments.enumerated() {
                // An unbound argument has no record: it is not counted.
                let column = argument.map { batch.columns[$0] } ?? []
                if plainCount[i] || calls[i].distinct {
                    // A distinct call counts each (group, binding) pair the first time.
                    let distinct = calls[i].distinct
                    counts[i].withUnsafeMutableBufferPointer { n in
                        if distinct {
                            if argument == nil {
                                for g in groupOfRow where distinctBindings[i].insert(g, 1) { n[Int(g)] += 1 }
                            } else if !column.isEmpty {
                                for (r, g) in groupOfRow.enumerated() where column[r] != 0 && distinctBindings[i].insert(g, column[r]) { n[Int(g)] += 1 }
                            }
                            return
                        }
                        if argument == nil {
                            for g in groupOfRow { n[Int(g)] += 1 }
                        } else if !column.isEmpty {
                            for (r, g) in groupOfRow.enumerated() where column[r] != 0 { n[Int(g)] += 1 }
                        }
                    }
                } else {
                    for (r, g) in groupOfRow.enumerated() {
                        var value = Value.integer(1)
                        if argument != nil {
                            guard !column.isEmpty, column[r] != 0 else { continue }
                            value = join.decode(column[r])
                        }
                        try accumulators[Int(g)][i].add(value, ops, source)
                    }
                }
            }
            let filled = batch.evidence.filter { !$0.isEmpty }
            for (r, g) in groupOfRow.enumerated() where evidence[Int(g)].count < PreparedQuery.evidencePerGroup {
                for column in filled where column[r] != BindingBatch.noStatement {
                    let s = column[r]
                    if !evidence[Int(g)].contains(s) { evidence[Int(g)].append(s) }
                }
            }
        }
        if firstBindings.isEmpty && keyVariables.isEmpty {
            firstBindings = [Array(repeating: 0, count: c.variables.count)]
            accumulators = [fresh]
            evidence = [[]]
            for i in calls.indices { counts[i] = [0] }
        }
        // A distinct count is its pairs' count; any other distinct call folds its values.
        for i in calls.indices where calls[i].distinct && calls[i].function != "count" {
            try distinctBindings[i].forEach { g, b in
                try accumulators[Int(g)][i].add(arguments[i] == nil ? .integer(1) : join.decode(b), ops, source)
            }
        }
        var out: [Collected] = []
        out.reserveCapacity(firstBindings.count)
        for g in firstBindings.indices {
            for i in calls.indices where plainCount[i] || (calls[i].distinct && calls[i].function == "count") {
                if plainCount[i] {
                    accumulators[g][i].count = counts[i][g]
                } else {
                    accumulators[g][i] = Accumulator(function: "count", distinct: false, range: calls[i].range)
                    accumulators[g][i].count = counts[i][g]
                }
            }
            exec.row = firstBindings[g].map { $0 == 0 ? nil : join.decode($0) }
            let results = try accumulators[g].map { try $0.result(ops, source) }
            let values = try aggregatedProjections(results, exec)
            out.append((exec.row, values, evidence[g].map(JoinPlan.evidence), results, -1))
        }
        return out
    }
}

/// Groups of rows by the bindings of some variables, numbered in order of first
/// appearance: an entity key by its number in an array, any other key hashed.
struct BindingGroups {
    let keys: [Int]
    private var groupOfEntity: [Int32]
    private var groupOfBinding: [UInt64: Int32] = [:]
    private var groupOfBindings: [[UInt64]: Int32] = [:]
    private(set) var count = 0

    init(_ keys: [Int], entityCount: Int) {
        self.keys = keys
        groupOfEntity = keys.count == 1 ? Array(repeating: -1, count: entityCount) : []
    }

    /// The group of each row of `batch`, new groups numbered as their first rows come.
    mutating func assign(_ batch: BindingBatch, _ groupOf: inout [Int32]) {
        groupOf.removeAll(keepingCapacity: true)
        if keys.isEmpty {
            groupOf.append(contentsOf: repeatElement(0, count: batch.count))
            count = max(count, batch.count > 0 ? 1 : 0)
            return
        }
        if keys.count == 1 {
            let column = batch.columns[keys[0]]
            for r in 0..<batch.count {
                let b = column.isEmpty ? 0 : column[r]
                var g: Int32
                if b & ~0xFFFF_FFFF == JoinPlan.termTag, UInt32(truncatingIfNeeded: b) < UInt32(groupOfEntity.count) {
                    let e = Int(UInt32(truncatingIfNeeded: b))
                    if groupOfEntity[e] < 0 {
                        groupOfEntity[e] = Int32(count)
                        count += 1
                    }
                    g = groupOfEntity[e]
                } else if let known = groupOfBinding[b] {
                    g = known
                } else {
                    g = Int32(count)
                    groupOfBinding[b] = g
                    count += 1
                }
                groupOf.append(g)
            }
            return
        }
        let columns = keys.map { batch.columns[$0] }
        var key = [UInt64](repeating: 0, count: keys.count)
        for r in 0..<batch.count {
            for (j, column) in columns.enumerated() { key[j] = column.isEmpty ? 0 : column[r] }
            if let known = groupOfBindings[key] {
                groupOf.append(known)
            } else {
                groupOfBindings[key] = Int32(count)
                groupOf.append(Int32(count))
                count += 1
            }
        }
    }
}

/// A set of (group, binding) pairs, for `distinct` calls: open addressing over the two
/// words with a multiplicative hash (Set's seeded hashing cost more than the rest of a
/// distinct count), a power of two in size and at most half full. Bindings are never 0.
struct DistinctPairs {
    private var groups: [UInt32] = []
    private var bindings: [UInt64] = []
    private var count = 0

    /// Adds the pair; whether it was new.
    @inline(__always) mutating func insert(_ group: Int32, _ binding: UInt64) -> Bool {
        if (count + 1) * 2 > bindings.count { grow() }
        let mask = bindings.count - 1
        var slot = DistinctPairs.hash(group, binding) & mask
        while bindings[slot] != 0 {
            if bindings[slot] == binding && groups[slot] == UInt32(bitPattern: group) { return false }
            slot = (slot + 1) & mask
        }
        bindings[slot] = binding
        groups[slot] = UInt32(bitPattern: group)
        count += 1
        return true
    }

    /// Every pair, in no particular order.
    func forEach(_ body: (Int32, UInt64) throws -> Void) rethrows {
        for slot in bindings.indices where bindings[slot] != 0 { try body(Int32(bitPattern: groups[slot]), bindings[slot]) }
    }

    private mutating func grow() {
        let (oldGroups, oldBindings) = (groups, bindings)
        bindings = Array(repeating: 0, count: max(64, bindings.count * 2))
        groups = Array(repeating: 0, count: bindings.count)
        count = 0
        for slot in oldBindings.indices where oldBindings[slot] != 0 {
            _ = insert(Int32(bitPattern: oldGroups[slot]), oldBindings[slot])
        }
    }

    @inline(__always) private static func hash(_ group: Int32, _ binding: UInt64) -> Int {
        let k = binding &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: group)) &* 0xC2B2_AE3D_27D4_EB4F
        return Int(truncatingIfNeeded: k >> 29)
    }
}
