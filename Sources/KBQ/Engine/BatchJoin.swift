/// The executor of conjunctive queries (patterns, `is_a`, filters, `not`, `optional`, `or`)
/// over term ids, a batch of rows at a time: each step takes a batch of bindings (columns,
/// see BindingBatch) and pushes the batches it makes to the next step, the last handing
/// rows to the caller. Steps run in the planner's order.
///
/// A pattern step joins its rows with the store's statements in one of two ways, chosen as
/// it runs from what it has read: by index (each row's bound end looks up its list) or by
/// hash (the statements the pattern's constants allow, grouped once by the end a variable
/// bound in every row names, then probed by each row). It starts by index and builds the
/// hash side once the lists it has read add up to more than that build would read; so it
/// never reads much more than the better of the two would have.
///
/// Answers come in the order of a nested-loop join over the same steps (each row's matches
/// in statement order, rows in their input's order), whichever way a step runs: batches
/// keep their rows in input order; `not` and `optional` of one pattern are an anti-join and
/// a left join inside that pattern's step; other `not`, `optional` and `or` run their inner
/// steps on the whole batch and put the results back in that order through an origin
/// column. BatchJoinTests holds this engine to the general
/// evaluator's answers and order on every golden query.
final class BatchJoin {
    /// Rows per batch handed from one step to the next: small enough that a batch stays in
    /// cache and that a query with a `limit` stops soon, large enough that the per-batch
    /// work (a gather per column) is spread thin.
    static let batchRows = 1024

    /// Starts of a path walked together (`Execution.termReach(levels:from:...)`): enough
    /// that a level's set-up is spread thin, few enough that a `limit` stops the walk soon.
    /// (Tests make it small, so that a few dozen starts cross chunks.)
    nonisolated(unsafe) static var pathStartChunk = 512

    /// How a pattern step treats a row's matches: every match a row of its own (a join),
    /// or, for `optional` and `not` of this one pattern, a row with none kept as it is
    /// (a left join) or only such rows kept (an anti-join, which stops at a first match).
    enum Joining { case inner, left, anti }

    final class PatternOp {
        let step: JoinPlan.PatternStep
        let slot: Int
        /// The variables the step may bind, each once.
        let variables: [Int]
        /// A variable at the subject or object that every row reaching this step binds:
        /// the key the step may be hash joined on.
        let key: (variable: Int, atSubject: Bool)?
        /// Whether this run joined by hash (`.explain` shows it).
        var hashed = false
        /// Statements read through index lists so far, against what a hash build reads.
        var indexWork = 0
        var buildWork: Int? = nil
        var keyed: KeyedStatements? = nil
        /// The rows being made, kept from call to call (see `expand`), and their count.
        let output: Output
        let joining: Joining
        /// A stored qualifier key the step needs, checked before the full match.
        let neededKey: Int32?
        /// For a plain step (see `scanPlain`): what each of `variables` takes from a match,
        /// and room for a chunk of matches.
        let scratch: ScanScratch?
        /// A candidate list made for the step's last lookup (a provenance key's runs spelled
        /// out), held while its candidates are read; and its predicates' lists one after
        /// another, when it has several (made once).
        var kept: ColumnSlice<StatementID> = .empty
        var predicateUnion: Column<StatementID>? = nil
        /// Quick filters that follow the step and test a variable it binds, applied as it
        /// scans (the variable's place in `variables`, and the test): a row they refuse is
        /// never made. The filter steps stay, and decide what these leave undecided; a
        /// counting scan (see `runCounting`), which no filter step follows, decides it by
        /// the filter whole (with the variables it reads).
        var pushed: [(at: Int, quick: QuickComparison, filter: CompiledExpr, reads: [Int])] = [] { didSet { keptSetup = nil } }
        /// Likewise an `is_a` of a constant type right after the step, on an entity it
        /// binds: a row whose entity is not of the type is never made (the `is_a` step
        /// still runs, and adds the type's evidence).
        var pushedTypes: [(at: Int, op: IsAOp, type: Int32)] = [] { didSet { keptSetup = nil } }
        /// Entities a variable it binds must be among (a bit per entity), set by a caller
        /// that will throw the other rows away (FactorizedCount, reading an atom for terms
        /// it has weights for): a plain scan refuses them before they are made, as it
        /// does a pushed type's non-members. Other ways of reading the step ignore it.
        var pushedMembers: [(at: Int, bits: [UInt64])] = []
        /// Later steps' ends, checked at each match (see `PairCheck`), and the variables
        /// they read from the input row that the step does not bind.
        var pairChecks: [PairCheck] = [] {
            didSet {
                keptSetup = nil
                var extra: [Int] = []
                for check in pairChecks {
                    for case .row(let v) in [check.subject, check.object] where !variables.contains(v) && !extra.contains(v) { extra.append(v) }
                }
                pairCheckRowVariables = extra
            }
        }
        private(set) var pairCheckRowVariables: [Int] = []
        /// The scan setup of the step as it stands (see `scanSetup`): dropped whenever what
        /// it copies (pushed filters and types, pair checks) changes.
        var keptSetup: ScanSetup? = nil
        /// In a worker's join, the hash side the run's workers share.
        var sharedSide: SharedSide? = nil

