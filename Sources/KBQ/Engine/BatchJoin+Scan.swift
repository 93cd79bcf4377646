/// The scan of a plain pattern step: one whose match is only its ends, its predicate, its
/// qualifiers and its statement (no quoted pattern, no variable twice). Such a step needs no
/// scratch row, trail or undo per candidate: each candidate is checked against the row's
/// values of the step's positions and, when it passes, its values are written out a batch
/// at a time. Most steps are plain, and most of a query's candidates are read here.
///
/// Filters and `is_a` checks of the steps right after it (`PatternOp.pushed`,
/// `pushedTypes`) refuse a row before it is made.
///
/// Invariant: the rows, their order and their statements are those `matchRest` and `take`
/// make for the same candidates, less rows a pushed check refuses, which the step it was
/// pushed from would refuse next (BatchJoinTests and the random tests compare both with the
/// general evaluator).
extension BatchJoin {
    /// What a plain step's variable takes from a matching statement.
    enum Role: Equatable { case subject, object, predicate, statement, qualifier(Int) }

    /// The roles of `step.variables` in order, or nil when the step is not plain.
    static func plainRoles(_ step: JoinPlan.PatternStep) -> [Role]? {
        guard step.subjectPattern == nil, step.objectPattern == nil else { return nil }
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
              step.qualifiers.indices.allSatisfy({ q in
                  add(step.qualifiers[q].position.kind == .variable ? step.qualifiers[q].position.variable : nil, .qualifier(q))
              }),
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

    /// A plain step's scratch: its roles and one chunk of matches, in buffers of its own
    /// (allocated once, never resized), so that a scan, called at every row of a join,
    /// allocates nothing and takes no retain to write a match.
    final class ScanScratch {
        /// The step's variables, and their roles at `roles[0..<width]` (the buffer has room
        /// for one at least).
        let width: Int
        let roles: UnsafeMutablePointer<Role>
        let qualifiers: [(key: Int32, position: JoinPlan.Position)]
        /// A chunk's statements (`BatchJoin.batchRows` at most) and their values, row by row.
        let statements: UnsafeMutablePointer<StatementID>
        let made: UnsafeMutablePointer<UInt64>
        /// Each qualifier's value required by the row (0: any) and found on a candidate.
        let qualifierNeed: UnsafeMutablePointer<UInt64>
        let qualifierFound: UnsafeMutablePointer<UInt64>

        init(_ roles: [Role], _ step: JoinPlan.PatternStep) {
            width = roles.count
            self.roles = .allocate(capacity: max(1, roles.count))
            self.roles.initialize(from: roles, count: roles.count)
            qualifiers = step.qualifiers
            statements = .allocate(capacity: BatchJoin.batchRows)
            made = .allocate(capacity: BatchJoin.batchRows * max(1, roles.count))
            qualifierNeed = .allocate(capacity: max(1, qualifiers.count))
            qualifierFound = .allocate(capacity: max(1, qualifiers.count))
        }

        deinit {
            roles.deallocate()
            statements.deallocate()
            made.deallocate()
            qualifierNeed.deallocate()
            qualifierFound.deallocate()
        }
    }

    /// What a plain step's scan reads that no row changes, worked out once per batch and
    /// held as plain values and buffers of its own: read through the step, the scratch and
    /// the arrays at every row, they were some twenty retains and releases and an array
    /// or two made per row, more than a lookup by index costs.
    final class ScanSetup {
        let subject: JoinPlan.Position
        let object: JoinPlan.Position
        let predicateVariable: Int?
        let statementVariable: Int?
        let quoted: Bool
        /// The step's allowed predicates (nil: any).
        let allowed: UnsafeMutableBufferPointer<Bool>?
        let roles: UnsafeMutablePointer<Role>
        let width: Int
        /// Whether a variable takes the subject's (object's) value.
        let writesSubject: Bool
        let writesObject: Bool
        let qualifierKeys: UnsafeMutableBufferPointer<Int32>
        let qualifierPositions: UnsafeMutableBufferPointer<JoinPlan.Position>
        let qualifierNeed: UnsafeMutablePointer<UInt64>
        let qualifierFound: UnsafeMutablePointer<UInt64>
        let statements: UnsafeMutablePointer<StatementID>
        let made: UnsafeMutablePointer<UInt64>
        /// Pushed filters of a label's `contains` (`pushed`), and the others as plain values
        /// (`plainChecks`: read at every candidate with no copy of a QuickComparison).
        let pushed: [(at: Int, quick: QuickComparison)]
        let plainChecks: UnsafeMutableBufferPointer<(at: Int, check: QuickComparison.Plain)>
        /// Each pushed type's member bits, and the caller's pushed members: the place of
        /// the variable checked, and where its bits lie in `bits`.
        let typeChecks: UnsafeMutableBufferPointer<(at: Int, start: Int, count: Int)>
        let bits: UnsafeMutableBufferPointer<UInt64>
        /// A source read into a variable that a pushed filter tests: in a scan of every
        /// statement in order, a provenance run whose source the filter refuses is skipped
        /// at once (the source is the same for the whole run).
        let sourceChecks: (q: Int, filters: [QuickComparison])?
        let statementCount: Int

        init(_ p: PatternOp, _ scratch: ScanScratch, typeBits: [(at: Int, bits: [UInt64])], statementCount: Int) {
            let step = p.step
            (subject, object, predicateVariable, statementVariable, quoted) =
                (step.subject, step.object, step.predicateVariable, step.statementVariable, step.quoted)
            allowed = step.allowed.map { a in
                let b = UnsafeMutableBufferPointer<Bool>.allocate(capacity: a.count)
                _ = b.initialize(from: a)
                return b
            }
            (roles, width) = (scratch.roles, scratch.width)
            writesSubject = (0..<scratch.width).contains { scratch.roles[$0] == .subject }
            writesObject = (0..<scratch.width).contains { scratch.roles[$0] == .object }
            qualifierKeys = .allocate(capacity: scratch.qualifiers.count)
            _ = qualifierKeys.initialize(from: scratch.qualifiers.map(\.key))
            qualifierPositions = .allocate(capacity: scratch.qualifiers.count)
            _ = qualifierPositions.initialize(from: scratch.qualifiers.map(\.position))
            (qualifierNeed, qualifierFound) = (scratch.qualifierNeed, scratch.qualifierFound)
            (statements, made) = (scratch.statements, scratch.made)
            pushed = p.pushed.filter { $0.quick.plain == nil }
            let plain = p.pushed.compactMap { check in check.quick.plain.map { (check.at, $0) } }
            plainChecks = .allocate(capacity: plain.count)
            _ = plainChecks.initialize(from: plain)
            typeChecks = .allocate(capacity: typeBits.count)
            bits = .allocate(capacity: typeBits.reduce(0) { $0 + $1.bits.count })
            var at = 0
            for (i, check) in typeBits.enumerated() {
                typeChecks[i] = (check.at, at, check.bits.count)
                _ = UnsafeMutableBufferPointer(rebasing: bits[at..<at + check.bits.count]).initialize(from: check.bits)
                at += check.bits.count
            }
            let (roles, width) = (scratch.roles, scratch.width)
            sourceChecks = {
                guard !step.quoted, let q = scratch.qualifiers.firstIndex(where: { $0.key == StatementTable.sourceKey }),
                      let r = (0..<width).first(where: { roles[$0] == .qualifier(q) }) else { return nil }
                let filters = p.pushed.filter { $0.at == r }.map(\.quick)
                return filters.isEmpty ? nil : (q, filters)
            }()
            self.statementCount = statementCount
        }

        var hasPushed: Bool { !pushed.isEmpty || plainChecks.count > 0 || typeChecks.count > 0 }

        /// Whether entity `e` is among type check `i`'s bits.
        @inline(__always) func has(_ i: Int, _ e: EntityID) -> Bool {
            let (start, count) = (typeChecks[i].start, typeChecks[i].count)
            let word = Int(e) >> 6
            return word < count && bits[start + word] & (1 << (UInt64(e) & 63)) != 0
        }

        deinit {
            allowed?.deallocate()
            qualifierKeys.deallocate()
            qualifierPositions.deallocate()
            typeChecks.deallocate()
            bits.deallocate()
            plainChecks.deallocate()
        }
    }

    func scanSetup(_ p: PatternOp, _ scratch: ScanScratch) -> ScanSetup {
        let typeBits = p.pushedTypes.map { (at: $0.at, bits: memberBits($0.op, $0.type)) } + p.pushedMembers
        return ScanSetup(p, scratch, typeBits: typeBits, statementCount: statementCount)
    }

    /// Scans candidates `c` for input row `row` of a plain step (`setup`: its parts no row
    /// changes), adding each match to `out` (handing it to `whenFull` each time it fills;
    /// unbounded, it never fills); true when one matched. `stopsAtMatch` (an anti-join's
    /// probe) stops at the first match and adds nothing.
    func scanPlain(_ setup: ScanSetup, _ c: Candidates, _ row: Int, into out: Output,
                   stopsAtMatch: Bool, bounded: Bool = true, whenFull: () throws -> Void) throws -> Bool {
        // A list by an end without what lies beside it is read as any list: the end it
        // is by is then checked like the others.
        let known = c.hasBeside ? c.known : .none
        var need = RowRequirements()
        need.subject = known == .subject ? 0 : required(setup.subject)
        need.object = known == .object ? 0 : required(setup.object)
        if known == .subject { need.known = required(setup.subject) }
        if known == .object { need.known = required(setup.object) }
        if let v = setup.predicateVariable { need.predicate = bindings[v] }
        if let v = setup.statementVariable { need.statement = bindings[v] }
        // A required value that is not a stored term matches no statement.
        if need.subject != 0 && need.subject & ~0xFFFF_FFFF != JoinPlan.termTag { return false }
        if need.object != 0 && need.object & ~0xFFFF_FFFF != JoinPlan.termTag { return false }
        let qualifierCount = setup.qualifierKeys.count
        let qualifierKeys = setup.qualifierKeys
        let qualifierNeed = setup.qualifierNeed
        let qualifierFound = setup.qualifierFound
        for q in 0..<qualifierCount {
            let r = required(setup.qualifierPositions[q])
            if r != 0 && r & ~0xFFFF_FFFF != JoinPlan.termTag { return false }
            qualifierNeed[q] = r
        }
        let quoted = setup.quoted
        let allowed = setup.allowed
        let roles = setup.roles
        let readsSubject = need.subject != 0 || setup.writesSubject
        let readsObject = need.object != 0 || setup.writesObject
        let width = setup.width
        let sids = setup.statements
        let made = setup.made
        let count = c.everything ? setup.statementCount : c.count
        let hasPushed = setup.hasPushed
        let pushed = setup.pushed
        let plainChecks = setup.plainChecks
        let typeChecks = setup.typeChecks
        let sourceChecks = c.everything ? setup.sourceChecks : nil
        var matched = false
        var j = 0
        while j < count {
            let room = stopsAtMatch ? 1 : !bounded ? BatchJoin.batchRows : BatchJoin.batchRows - out.parents.count
            let end = min(count, j + 4 * BatchJoin.batchRows)
            try self.exec.tick(by: end - j)
            // A chunk of matches in the scratch buffers, then appended to the output at once.
            var k = 0
            while j < end && k < room {
                let n: Int
                let predicate: PredicateID
                var other: Term? = nil
                var besideSubject: Term? = nil
                var besideObject: Term? = nil
                if c.everything {
                    n = j
                    guard asserted[n] != quoted else { j += 1; continue }
                    if let sourceChecks {
                        if !provenanceRange.contains(n) { findProvenance(n) }
                        if let d = provenanceDocumentTerm(), sourceChecks.filters.contains(where: { $0.truth(JoinPlan.termTag | UInt64(d.raw), literals, entities) == false }) {
                            j = max(j + 1, provenanceRange.upperBound)
                            continue
                        }
                    }
                    predicate = predicates[n]
                } else if let besidePredicates = c.predicates {
                    let tag = PredicateID(besidePredicates[j])
                    guard (tag < 0) == quoted else { j += 1; continue }
                    predicate = tag < 0 ? -tag - 1 : tag
                    n = Int(c.ids[j])
                    other = c.otherEnds![j]
                    if let besideSubjects = c.subjects, let besideObjects = c.objects {
                        besideSubject = besideSubjects[j]
                        besideObject = besideObjects[j]
                    }
                } else {
                    n = Int(c.ids[j])
                    guard asserted[n] != quoted else { j += 1; continue }
                    predicate = predicates[n]
                }
                j += 1
                if let allowed {
                    guard Int(predicate) < allowed.count, allowed[Int(predicate)] else { continue }
                }
                // Qualifiers first: a missing one fails at once, before the ends are read.
                if qualifierCount > 0 {
                    var agrees = true
                    for q in 0..<qualifierCount {
                        let key = qualifierKeys[q]
                        // A key's list holds each statement's value of the key beside it.
                        guard let t = key == c.valuesKey ? other : qualifierTerm(n, key) else { agrees = false; break }
                        let v = JoinPlan.termTag | UInt64(t.raw)
                        if qualifierNeed[q] != 0 && qualifierNeed[q] != v { agrees = false; break }
                        qualifierFound[q] = v
                    }
                    guard agrees else { continue }
                }
                // An end is read only when it is checked or written (a wildcard's is not).
                // A predicate's or key's list has both ends beside it.
                let s: UInt64 = known == .subject ? need.known
                    : readsSubject ? JoinPlan.termTag | UInt64((besideSubject ?? (known == .object ? other! : subjects[n])).raw) : 0
                let o: UInt64 = known == .object ? need.known
                    : readsObject ? JoinPlan.termTag | UInt64((besideObject ?? (known == .subject ? other! : objects[n])).raw) : 0
                let pv = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: predicate))
                let sv = JoinPlan.statementTag | UInt64(UInt32(n))
                guard need.subject == 0 || need.subject == s, need.object == 0 || need.object == o,
                      need.predicate == 0 || need.predicate == pv, need.statement == 0 || need.statement == sv else { continue }
                sids[k] = StatementID(n)
                for r in 0..<width {
                    let v: UInt64
                    switch roles[r] {
                    case .subject: v = s
                    case .object: v = o
                    case .predicate: v = pv
                    case .statement: v = sv
                    case .qualifier(let q): v = qualifierFound[q]
                    }
                    made[k * width + r] = v
                }
                if hasPushed {
                    // A pushed filter that decides against the row drops it here, and so
                    // does a pushed type its entity is not of.
                    let at = k * width
                    // Read in place (iterating the array copied each check, its constant's
                    // payload through a generic witness: a sixth of a scan over 1M statements);
                    // the closure captures nothing it changes (a changed capture is boxed).
                    var refused = false
                    for i in 0..<plainChecks.count where !refused {
                        refused = plainChecks[i].check.truth(made[at + plainChecks[i].at], literals) == false
                    }
                    if !refused, !pushed.isEmpty {
                        refused = pushed.withUnsafeBufferPointer { checks in
                            checks.indices.contains { i in checks[i].quick.truth(made[at + checks[i].at], literals, entities) == false }
                        }
                    }
                    for i in 0..<typeChecks.count where !refused {
                        let b = made[at + typeChecks[i].at]
                        let term = Term(raw: UInt32(truncatingIfNeeded: b))
                        refused = b & ~0xFFFF_FFFF != JoinPlan.termTag || term.kind != Term.entityKind || !setup.has(i, EntityID(term.index))
                    }
                    if refused { continue }
                }
                k += 1
            }
            guard k > 0 else { continue }
            matched = true
            if stopsAtMatch { return true }
            out.parents.append(contentsOf: repeatElement(Int32(row), count: k))
            out.statements.append(contentsOf: UnsafeBufferPointer(start: sids, count: k))
            out.made.append(contentsOf: UnsafeBufferPointer(start: made, count: k * width))
            if bounded, out.isFull { try whenFull() }
        }
        return matched
    }
}
