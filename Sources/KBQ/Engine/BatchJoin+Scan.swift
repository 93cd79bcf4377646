/// The scan of a plain pattern step: one whose match is only its ends, its predicate and
/// its statement (no qualifier, no quoted pattern, no variable twice). Such a step needs no
/// scratch row, trail or undo per candidate: each candidate is checked against the row's
/// values of the step's positions and, when it passes, its values are written out a batch
/// at a time. Most steps are plain, and most of a query's candidates are read here.
///
/// Invariant: the rows, their order and their statements are those `matchRest` and `take`
/// make for the same candidates (BatchJoinTests and the random tests compare both with the
/// general evaluator).
extension BatchJoin {
    /// What a plain step's variable takes from a matching statement.
    enum Role: UInt8 { case subject, object, predicate, statement }

    /// The roles of `step.variables` in order, or nil when the step is not plain.
    static func plainRoles(_ step: JoinPlan.PatternStep) -> [Role]? {
        guard !step.hasQualifiers, step.subjectPattern == nil, step.objectPattern == nil else { return nil }
        var roles: [Role] = []
        var seen: [Int] = []
        func add(_ v: Int?, _ role: Role) -> Bool {
            guard let v else { return true }
            if seen.contains(v) { return false }
            seen.append(v)
            roles.append(role)
            return true
        }
        guard add(step.subject.kind == .variable ? step.subject.variable : nil, .subject),
              add(step.object.kind == .variable ? step.object.variable : nil, .object),
              add(step.predicateVariable, .predicate),
              add(step.statementVariable, .statement) else { return nil }
        // `variables` lists them in this order; the writes below rely on it.
        guard seen == step.variables else { return nil }
        return roles
    }

    /// The values a row requires of a candidate (0: any), read from the scratch row.
    struct RowRequirements {
        var subject: UInt64 = 0
        var object: UInt64 = 0
        var predicate: UInt64 = 0
        var statement: UInt64 = 0
        /// The known end's value (the one the candidate list is by), written for its role.
        var known: UInt64 = 0
    }

    @inline(__always) func required(_ pos: JoinPlan.Position) -> UInt64 {
        switch pos.kind {
        case .wildcard: return 0
        case .constant: return pos.value
        case .variable: return bindings[pos.variable]
        }
    }

    /// Scans candidates `c` for input row `row` of a plain step, adding each match to `out`
    /// (handing it to `whenFull` each time it fills; unbounded, it never fills); true when
    /// one matched. `stopsAtMatch` (an anti-join's probe) stops at the first match and adds nothing.
    func scanPlain(_ p: PatternOp, _ roles: [Role], _ c: Candidates, _ row: Int, into out: Output,
                   stopsAtMatch: Bool, bounded: Bool = true, whenFull: () throws -> Void) throws -> Bool {
        let step = p.step
        // A list by an end without what lies beside it is read as any list: the end it
        // is by is then checked like the others.
        let known = c.hasBeside ? c.known : .none
        var need = RowRequirements()
        need.subject = known == .subject ? 0 : required(step.subject)
        need.object = known == .object ? 0 : required(step.object)
        if known == .subject { need.known = required(step.subject) }
        if known == .object { need.known = required(step.object) }
        if let v = step.predicateVariable { need.predicate = bindings[v] }
        if let v = step.statementVariable { need.statement = bindings[v] }
        // A required value that is not a stored term matches no statement.
        if need.subject != 0 && need.subject & ~0xFFFF_FFFF != JoinPlan.termTag { return false }
        if need.object != 0 && need.object & ~0xFFFF_FFFF != JoinPlan.termTag { return false }
        let quoted = step.quoted
        let allowed = step.allowed
        let width = roles.count
        let count = c.size(store)
        var matched = false
        var j = 0
        // A chunk of matches is gathered in locals, then appended to the output at once.
        // The locals are the output's buffers, moved out (so that they are unique, each
        // append unchecked by another owner) and back, so that no call allocates.
        var sids = out.chunkStatements
        var made = out.chunkMade
        (out.chunkStatements, out.chunkMade) = ([], [])
        defer { (out.chunkStatements, out.chunkMade) = (sids, made) }
        while j < count {
            let room = stopsAtMatch ? 1 : !bounded ? Int.max : BatchJoin.batchRows - out.parents.count
            let end = min(count, j + 4 * BatchJoin.batchRows)
            try exec.tick(by: end - j)
            sids.removeAll(keepingCapacity: true)
            made.removeAll(keepingCapacity: true)
            while j < end && sids.count < room {
                let n: Int
                let predicate: PredicateID
                var other: Term? = nil
                if c.everything {
                    n = j
                    guard asserted[n] != quoted else { j += 1; continue }
                    predicate = predicates[n]
                } else if let besidePredicates = c.predicates {
                    let tag = PredicateID(besidePredicates[j])
                    guard (tag < 0) == quoted else { j += 1; continue }
                    predicate = tag < 0 ? -tag - 1 : tag
                    n = Int(c.ids[j])
                    other = c.otherEnds![j]
                } else {
                    n = Int(c.ids[j])
                    guard asserted[n] != quoted else { j += 1; continue }
                    predicate = predicates[n]
                }
                j += 1
                if let allowed {
                    guard Int(predicate) < allowed.count, allowed[Int(predicate)] else { continue }
                }
                let s: UInt64 = known == .subject ? need.known : JoinPlan.termTag | UInt64((known == .object ? other! : subjects[n]).raw)
                let o: UInt64 = known == .object ? need.known : JoinPlan.termTag | UInt64((known == .subject ? other! : objects[n]).raw)
                let pv = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: predicate))
                let sv = JoinPlan.statementTag | UInt64(UInt32(n))
                guard need.subject == 0 || need.subject == s, need.object == 0 || need.object == o,
                      need.predicate == 0 || need.predicate == pv, need.statement == 0 || need.statement == sv else { continue }
                sids.append(StatementID(n))
                for role in roles {
                    switch role {
                    case .subject: made.append(s)
                    case .object: made.append(o)
                    case .predicate: made.append(pv)
                    case .statement: made.append(sv)
                    }
                }
            }
            guard !sids.isEmpty else { continue }
            matched = true
            if stopsAtMatch { return true }
            out.parents.append(contentsOf: repeatElement(Int32(row), count: sids.count))
            out.statements.append(contentsOf: sids)
            out.made.append(contentsOf: made)
            if bounded, out.isFull { try whenFull() }
        }
        return matched
    }
}