        /// Takes what `other`, the same step in another join of the same program and store,
        /// has built and this one has not: its hash side and its pair checks' tables. Built,
        /// neither changes again, so the joins of a run's workers share them (each built its
        /// own, the same, for every run), and the next run starts with them.
        func adoptBuilt(from other: PatternOp) {
            // A side built through a scan that a caller's members narrowed (they change
            // from call to call) is its own.
            if keyed == nil, let side = other.keyed, pushedMembers.isEmpty, other.pushedMembers.isEmpty {
                keyed = side
                buildWork = other.buildWork
            }
            if pairChecks.count == other.pairChecks.count,
               pairChecks.indices.contains(where: { !pairChecks[$0].isBuilt && other.pairChecks[$0].isBuilt }) {
                pairChecks = pairChecks.indices.map { pairChecks[$0].isBuilt || !other.pairChecks[$0].isBuilt ? pairChecks[$0] : other.pairChecks[$0] }
            }
            if antiPairs?.isBuilt == false, other.antiPairs?.isBuilt == true { antiPairs = other.antiPairs }
        }
        /// An anti-join decided by its pattern's pairs once they are built (see
        /// `PairCheck.antiJoin`).
        var antiPairs: PairCheck? = nil
        /// Whether this run decided rows by them (`.explain` shows it).
        var decidedByPairs = false

        init(_ step: JoinPlan.PatternStep, slot: Int, certain: Set<Int>, joining: Joining = .inner) {
            self.step = step
            self.slot = slot
            self.joining = joining
            neededKey = step.qualifiers.first { $0.key != StatementTable.sourceKey && $0.key != StatementTable.paraKey }?.key
            let vars = step.variables
            variables = vars
            scratch = BatchJoin.plainRoles(step).map { ScanScratch($0, step) }
            output = Output(vars, slot: slot)
            if step.subject.kind == .variable, certain.contains(step.subject.variable) {
                key = (step.subject.variable, true)
            } else if step.object.kind == .variable, certain.contains(step.object.variable) {
                key = (step.object.variable, false)
            } else {
                key = nil
            }
        }
    }

    final class IsAOp {
        let step: JoinPlan.IsAStep
        let slot: Int
        let variables: [Int]
        /// The type, when the step's is a constant.
        let constantType: Int32?
        /// For a constant type: its members, and a bit per entity for a bound subject.
        var members: [EntityID]? = nil
        var memberBits: [UInt64]? = nil
        /// `BatchJoin.typeClosures`, once made.
        var typeClosures: [[Int32]]? = nil
        let output: Output

        init(_ step: JoinPlan.IsAStep, slot: Int) {
            self.step = step
            self.slot = slot
            variables = [step.subject, step.type].filter { $0.kind == .variable }.map { $0.variable }
            constantType = step.type.kind == .constant ? Int32(bitPattern: UInt32(truncatingIfNeeded: step.type.value)) : nil
            output = Output(variables, slot: slot)
        }
    }

    /// The rows a step has made in this run (`.explain` shows them).
    final class Counter {
        var rows = 0
    }

    /// The evidence slots whose statements are each behind one row at most: the first
    /// pattern step's, when every later step only filters rows (filters, negations, and
    /// an `is_a` of a constant type on an end the pattern binds, whose type evidence does
    /// repeat), and it comes first (a statement matches it once) or right after the
    /// members of a constant type at one of its ends (each member a row once, and a
    /// statement has one subject and one object: no two rows share one).
    var ownEvidenceSlots: Set<Int> {
        let first: PatternOp
        var rest = ops.dropFirst()
        switch ops.first {
        case .pattern(let p)?: first = p
        case .isA(let a)? where a.constantType != nil && a.step.subject.kind == .variable:
            guard ops.count > 1, case .pattern(let p) = ops[1],
                  [p.step.subject, p.step.object].contains(where: { $0.kind == .variable && $0.variable == a.step.subject.variable })
            else { return [] }
            first = p
            rest = ops.dropFirst(2)
        default: return []
        }
        guard first.joining == .inner else { return [] }
        let ends = [first.step.subject, first.step.object].filter { $0.kind == .variable }.map(\.variable)
        for op in rest {
            switch op {
            case .filter, .absorbed, .not: continue
            case .isA(let a) where a.constantType != nil && a.step.subject.kind == .variable && ends.contains(a.step.subject.variable): continue
            default: return []
            }
        }
        return [first.slot]
    }

