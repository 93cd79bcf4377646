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

    /// A plain step's scratch: its roles and one chunk of candidates as they pass the scan's
    /// phases, in buffers of its own (allocated once, never resized), so that a scan, called
    /// at every row of a join, allocates nothing and takes no retain to write a match.
    final class ScanScratch {
        /// The step's variables, and their roles at `roles[0..<width]` (the buffer has room
        /// for one at least).
        let width: Int
        let roles: UnsafeMutablePointer<Role>
        let qualifiers: [(key: Int32, position: JoinPlan.Position)]
        /// A chunk's survivors (`BatchJoin.batchRows` at most), in candidate order: each
        /// one's place in the candidate list, statement, predicate and ends (tagged), its
        /// qualifiers' values (row by row) and, last, its made row.
        let positions: UnsafeMutablePointer<Int32>
        let statements: UnsafeMutablePointer<StatementID>
        let predicates: UnsafeMutablePointer<PredicateID>
        let subjects: UnsafeMutablePointer<UInt64>
        let objects: UnsafeMutablePointer<UInt64>
        let found: UnsafeMutablePointer<UInt64>
        let made: UnsafeMutablePointer<UInt64>
        /// Each qualifier's value required by the row (0: any).
        let qualifierNeed: UnsafeMutablePointer<UInt64>
        /// A chunk's verdicts of the quick checks (`ScanLoops.verdict`), per survivor.
        let verdicts: UnsafeMutablePointer<UInt8>
        /// Per plain check (`ScanSetup.plainChecks`), its verdicts per literal, made once
        /// the step has checked enough candidates to pay for them (`checked`).
        var memos: [LiteralVerdicts?] = []
        var checked = 0

        init(_ roles: [Role], _ step: JoinPlan.PatternStep) {
            width = roles.count
            self.roles = .allocate(capacity: max(1, roles.count))
            self.roles.initialize(from: roles, count: roles.count)
            qualifiers = step.qualifiers
            let rows = BatchJoin.batchRows
            positions = .allocate(capacity: rows)
            statements = .allocate(capacity: rows)
            predicates = .allocate(capacity: rows)
            subjects = .allocate(capacity: rows)
            objects = .allocate(capacity: rows)
            found = .allocate(capacity: rows * max(1, qualifiers.count))
            made = .allocate(capacity: rows * max(1, roles.count))
            qualifierNeed = .allocate(capacity: max(1, qualifiers.count))
            verdicts = .allocate(capacity: rows)
        }

        /// Plain check `x`'s verdicts per literal, once `checked` candidates outnumber a
        /// 256th of the literals (the memo's zeroing is then a small part of the checks').
        func memo(_ x: Int, literals: Int) -> LiteralVerdicts? {
            if x < memos.count, let m = memos[x] { return m }
            guard checked > literals >> 8 else { return nil }
            while memos.count <= x { memos.append(nil) }
            memos[x] = LiteralVerdicts(count: literals)
            return memos[x]
        }

        deinit {
            roles.deallocate()
            positions.deallocate()
            statements.deallocate()
            predicates.deallocate()
            subjects.deallocate()
            objects.deallocate()
            found.deallocate()
            made.deallocate()
            qualifierNeed.deallocate()
            verdicts.deallocate()
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
        let scratch: ScanScratch
        /// Pushed filters of a label's `contains` (`pushed`), and the others as plain values
        /// (`plainChecks`: read at every candidate with no copy of a QuickComparison).
        let pushed: [(at: Int, quick: QuickComparison)]
        let plainChecks: UnsafeMutableBufferPointer<(at: Int, check: QuickComparison.Plain)>
        /// Every pushed filter whole, with the variables it reads (each with its place in
        /// the made row, nil for one the input row binds): what a counting scan decides a
        /// candidate by when a quick test cannot.
        let wholeFilters: [(filter: CompiledExpr, reads: [(variable: Int, at: Int?)])]
        /// Each pushed type's member bits, and the caller's pushed members: the place of
        /// the variable checked, and where its bits lie in `bits`.
        let typeChecks: UnsafeMutableBufferPointer<(at: Int, start: Int, count: Int)>
        let bits: UnsafeMutableBufferPointer<UInt64>
        /// A source read into a variable that a pushed filter tests: in a scan of every
        /// statement in order, a provenance run whose source the filter refuses is skipped
        /// at once (the source is the same for the whole run).
        let sourceChecks: (q: Int, filters: [QuickComparison])?
        let statementCount: Int
        let pairChecks: [PairCheck]

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
            qualifierNeed = scratch.qualifierNeed
            self.scratch = scratch
            pushed = p.pushed.filter { $0.quick.plain == nil }.map { ($0.at, $0.quick) }
            let plain = p.pushed.compactMap { check in check.quick.plain.map { (check.at, $0) } }
            plainChecks = .allocate(capacity: plain.count)
            _ = plainChecks.initialize(from: plain)
            wholeFilters = p.pushed.map { f in (f.filter, f.reads.map { v in (v, p.variables.firstIndex(of: v)) }) }
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
            pairChecks = p.pairChecks
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

    /// Whether every filter holds, the step's variables read by `made` (a place in the
    /// made row), the others from the input row.
    func passesWhole(_ filters: [(filter: CompiledExpr, reads: [(variable: Int, at: Int?)])], _ made: (Int) -> UInt64) throws -> Bool {
        for f in filters {
            for (v, at) in f.reads {
                let b = at.map(made) ?? bindings[v]
                exec.row[v] = b == 0 ? nil : decode(b)
            }
            guard try exec.truth(f.filter) else { return false }
        }
        return true
    }

    /// An entity's value (`JoinPlan.termTag`, kind `Term.entityKind`) shifted past its
    /// index: what a value's bits above the index are exactly when it names an entity.
    static let entityValueHigh = (JoinPlan.termTag | UInt64(Term.entityKind) << 30) >> 30

    /// A step's scan setup: made once and kept on the step (a join is kept from run to run
    /// of its query), unless the caller pushed members for this run only.
    func scanSetup(_ p: PatternOp, _ scratch: ScanScratch) -> ScanSetup {
        let keeps = p.pushedMembers.isEmpty
        if keeps, let kept = p.keptSetup, kept.scratch === scratch { return kept }
        let typeBits = p.pushedTypes.map { (at: $0.at, bits: memberBits($0.op, $0.type)) } + p.pushedMembers
        let setup = ScanSetup(p, scratch, typeBits: typeBits, statementCount: statementCount)
        if keeps { p.keptSetup = setup }
        return setup
    }

    /// Scans candidates `c` for input row `row` of a plain step (`setup`: its parts no row
    /// changes), adding each match to `out` (handing it to `whenFull` each time it fills;
    /// unbounded, it never fills); true when one matched. `stopsAtMatch` (an anti-join's
    /// probe) stops at the first match and adds nothing.
    ///
    /// A chunk of candidates at a time, a column at a time: each phase below is a loop of
    /// its own over the chunk's survivors, which it narrows in place, in candidate order.
    /// One loop per phase does one kind of work; the single loop it replaced chose among
    /// all of them at every candidate (its branches and spilled registers were most of a
    /// scan's time).
    ///
    /// `dynamic` keeps the optimizer from specializing the scan for each caller's
    /// `whenFull` closure: the specialized copies took every value that closure and the
    /// operator chain behind it capture as arguments, and retained each at every call,
    /// some seventy retains a lookup of an index join. The price is one indirect call.
    dynamic func scanPlain(_ setup: ScanSetup, _ c: Candidates, _ row: Int, into out: Output,
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
        let scratch = setup.scratch
        let (positions, sids, chosen) = (scratch.positions, scratch.statements, scratch.predicates)
        let (subjectValues, objectValues, found, made) = (scratch.subjects, scratch.objects, scratch.found, scratch.made)
        let count = c.size(setup.statementCount)
        // An `everything` list's candidate j is statement j + first.
        let first = c.everything ? c.statement(0) : 0
        let hasChecks = setup.plainChecks.count > 0 || !setup.pushed.isEmpty
        let pushed = setup.pushed
        let plainChecks = setup.plainChecks
        let typeChecks = setup.typeChecks
        let pairChecks = setup.pairChecks
        let sourceChecks = c.everything ? setup.sourceChecks : nil
        // What lies beside a list: predicates (tagged negative when quoted), the other end,
        // and for a predicate's or key's list both ends.
        let besidePredicates = c.everything ? nil : c.predicates
        let otherEnds = besidePredicates != nil ? c.otherEnds : nil
        let valuesKey = otherEnds != nil ? c.valuesKey : nil
        let bothBeside = besidePredicates != nil && c.subjects != nil && c.objects != nil
        let checksEnds = need.subject != 0 || need.object != 0 || need.predicate != 0 || need.statement != 0
        // Survivor `i`'s values to place `kept` (kept <= i), as a phase narrows the chunk.
        @inline(__always) func move(_ i: Int, to kept: Int) {
            guard kept != i else { return }
            (sids[kept], chosen[kept]) = (sids[i], chosen[i])
            if readsSubject { subjectValues[kept] = subjectValues[i] }
            if readsObject { objectValues[kept] = objectValues[i] }
            for q in 0..<qualifierCount { found[kept * qualifierCount + q] = found[i * qualifierCount + q] }
        }
        var matched = false
        var j = 0
        // The provenance run whose source the pushed filters last decided, and whether they
        // refused it (the same source for its whole run: decided once a run).
        var decidedRun = -1
        var refusedRun = false
        // By source entity: 0 undecided, 1 kept, 2 refused (made at the first run with one).
        var sourceVerdicts: [UInt8] = []
        // Taken out of the optional once: bound at each statement (`if let`), the filters'
        // array was retained and released at each.
        let (checksSources, sourceFilters) = (sourceChecks != nil, sourceChecks?.filters ?? [])
        // An anti-join's probe stops at its first match: its chunks start small.
        var chunk = stopsAtMatch ? 16 : BatchJoin.batchRows
        while j < count {
            let end = min(count, j + chunk)
            if stopsAtMatch { chunk = min(BatchJoin.batchRows, chunk * 2) }
            try self.exec.tick(by: end - j)
            // 1. Asserted or quoted, and the predicate: they rule out most candidates unread.
            var k = 0
            if c.everything {
                var n = first + j
                let end = first + end
                while n < end {
                    guard isAsserted(n) != quoted else { n += 1; continue }
                    if checksSources {
                        // A source the filter refuses refuses its whole provenance run.
                        if !provenanceRange.contains(n) { findProvenance(n) }
                        if decidedRun != provenanceRun {
                            decidedRun = provenanceRun
                            // The filters decided once a source, not once a run (runs of many
                            // sources interleave): each source's verdict kept by entity number.
                            if let d = provenanceDocumentTerm() {
                                let e = d.index
                                if sourceVerdicts.isEmpty { sourceVerdicts = [UInt8](repeating: 0, count: entities.count) }
                                if e < sourceVerdicts.count, sourceVerdicts[e] != 0 {
                                    refusedRun = sourceVerdicts[e] == 2
                                } else {
                                    refusedRun = sourceFilters.contains { $0.truth(JoinPlan.termTag | UInt64(d.raw), literals, entities) == false }
                                    if e < sourceVerdicts.count { sourceVerdicts[e] = refusedRun ? 2 : 1 }
                                }
                            } else {
                                refusedRun = false
                            }
                        }
                        if refusedRun {
                            n = max(n + 1, provenanceRange.upperBound)
                            continue
                        }
                    }
                    let predicate = predicateAt[n]
                    if let allowed, !(Int(predicate) < allowed.count && allowed[Int(predicate)]) { n += 1; continue }
                    positions[k] = Int32(n)
                    sids[k] = StatementID(n)
                    chosen[k] = predicate
                    k += 1
                    n += 1
                }
                // A skipped run may end past the chunk.
                j = n - first
            } else if let besidePredicates {
                k = ScanLoops.byPredicate(
                    j..<end, tags: besidePredicates, ids: c.ids, quoted: quoted, allowed: allowed,
                    positions: positions, sids: sids, chosen: chosen)
                j = end
            } else {
                for i in j..<end {
                    let n = Int(c.ids[i])
                    guard isAsserted(n) != quoted else { continue }
                    let predicate = predicateAt[n]
                    if let allowed, !(Int(predicate) < allowed.count && allowed[Int(predicate)]) { continue }
                    positions[k] = Int32(i)
                    sids[k] = StatementID(n)
                    chosen[k] = predicate
                    k += 1
                }
                j = end
            }
            // 2. Qualifiers: a missing one, or one the row requires otherwise, drops the
            // candidate. A key's list holds each statement's value of the key beside it.
            if qualifierCount == 1 && k > 0, qualifierKeys[0] == valuesKey, let values = otherEnds {
                k = ScanLoops.valueBeside(
                    k, values: values, need: qualifierNeed[0], positions: positions, sids: sids, chosen: chosen, found: found)
            } else if qualifierCount > 0 && k > 0 {
                var kept = 0
                for i in 0..<k {
                    var agrees = true
                    for q in 0..<qualifierCount {
                        let key = qualifierKeys[q]
                        guard let t = key == valuesKey ? otherEnds![Int(positions[i])] : qualifierTerm(Int(sids[i]), key) else {
                            agrees = false
                            break
                        }
                        let v = JoinPlan.termTag | UInt64(t.raw)
                        if qualifierNeed[q] != 0 && qualifierNeed[q] != v {
                            agrees = false
                            break
                        }
                        // Row `kept` is this one's place once it agrees (kept <= i).
                        found[kept * qualifierCount + q] = v
                    }
                    guard agrees else { continue }
                    (positions[kept], sids[kept], chosen[kept]) = (positions[i], sids[i], chosen[i])
                    kept += 1
                }
                k = kept
            }
            // 3. The ends, read only where checked or written (a wildcard's is not); the end
            // a list is by is the row's own.
            if readsSubject {
                if known == .subject {
                    subjectValues.update(repeating: need.known, count: k)
                } else if bothBeside, let beside = c.subjects {
                    for i in 0..<k { subjectValues[i] = JoinPlan.termTag | UInt64(beside[Int(positions[i])].raw) }
                } else if known == .object, let otherEnds {
                    for i in 0..<k { subjectValues[i] = JoinPlan.termTag | UInt64(otherEnds[Int(positions[i])].raw) }
                } else {
                    for i in 0..<k { subjectValues[i] = JoinPlan.termTag | UInt64(subjectAt[Int(sids[i])].raw) }
                }
            }
            if readsObject {
                if known == .object {
                    objectValues.update(repeating: need.known, count: k)
                } else if bothBeside, let beside = c.objects {
                    for i in 0..<k { objectValues[i] = JoinPlan.termTag | UInt64(beside[Int(positions[i])].raw) }
                } else if known == .subject, let otherEnds {
                    for i in 0..<k { objectValues[i] = JoinPlan.termTag | UInt64(otherEnds[Int(positions[i])].raw) }
                } else {
                    for i in 0..<k { objectValues[i] = JoinPlan.termTag | UInt64(objectAt[Int(sids[i])].raw) }
                }
            }
            if checksEnds && k > 0 {
                var kept = 0
                for i in 0..<k {
                    let pv = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: chosen[i]))
                    let sv = JoinPlan.statementTag | UInt64(UInt32(bitPattern: sids[i]))
                    guard need.subject == 0 || need.subject == subjectValues[i], need.object == 0 || need.object == objectValues[i],
                          need.predicate == 0 || need.predicate == pv, need.statement == 0 || need.statement == sv else { continue }
                    move(i, to: kept)
                    kept += 1
                }
                k = kept
            }
            // 4. A pushed filter that decides against a row drops it here, and so does a
            // pushed type its entity is not of: on the phases' values, before any row is
            // made (a type check refuses three of four statements of a key's list).
            // The value of role `r` (a place in the made row) for survivor `i`.
            @inline(__always) func value(_ r: Int, _ i: Int) -> UInt64 {
                switch roles[r] {
                case .subject: return subjectValues[i]
                case .object: return objectValues[i]
                case .predicate: return JoinPlan.predicateTag | UInt64(UInt32(bitPattern: chosen[i]))
                case .statement: return JoinPlan.statementTag | UInt64(UInt32(bitPattern: sids[i]))
                case .qualifier(let q): return found[i * qualifierCount + q]
                }
            }
            // Types first, each in a loop of its own over its variable's column: a
            // check's place and bits read once, not per candidate.
            for x in 0..<typeChecks.count where k > 0 {
                let (column, stride): (UnsafeMutablePointer<UInt64>?, Int)
                switch roles[typeChecks[x].at] {
                case .subject: (column, stride) = (subjectValues, 1)
                case .object: (column, stride) = (objectValues, 1)
                case .qualifier(let q): (column, stride) = (found + q, qualifierCount)
                // Not an entity: no candidate is of the type.
                case .predicate, .statement: (column, stride) = (nil, 0)
                }
                let words = typeChecks[x].count
                // No bits: the type has no members.
                guard let column, words > 0, let base = setup.bits.baseAddress else {
                    k = 0
                    break
                }
                let bits = base + typeChecks[x].start
                // Without a branch on the outcome: which candidates are of a type is no
                // pattern a predictor learns, and a missed guess cost more than the copy
                // of a refused candidate's values, which the next survivor overwrites.
                @inline(__always) func one(_ c: Bool) -> Int { c ? 1 : 0 }
                var kept = 0
                for i in 0..<k {
                    let b = column[i * stride]
                    let e = Int(truncatingIfNeeded: b) & Int(Term.indexMask)
                    let word = bits[min(e >> 6, words - 1)]
                    let entity = b >> 30 == BatchJoin.entityValueHigh
                    let of = one(entity) & one(e >> 6 < words) & Int(truncatingIfNeeded: word >> UInt64(e & 63) & 1)
                    move(i, to: kept)
                    kept += of
                }
                k = kept
            }
            if hasChecks && k > 0 {
                // The plain checks a check at a time, over its variable's column where it
                // has one (`ScanLoops.decide`); their verdicts or-ed per survivor.
                let verdicts = scratch.verdicts
                verdicts.update(repeating: 0, count: k)
                scratch.checked += k
                for x in 0..<plainChecks.count {
                    let (at, check) = plainChecks[x]
                    let memo = scratch.memo(x, literals: literals.count)
                    switch roles[at] {
                    case .subject: ScanLoops.decide(check, subjectValues, stride: 1, k, literals, memo, into: verdicts)
                    case .object: ScanLoops.decide(check, objectValues, stride: 1, k, literals, memo, into: verdicts)
                    case .qualifier(let q): ScanLoops.decide(check, found + q, stride: qualifierCount, k, literals, memo, into: verdicts)
                    case .predicate, .statement:
                        for i in 0..<k { verdicts[i] |= ScanLoops.verdict(check.truth(value(at, i), literals)) }
                    }
                }
                var kept = 0
                for i in 0..<k {
                    // Read in place (iterating the array copied each check, its constant's
                    // payload through a generic witness: a sixth of a scan over 1M statements);
                    // the closure captures nothing it changes (a changed capture is boxed).
                    var refused = verdicts[i] & 2 != 0
                    // Whether a quick test left the candidate undecided.
                    var open = verdicts[i] & 1 != 0
                    if !refused, !pushed.isEmpty {
                        let truth: Bool? = pushed.withUnsafeBufferPointer { checks in
                            var all: Bool? = true
                            for x in checks.indices {
                                switch checks[x].quick.truth(value(checks[x].at, i), literals, entities) {
                                case false?: return false
                                case nil: all = nil
                                default: continue
                                }
                            }
                            return all
                        }
                        refused = truth == false
                        open = open || truth == nil
                    }
                    // Counting, no filter step follows to decide it (see `countedStep`).
                    if !refused, open, out.counting {
                        refused = try !passesWhole(setup.wholeFilters, { value($0, i) })
                    }
                    if refused { continue }
                    move(i, to: kept)
                    kept += 1
                }
                k = kept
            }
            // 4b. A later step's ends that no statement has (`PairCheck`) drop the match.
            for check in pairChecks where k > 0 && check.ready(for: k, self) {
                @inline(__always) func end(_ source: PairCheck.Source, _ i: Int) -> UInt64 {
                    switch source {
                    case .constant(let c): return c
                    case .match(let r): return value(r, i)
                    case .row(let v): return bindings[v]
                    }
                }
                var kept = 0
                for i in 0..<k where check.mayHold(end(check.subject, i), end(check.object, i)) {
                    move(i, to: kept)
                    kept += 1
                }
                k = kept
            }
            guard k > 0 else { continue }
            matched = true
            if stopsAtMatch { return true }
            // 5. The made rows, a role at a time (counting, only the row's first match).
            let making = !out.counting ? k : out.matchesOfRow[row] == 0 ? 1 : 0
            for r in 0..<width {
                switch roles[r] {
                case .subject: for i in 0..<making { made[i * width + r] = subjectValues[i] }
                case .object: for i in 0..<making { made[i * width + r] = objectValues[i] }
                case .predicate: for i in 0..<making { made[i * width + r] = JoinPlan.predicateTag | UInt64(UInt32(bitPattern: chosen[i])) }
                case .statement: for i in 0..<making { made[i * width + r] = JoinPlan.statementTag | UInt64(UInt32(bitPattern: sids[i])) }
                case .qualifier(let q): for i in 0..<making { made[i * width + r] = found[i * qualifierCount + q] }
                }
            }
            if out.counting {
                // Counted as `take` counts a match (see `BatchJoin.runCounting`).
                if making > 0 { for r in 0..<width { out.firstMade[row * width + r] = made[r] } }
                let kept = out.collects[row] ? max(0, min(k, out.collectsAtMost - out.matchesOfRow[row])) : 0
                out.matchesOfRow[row] += k
                out.rowsOut += k
                if kept > 0 {
                    out.parents.append(contentsOf: repeatElement(Int32(row), count: kept))
                    out.statements.append(contentsOf: UnsafeBufferPointer(start: sids, count: kept))
                }
                continue
            }
            // Handed on a batch at a time: a chunk may fill the output part-way.
            var from = 0
            while from < k {
                if bounded, out.isFull { try whenFull() }
                let n = bounded ? max(1, min(k - from, BatchJoin.batchRows - out.parents.count)) : k - from
                out.parents.append(contentsOf: repeatElement(Int32(row), count: n))
                out.statements.append(contentsOf: UnsafeBufferPointer(start: sids + from, count: n))
                out.made.append(contentsOf: UnsafeBufferPointer(start: made + from * width, count: n * width))
                from += n
                if bounded, out.isFull { try whenFull() }
            }
        }
        return matched
    }
}