    indirect enum Op {
        case pattern(PatternOp)
        case isA(IsAOp)
        case path(PathOp)
        case call(CallOp)
        /// A filter, the variables it reads, its memo, its quick test, and the same decided
        /// on the bindings (`BindingFilter`) where it can be.
        case filter(CompiledExpr, [Int], memo: Int?, quick: QuickComparison?, fast: BindingFilter?, Counter)
        /// A filter the step before it applies (`JoinPlan.Step.absorbed`): rows pass.
        case absorbed(Counter)
        /// The inner steps, and the column that numbers their input rows.
        case not([Op], origin: Int, Counter)
        case optional([Op], origin: Int, Counter)
        case or([[Op]], origin: Int, Counter)
        /// A step that shares no variable with those before it, joined by hash on the
        /// equality filter after it (see `HashJoinOp`).
        case hashJoin(HashJoinOp)

        /// The rows the step made in this run.
        var rowsOut: Int {
            switch self {
            case .pattern(let p): return p.output.rowsOut
            case .isA(let a): return a.output.rowsOut
            case .path(let p): return p.rowsOut
            case .call(let c): return c.output.rowsOut
            case .hashJoin(let h): return h.rowsOut
            case .filter(_, _, _, _, _, let c), .not(_, _, let c), .optional(_, _, let c), .or(_, _, let c), .absorbed(let c): return c.rows
            }
        }

        /// Adds `other`'s counts (the same step in another join of the same program) to
        /// this step's, or clears them (`other` nil), inner steps included.
        func addCounts(_ other: Op?) {
            switch (self, other) {
            case (.pattern(let p), .pattern(let q)?):
                p.output.rowsOut += q.output.rowsOut
                p.hashed = p.hashed || q.hashed
                p.decidedByPairs = p.decidedByPairs || q.decidedByPairs
            case (.pattern(let p), _):
                p.output.rowsOut = 0
                p.hashed = false
                // Its pairs, like its hash side, are kept: the join reads one store.
                p.decidedByPairs = false
            case (.isA(let a), .isA(let b)?): a.output.rowsOut += b.output.rowsOut
            case (.isA(let a), _): a.output.rowsOut = 0
            case (.path(let p), .path(let q)?): p.rowsOut += q.rowsOut
            case (.path(let p), _):
                // A run starts: the start nodes are found again (the store may have changed).
                p.rowsOut = 0
                p.starts = nil
                (p.forwardTables, p.backwardTables, p.prefixTables, p.boundWalks) = (nil, nil, nil, 0)
                p.walked = nil
                p.linksTo = nil
            case (.call(let c), .call(let d)?): c.output.rowsOut += d.output.rowsOut
            case (.call(let c), _): c.output.rowsOut = 0
            case (.hashJoin(let h), .hashJoin(let g)?):
                h.rowsOut += g.rowsOut
                h.inner.addCounts(g.inner)
            case (.hashJoin(let h), _):
                h.reset()
                h.inner.addCounts(nil)
            case (.filter(_, _, _, _, _, let c), .filter(_, _, _, _, _, let d)?), (.absorbed(let c), .absorbed(let d)?): c.rows += d.rows
            case (.not(let inner, _, let c), .not(let other, _, let d)?), (.optional(let inner, _, let c), .optional(let other, _, let d)?):
                c.rows += d.rows
                for (x, y) in zip(inner, other) { x.addCounts(y) }
            case (.or(let branches, _, let c), .or(let others, _, let d)?):
                c.rows += d.rows
                for (b, o) in zip(branches, others) { for (x, y) in zip(b, o) { x.addCounts(y) } }
            case (.filter(_, _, _, _, _, let c), _), (.absorbed(let c), _): c.rows = 0
            case (.not(let inner, _, let c), _), (.optional(let inner, _, let c), _):
                c.rows = 0
                for x in inner { x.addCounts(nil) }
            case (.or(let branches, _, let c), _):
                c.rows = 0
                for b in branches { for x in b { x.addCounts(nil) } }
            }
        }
    }

    /// The run's execution (its limits, its row for filters): set by each run of a join
    /// that a prepared query keeps from one run to the next.
    @exclusivity(unchecked) var exec: Execution
    let store: FactStore
    let program: JoinPlan.Program
    let ops: [Op]
    /// Set in a worker of `runInParallel`: its part of the first step's statements.
    var topPart: (index: Int, of: Int)? = nil
    /// A distinct answer's entities so far, whose rows the join's own steps drop (see
    /// `AnsweredKeys`); set by the caller for one run.
    var answered: AnsweredKeys? = nil

    /// The first of the join's own steps that every row reaching it binds `v` at (after
    /// an inner step that binds it); nil when none does.
    func firstStepBound(_ v: Int) -> Int? {
        for (i, op) in ops.enumerated() {
            switch op {
            case .pattern(let p) where p.joining == .inner && p.variables.contains(v): return i + 1
            case .isA(let a) where a.variables.contains(v): return i + 1
            case .path(let p) where p.variables.contains(v): return i + 1
            case .call(let c) where c.variables.contains(v): return i + 1
            case .hashJoin(let h):
                switch h.inner {
                case .pattern(let p) where p.joining == .inner && p.variables.contains(v): return i + 1
                case .isA(let a) where a.variables.contains(v): return i + 1
                default: break
                }
            default: break
            }
        }
        return nil
    }
    /// From how many statements for the first step the join uses every core.
    var parallelThreshold = BatchJoin.defaultParallelThreshold
    let variableCount: Int
    /// Variables, then one origin column per `not`, `optional` and `or`.
    let width: Int
    let slotCount: Int
    // The scratch row and its trail, read and written at every candidate: one BatchJoin is
    // used by one thread, and no access to them overlaps another.
    @exclusivity(unchecked) var bindings: [UInt64]
    @exclusivity(unchecked) var trail: [Int] = []
    /// Per one-variable filter, its truth by binding (see TermMemo).
    @exclusivity(unchecked) var memos: [TermMemo]
    // The store's columns, held so that the hot loops read them without a retain.
    let subjects: Column<Term>
    let predicates: Column<PredicateID>
    let objects: Column<Term>
    let asserted: BitColumn
    let qualifierStart: Column<UInt32>
    let qualifierKeys: Column<Int32>
    let qualifierValues: Column<Term>
    let literals: LiteralTable
    let entities: EntityTable
    let table: StatementTable
    let statementCount: Int
    /// The subject, object, predicate and key indexes as addresses, for the lookup at every
    /// row (valid while `store`, held above, lives: it is not changed while a join reads it).
    let subjectLookup: TermPostings.RawLookup
    let objectLookup: TermPostings.RawLookup
    let predicateLookup: PostingIndex.RawLookup
    let keyLookup: PostingIndex.RawLookup
    /// The provenance run met last (statements from one `from` line share a document and
    /// paragraph): a list read in statement order finds the next statement's there,
    /// without a search of the runs.
    @exclusivity(unchecked) var provenanceRange: Range<Int> = 0..<0
    @exclusivity(unchecked) var provenanceRun = 0
    /// The provenance runs' columns as addresses (valid while `table`, which holds them,
    /// lives unchanged): a scan reads them at every run, and each read through the table
    /// was a retain and a release of the column.
    let runStarts: UnsafePointer<StatementID>
    let runDocuments: UnsafePointer<EntityID>
    let runParagraphs: UnsafePointer<Int32>
    let runCount: Int
    /// The statement columns as addresses (valid while the columns above, which hold them,
    /// live), for the scan and the qualifier lookup: a column read through the object
    /// may cost a retain and a release of its storage at each read.
    let subjectAt: UnsafePointer<Term>
    let predicateAt: UnsafePointer<PredicateID>
    let objectAt: UnsafePointer<Term>
    let assertedWords: UnsafePointer<UInt64>
    let qualifierStartAt: UnsafePointer<UInt32>
    let qualifierKeyAt: UnsafePointer<Int32>
    let qualifierValueAt: UnsafePointer<Term>

    /// Whether statement `n` is asserted (`asserted[n]`, through its address).
    @inline(__always) func isAsserted(_ n: Int) -> Bool { assertedWords[n >> 6] >> UInt64(n & 63) & 1 != 0 }
    /// The run's document and paragraph as terms, once asked for (nil: not yet).
    @exclusivity(unchecked) var provenanceDocument: Term?? = nil
    @exclusivity(unchecked) var provenanceParagraph: Term?? = nil

    /// `bound`: variables every input row binds (see `runBatches(from:)`); none when the
    /// join starts from one row of nothing.
    init(_ program: JoinPlan.Program, _ exec: Execution, variableCount: Int, bound: Set<Int> = []) {
        let store = exec.store
        self.exec = exec
        self.store = store
        self.program = program
        self.variableCount = variableCount
        var slots = 0
        var origins = 0
        ops = BatchJoin.operators(program.steps, certain: bound, variableCount: variableCount, store, &slots, &origins)
        width = variableCount + origins
        slotCount = slots
        bindings = Array(repeating: 0, count: width)
        memos = Array(repeating: TermMemo(), count: program.memoCount)
        subjects = store.table.subject
        predicates = store.table.predicate
        objects = store.table.object
        asserted = store.table.asserted
        qualifierStart = store.table.qualifierStart
        qualifierKeys = store.table.qualifierKeys
        qualifierValues = store.table.qualifierValues
        literals = store.literals
        entities = store.entities
        table = store.table
        (runStarts, runDocuments, runParagraphs) = (table.provenanceRunStart.address, table.provenanceRunDocument.address, table.provenanceRunParagraph.address)
        runCount = table.provenanceRunStart.count
        (subjectAt, predicateAt, objectAt, assertedWords) = (subjects.address, predicates.address, objects.address, asserted.wordAddress)
        (qualifierStartAt, qualifierKeyAt, qualifierValueAt) = (qualifierStart.address, qualifierKeys.address, qualifierValues.address)
        statementCount = store.statementCount
        subjectLookup = store.bySubject.rawLookup
        objectLookup = store.byObject.rawLookup
        predicateLookup = store.byPredicate.rawLookup
        keyLookup = store.byKey.rawLookup
    }

    /// The steps as operators, with their evidence slots and origin columns numbered in the
    /// order the steps come (so a row's statements read in that order, as a nested loop
    /// would stack them). `certain`: the variables bound in every row reaching the steps.
    ///
    /// `mayBeBound`: the variables rows reaching the steps may bind (the steps of an outer
    /// list before these); nil: those of `certain`.
    static func operators(
        _ steps: [JoinPlan.Step], certain: Set<Int>, mayBeBound: Set<Int>? = nil, variableCount: Int, _ store: FactStore, _ slots: inout Int, _ origins: inout Int
    ) -> [Op] {
        var mayBeBound = mayBeBound ?? certain
        var certain = certain
        var ops: [Op] = []
        func origin() -> Int {
            origins += 1
            return variableCount + origins - 1
        }
        // The last inner pattern step with only filters after it, and what it binds.
        var lastScan: (op: PatternOp, binds: Set<Int>)? = nil
        // Per op, the variables every row reaching it binds (see `pushPairChecks`).
        var certainBefore: [Set<Int>] = []
        for (index, step) in steps.enumerated() {
            certainBefore.append(certain)
            let before = mayBeBound
            mayBeBound.formUnion(BatchJoin.mayBind(step))
            /// The op, or a hash join of it with the equality filter after it.
            func joined(_ op: Op, binding variables: [Int]) -> Op {
                let following = index + 1 < steps.count ? steps[index + 1] : nil
                return BatchJoin.hashJoin(op, binding: Set(variables), followedBy: following, before: before).map { .hashJoin($0) } ?? op
            }
            let previous = lastScan
            switch step {
            case .filter, .absorbed: break
            default: lastScan = nil
            }
            switch step {
            case .pattern(let p):
                let op = PatternOp(p, slot: slots, certain: certain)
                slots += 1
                if op.scratch != nil { lastScan = (op, Set(op.variables).subtracting(certain)) }
                certain.formUnion(op.variables)
                ops.append(joined(.pattern(op), binding: op.variables))
            case .isA(let a):
                let op = IsAOp(a, slot: slots)
                slots += 1
                if let scan = previous, let type = op.constantType, a.subject.kind == .variable, scan.binds.contains(a.subject.variable),
                   let at = scan.op.variables.firstIndex(of: a.subject.variable) {
                    scan.op.pushedTypes.append((at, op, type))
                }
                certain.formUnion(op.variables)
                ops.append(joined(.isA(op), binding: op.variables))
            case .path(let p):
                let op = PathOp(p, slot: slots)
                slots += op.slotCount
                certain.formUnion(op.variables)
                ops.append(.path(op))
            case .call(let c):
                let op = CallOp(c, slot: slots)
                slots += 1
                certain.formUnion(op.variables)
                ops.append(.call(op))
            case .filter(let e, let vars, let memo, let quick):
                if let quick, let scan = lastScan, scan.binds.contains(quick.variable), let at = scan.op.variables.firstIndex(of: quick.variable) {
                    scan.op.pushed.append((at, quick, e, vars))
                }
                ops.append(.filter(e, vars, memo: memo, quick: quick, fast: quick == nil ? BindingFilter(e) : nil, Counter()))
            case .absorbed:
                ops.append(.absorbed(Counter()))
            case .not(let inner):
                if inner.count == 1, case .pattern(let p) = inner[0] {
                    // One pattern: an anti-join in the step itself.
                    let op = PatternOp(p, slot: slots, certain: certain, joining: .anti)
                    op.antiPairs = PairCheck.antiJoin(p, certain: certain, store)
                    ops.append(.pattern(op))
                    slots += 1
                    continue
                }
                let o = origin()
                ops.append(.not(operators(inner, certain: certain, mayBeBound: before, variableCount: variableCount, store, &slots, &origins), origin: o, Counter()))
            case .optional(let inner):
                if inner.count == 1, case .pattern(let p) = inner[0] {
                    // One pattern: a left join in the step itself, no batch put back in order.
                    ops.append(.pattern(PatternOp(p, slot: slots, certain: certain, joining: .left)))
                    slots += 1
                    continue
                }
                let o = origin()
                ops.append(.optional(operators(inner, certain: certain, mayBeBound: before, variableCount: variableCount, store, &slots, &origins), origin: o, Counter()))
            case .or(let branches):
                let o = origin()
                let planned = branches.map { operators($0, certain: certain, mayBeBound: before, variableCount: variableCount, store, &slots, &origins) }
                certain.formUnion(BatchJoin.binds([step]))
                ops.append(.or(planned, origin: o, Counter()))
            }
        }
        pushPairChecks(ops, certain: certainBefore, store)
        return ops
    }

    /// The variables every row that passes `steps` binds.
    static func binds(_ steps: [JoinPlan.Step]) -> Set<Int> {
        var out = Set<Int>()
        func add(_ p: JoinPlan.Position) { if p.kind == .variable { out.insert(p.variable) } }
        for step in steps {
            switch step {
            case .pattern(let p):
                out.formUnion(p.variables)
            case .isA(let a):
                add(a.subject)
                add(a.type)
            case .path(let p):
                out.formUnion(p.variables)
            case .call(let c):
                out.formUnion(c.variables)
            case .or(let branches):
                var inEvery: Set<Int>? = nil
                for b in branches { inEvery = inEvery.map { $0.intersection(binds(b)) } ?? binds(b) }
                out.formUnion(inEvery ?? [])
            case .filter, .absorbed, .not, .optional: break
            }
        }
        return out
    }

    // MARK: running

    /// A run's first input: one row, nothing bound. Made once (its columns are shared, as
    /// any batch's are, until a step sets one).
    lazy var startBatch = BindingBatch(count: 1, width: width, slots: slotCount)

    /// Runs the steps, handing `k` each answer's bindings (one word per variable, 0
    /// unbound) and the statements behind it, in order.
    func runBindings(_ k: ([UInt64], [StatementID]) throws -> Void) throws {
        var row = [UInt64](repeating: 0, count: variableCount)
        var statements: [StatementID] = []
        let variables = Array(0..<variableCount)
        try runBatches { batch in
            let rows = batch.rows(variables)
            let filled = batch.evidence.filter { !$0.isEmpty }
            for r in 0..<batch.count {
                try exec.tick()
                for v in 0..<variableCount { row[v] = rows[r * variableCount + v] }
                statements.removeAll(keepingCapacity: true)
                for column in filled where column[r] != BindingBatch.noStatement { statements.append(column[r]) }
                try k(row, statements)
            }
        }
    }

    /// Runs the steps, handing `k` the answers a batch at a time, in order.
    func runBatches(_ k: (BindingBatch) throws -> Void) throws {
        if topPart == nil {
            for op in ops { op.addCounts(nil) }
            try prepareCalls()
        }
        if try runInParallel(k) { return }
        try push(ops, 0, startBatch, k, own: true)
    }

    /// Runs the steps from `input` (at most `batchRows` rows, binding the variables the
    /// join was made with as `bound`), on one core, handing `k` the answers a batch at a
    /// time.
    func runBatches(from input: BindingBatch, _ k: (BindingBatch) throws -> Void) throws {
        for op in ops { op.addCounts(nil) }
        try prepareCalls()
        try push(ops, 0, input, k)
    }

    /// Runs every step but the last (see `countedStep`), whose matches are counted,
    /// not made into rows: for each batch of its input rows, `starts` says which rows'
    /// statements to keep, and `done` gets the step's output: per row, its number of
    /// matches and its first match's bindings, and the kept (row, statement) pairs in the
    /// order the rows would have come. For a caller that only counts the last step's
    /// matches per group of earlier bindings (`aggregateBindings`): making and grouping a
    /// row a match cost most of a count over a join whose last step multiplies its rows.
    /// One core, but for a join of one step, whose candidates every core counts a part of.
    func runCounting(batch starts: (BindingBatch) throws -> [Bool], done: (BindingBatch, Output) throws -> Void) throws {
        guard let (at, last) = countedStep else { preconditionFailure("runCounting needs a last inner pattern step") }
        let out = last.output
        for op in ops { op.addCounts(nil) }
        try prepareCalls()
        out.counting = true
        defer {
            out.counting = false
            // The filters it decided kept what it counted.
            for case .filter(_, _, _, _, _, let counter) in ops[(at + 1)...] { counter.rows = out.rowsOut }
        }
        if at == 0, runsInParallel {
            let input = startBatch
            try countInParallel(last, collects: try starts(input))
            try done(input, out)
            out.reset()
            return
        }
        try push(Array(ops[..<at]), 0, startBatch) { batch in
            out.collects = try starts(batch)
            out.matchesOfRow = Array(repeating: 0, count: batch.count)
            out.firstMade = Array(repeating: 0, count: batch.count * out.variables.count)
            try expand(last, batch) { _ in }
            try done(batch, out)
            out.reset()
        }
    }

    /// The step `runCounting` counts, and its place: the last, an inner pattern step,
    /// either after others in a join too small to share out over the cores (counting runs
    /// the steps before it on one, and a large join gains more from them), or first, then
    /// followed by filters only if each is pushed into its scan, which decides them whole
    /// as it counts (read by index or by hash, a step applies no pushed filter).
    var countedStep: (at: Int, op: PatternOp)? {
        guard let at = ops.lastIndex(where: { if case .pattern = $0 { true } else { false } }),
              case .pattern(let p) = ops[at], p.joining == .inner else { return nil }
        let trailing = ops.count - 1 - at
        if trailing > 0 {
            // An absorbed filter is applied by the step's own predicates.
            let absorbed = ops[(at + 1)...].count { if case .absorbed = $0 { true } else { false } }
            let filters = ops[(at + 1)...].allSatisfy { switch $0 { case .filter, .absorbed: true; default: false } }
            guard at == 0, filters, p.pushed.count == trailing - absorbed, p.scratch != nil, p.key == nil else { return nil }
        }
        guard at == 0 || !runsInParallel else { return nil }
        return (at, p)
    }

    /// Runs the steps; at each answer, the execution's row and evidence hold it for `k`.
    /// `reading`: the variables `k` reads (nil: all); the others are not made into Values.
    func run(reading: [Int]? = nil, _ k: () throws -> Void) throws {
        let decoded = reading ?? Array(0..<variableCount)
        try runBindings { row, statements in
            for v in decoded { exec.row[v] = row[v] == 0 ? nil : decode(row[v]) }
            exec.evidence.removeAll(keepingCapacity: true)
            exec.evidence.append(contentsOf: JoinPlan.evidence(list: statements, rules: exec.rules))
            try k()
        }
    }

    func decode(_ b: UInt64) -> Value { JoinPlan.decode(b, literals) }

    /// Step `i` of `ops` on `batch`, then the rest, then `sink`. `own`: `ops` are the
    /// join's own steps (not a `not`, `optional` or `or`'s), where rows of answered
    /// entities are dropped (`answered`).
    func push(_ ops: [Op], _ i: Int, _ batch: BindingBatch, _ sink: (BindingBatch) throws -> Void, own: Bool = false) throws {
        guard batch.count > 0 else { return }
        // (The batch is copied only when rows are dropped: a copy of it, kept or not, was a
        // retain and a release of each of its arrays at every step of a small query.)
        if own, let answered, i >= answered.from, i < ops.count, let kept = answered.unanswered(batch) {
            guard !kept.isEmpty else { return }
            return try step(ops, i, batch.gathered(kept), sink, own: own)
        }
        try step(ops, i, batch, sink, own: own)
    }

    /// Step `i` of `ops` on `batch` (`push`, rows of answered entities dropped already).
    private func step(_ ops: [Op], _ i: Int, _ batch: BindingBatch, _ sink: (BindingBatch) throws -> Void, own: Bool) throws {
        guard i < ops.count else { return try sink(batch) }
        // A tick, not a full check: a full one reads the resident size every 16th call,
        // and a small query pushes a few batches a run.
        try exec.tick()
        // The last step hands its batches to the sink itself: past the last step `push`
        // drops no rows, and no operator hands on an empty batch (each one guards).
        if i + 1 == ops.count { return try apply(ops[i], batch, sink) }
        try apply(ops[i], batch) { b in try push(ops, i + 1, b, sink, own: own) }
    }

    /// One step's operator on `batch`, its rows handed to `next` (never an empty batch).
    private func apply(_ op: Op, _ batch: BindingBatch, _ next: (BindingBatch) throws -> Void) throws {
        switch op {
        case .pattern(let p): try expand(p, batch, next)
        case .isA(let a): try expandIsA(a, batch, next)
        case .path(let p): try expandPath(p, batch, next)
        case .call(let c): try expandCall(c, batch, next)
        case .hashJoin(let h): try expandHashJoin(h, batch, next)
        case .absorbed(let counter):
            counter.rows += batch.count
            try next(batch)
        case .filter(let e, let vars, let memo, let quick, let fast, let counter):
            let kept = try keptRows(batch, e, vars, memo, quick, fast)
            counter.rows += kept.count
            if kept.count == batch.count { try next(batch) } else if !kept.isEmpty { try next(batch.gathered(kept)) }
        case .not(let inner, let origin, let counter):
            var matched: [Bool]
            if let reached = try reachesAnything(inner, batch) {
                matched = reached
            } else {
                matched = [Bool](repeating: false, count: batch.count)
                try push(inner, 0, numbered(batch, origin)) { found in
                    for r in found.columns[origin] { matched[Int(r)] = true }
                }
            }
            let kept = (0..<Int32(batch.count)).filter { !matched[Int($0)] }
            counter.rows += kept.count
            if kept.count == batch.count { try next(batch) } else if !kept.isEmpty { try next(batch.gathered(kept)) }
        case .optional(let inner, _, let counter) where batch.count == 1:
            // One row (a query's first step): its results are already in order.
            var any = false
            try push(inner, 0, batch) { found in
                any = true
                counter.rows += found.count
                try next(found)
            }
            if !any {
                counter.rows += 1
                try next(batch)
            }
        case .optional(let inner, let origin, let counter):
            let found = try collect(inner, numbered(batch, origin))
            var picks: [(source: Int32, row: Int32)] = []
            picks.reserveCapacity(max(batch.count, found.count))
            var j = 0
            for r in 0..<batch.count {
                let start = j
                while j < found.count && found.columns[origin][j] == UInt64(r) {
                    picks.append((1, Int32(j)))
                    j += 1
                }
                if j == start { picks.append((0, Int32(r))) }
            }
            counter.rows += picks.count
            try handOn(BindingBatch.interleaved([batch, found], picks), clearing: origin, next)
        case .or(let branches, _, let counter) where batch.count == 1:
            for b in branches {
                try push(b, 0, batch) { found in
                    counter.rows += found.count
                    try next(found)
                }
            }
        case .or(let branches, let origin, let counter):
            let input = numbered(batch, origin)
            let found = try branches.map { try collect($0, input) }
            var picks: [(source: Int32, row: Int32)] = []
            var next_ = [Int](repeating: 0, count: found.count)
            for r in 0..<batch.count {
                for (b, f) in found.enumerated() {
                    while next_[b] < f.count && f.columns[origin][next_[b]] == UInt64(r) {
                        picks.append((Int32(b), Int32(next_[b])))
                        next_[b] += 1
                    }
                }
            }
            guard !picks.isEmpty else { return }
            counter.rows += picks.count
            try handOn(BindingBatch.interleaved(found, picks), clearing: origin, next)
        }
    }

    /// The batch with column `origin` numbering its rows.
    private func numbered(_ batch: BindingBatch, _ origin: Int) -> BindingBatch {
        var b = batch
        b.columns[origin] = (0..<UInt64(batch.count)).map { $0 }
        return b
    }

    /// Every row the steps make from `batch`, in one batch.
    func collect(_ ops: [Op], _ batch: BindingBatch) throws -> BindingBatch {
        var all = BindingBatch(count: 0, width: width, slots: slotCount)
        try push(ops, 0, batch) { all.append($0) }
        return all
    }

    /// Hands `batch` on in batches of at most `batchRows`, its `origin` column dropped.
    private func handOn(_ batch: BindingBatch, clearing origin: Int, _ next: (BindingBatch) throws -> Void) throws {
        var batch = batch
        batch.columns[origin] = []
        guard batch.count > BatchJoin.batchRows else { return try next(batch) }
        var start = 0
        while start < batch.count {
            let end = min(start + BatchJoin.batchRows, batch.count)
            try next(batch.gathered((Int32(start)..<Int32(end)).map { $0 }))
            start = end
        }
    }

    /// The rows of `batch` that pass a filter.
    private func keptRows(_ batch: BindingBatch, _ e: CompiledExpr, _ vars: [Int], _ memo: Int?, _ quick: QuickComparison?, _ fast: BindingFilter?) throws -> [Int32] {
        var kept: [Int32] = []
        kept.reserveCapacity(batch.count)
        let (literals, entities) = (self.literals, self.entities)
        if let fast {
            // The tables read in place for the whole batch (see `BindingFilter`).
            try entities.withNames { names in
                try literals.withPayloads { payloads in
                    let tables = BindingFilter.Tables(names: names, literals: payloads)
                    var scratch = BindingFilter.Scratch()
                    defer { scratch.free() }
                    try batch.column(fast.left.variable).withUnsafeBufferPointer { left in
                        try batch.column(fast.right.variable).withUnsafeBufferPointer { right in
                            for r in 0..<batch.count {
                                if let truth = fast.truth(r, left, right, tables, &scratch) {
                                    if truth { kept.append(Int32(r)) }
                                } else if try generalTruth(batch, r, e, vars, memo) {
                                    kept.append(Int32(r))
                                }
                            }
                        }
                    }
                }
            }
            return kept
        }
        // Read at every row as plain values when it can be (see `QuickComparison.Plain`).
        let (plain, quickVariable) = (quick?.plain, quick?.variable)
        for r in 0..<batch.count {
            if let v = quickVariable {
                let b = batch.binding(v, r)
                if let truth = plain != nil ? plain!.truth(b, literals) : quick!.truth(b, literals, entities) {
                    if truth { kept.append(Int32(r)) }
                    continue
                }
            }
            if try generalTruth(batch, r, e, vars, memo) { kept.append(Int32(r)) }
        }
        return kept
    }

    /// A filter's truth at row `r` by the general evaluator, remembered by binding when the
    /// filter reads one variable (`memo`).
    private func generalTruth(_ batch: BindingBatch, _ r: Int, _ e: CompiledExpr, _ vars: [Int], _ memo: Int?) throws -> Bool {
        if let m = memo {
            let b = batch.binding(vars[0], r)
            if let known = memos[m].truth(of: b) { return known }
            exec.row[vars[0]] = b == 0 ? nil : decode(b)
            let truth = try exec.truth(e)
            memos[m].remember(b, truth)
            return truth
        }
        for v in vars {
            let b = batch.binding(v, r)
            exec.row[v] = b == 0 ? nil : decode(b)
        }
        return try exec.truth(e)
    }
}
