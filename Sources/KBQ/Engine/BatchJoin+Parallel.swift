import Dispatch
import Synchronization

/// A large join on every core: the first step's statements cut into equal parts in order,
/// each joined by a worker of its own (own scratch row, execution and hash sides). The
/// calling thread hands the batches on as they come, part by part, so the answers come in
/// exactly the one-core order, and what consumes them (grouping, output) runs beside the
/// joins instead of after its own part; a reader that stops early (`| head`) stops the
/// workers too.
extension BatchJoin {
    /// Below this many statements for the first step, one core: starting workers costs more.
    static let defaultParallelThreshold = 32768
    /// The threshold for a join whose later steps multiply its first (see
    /// `PreparedQuery.join`): below it, parts too small to repay a worker's start.
    static let multiplyingThreshold = 4096

    /// This join's steps, for the workers to copy what a caller pushed into them.
    struct UncheckedOps: @unchecked Sendable { let ops: [Op] }

    /// What the workers share: read, never written, while they run (but for the stop
    /// flag, an atomic).
    struct SharedJoin: @unchecked Sendable {
        let program: JoinPlan.Program
        let exec: Execution
        let variableCount: Int
        /// The steps' pushed members, read by the workers before any changes them.
        let members: UncheckedOps
        /// The caller's limits, and the flag that stops every worker at its next check.
        let limits: Limits
        let stop: StopFlag
        /// Per step, the hash side its workers share (nil for a step never hash joined).
        let sides: [SharedSide?]
        /// The answer's entities so far, shared with the calling thread (see `AnsweredKeys`).
        let answered: AnsweredKeys?

        /// The join of worker `w` of `workers`: its own execution, its part of the first
        /// step, the steps' pushed members.
        func join(_ w: Int, of workers: Int) -> BatchJoin {
            let join = BatchJoin(program, exec.fork(limits: limits), variableCount: variableCount)
            join.topPart = (w, workers)
            join.answered = answered
            for (i, ops) in zip(members.ops, join.ops).enumerated() {
                guard case (.pattern(let mine), .pattern(let theirs)) = ops else { continue }
                theirs.pushedMembers = mine.pushedMembers
                theirs.adoptBuilt(from: mine)
                theirs.sharedSide = sides[i]
            }
            return join
        }
    }

    /// Adds a worker's counts to this join's steps, and keeps the hash sides and pair
    /// checks it built (see `PatternOp.adoptBuilt`) for the next run's workers.
    func adoptCounts(_ worker: BatchJoin) {
        for (op, theirs) in zip(ops, worker.ops) {
            op.addCounts(theirs)
            if case (.pattern(let mine), .pattern(let built)) = (op, theirs) { mine.adoptBuilt(from: built) }
        }
    }

    /// A hash side that the workers of one run build once between them: every worker's
    /// side of a step is the same (the step's statements grouped by its key, whatever the
    /// worker's part), and each built its own. The first worker to need it builds it while
    /// the others wait for it.
    final class SharedSide: @unchecked Sendable {
        private let lock = DispatchSemaphore(value: 1)
        /// Read and written with `lock` held.
        private var side: KeyedStatements? = nil

        func side(building build: () throws -> KeyedStatements) rethrows -> KeyedStatements {
            lock.wait()
            defer { lock.signal() }
            if let side { return side }
            let built = try build()
            side = built
            return built
        }
    }

    /// What this join's workers share.
    func sharedWithWorkers() -> SharedJoin {
        let stop = StopFlag()
        let outer = exec.limits
        let limits = Limits(isCancelled: { stop.raised.load(ordering: .relaxed) || outer.isCancelled() }, deadline: outer.deadline, memoryLimit: outer.memoryLimit)
        let sides = ops.map { op -> SharedSide? in
            if case .pattern(let p) = op, p.key != nil { SharedSide() } else { nil }
        }
        return SharedJoin(program: program, exec: exec, variableCount: variableCount, members: UncheckedOps(ops: ops), limits: limits, stop: stop, sides: sides, answered: answered)
    }

    /// One worker's batches, in order, taken by the calling thread as they come.
    ///
    /// Invariant: `available` is signalled once per batch appended and once more when the
    /// worker ends (`finished` set, `failure` with it), so the reader's n-th wait returns
    /// when the n-th batch, or the end, is there.
    final class PartBatches: @unchecked Sendable {
        private let state = Mutex<(batches: [BindingBatch], finished: Bool)>(([], false))
        private let available = DispatchSemaphore(value: 0)
        private var taken = 0
        var join: BatchJoin? = nil
        var failure: Error? = nil

        /// Called by the worker.
        func append(_ batch: BindingBatch) {
            state.withLock { $0.batches.append(batch) }
            available.signal()
        }

        /// Called by the worker as it ends, after `join` and `failure` are set.
        func finish() {
            state.withLock { $0.finished = true }
            available.signal()
        }

        /// The next batch, waiting for it; nil once the worker has ended and every batch
        /// was taken. Called by the calling thread only.
        func next() -> BindingBatch? {
            available.wait()
            let i = taken
            return state.withLock { s -> BindingBatch? in
                guard i < s.batches.count else { return nil }
                // Taken batches are let go at once: a slow reader holds no more than
                // what the workers are ahead by.
                let batch = s.batches[i]
                s.batches[i] = BindingBatch(count: 0, width: 0, slots: 0)
                return batch
            }.map { batch in
                taken += 1
                return batch
            }
        }
    }

    /// Set when the reader ends early (an error, a limit, a closed pipe): the workers stop
    /// at their next limits check.
    final class StopFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// Whether `runBatches` runs this join on every core: more than one, and a first step
    /// with many statements.
    var runsInParallel: Bool {
        guard Parallel.cores > 1, topPart == nil, case .pattern(let p)? = ops.first, !p.step.impossible else { return false }
        return candidates(p).size(statementCount) >= parallelThreshold
    }

    /// About how many rows the first step makes from nothing bound: its candidate
    /// statements, or its type's members (FactorizedCount reads the smaller first).
    var firstStepSize: Int {
        switch ops.first {
        case .pattern(let p)?: return p.step.impossible ? 0 : candidates(p).size(statementCount)
        case .isA(let a)?: return a.constantType.map { members(a, $0).count } ?? store.entities.count
        default: return store.table.count
        }
    }

    /// Runs the join on every core when it is worth it; false when it did not run.
    func runInParallel(_ k: (BindingBatch) throws -> Void) throws -> Bool {
        let workers = Parallel.cores
        guard runsInParallel else { return false }
        let shared = sharedWithWorkers()
        let parts = (0..<workers).map { _ in PartBatches() }
        let group = DispatchGroup()
        for w in 0..<workers {
            let out = parts[w]
            DispatchQueue.global().async(group: group) {
                do {
                    let join = shared.join(w, of: workers)
                    out.join = join
                    try join.runBatches { out.append($0) }
                } catch {
                    out.failure = error
                }
                out.finish()
            }
        }
        // Whatever ends this call, the workers are stopped and waited for: none outlives it.
        defer {
            shared.stop.raised.store(true, ordering: .relaxed)
            group.wait()
        }
        for part in parts {
            while let b = part.next() {
                try exec.tick()
                try k(b)
            }
            // Its end was signalled after its failure was set (see PartBatches).
            if let failure = part.failure { throw failure }
        }
        group.wait()
        for part in parts { if let join = part.join { adoptCounts(join) } }
        return true
    }
}

extension BatchJoin {
    /// One worker's count of its part of a lone step's candidates (see `countInParallel`).
    struct PartCount: @unchecked Sendable {
        var matches = 0
        var firstMade: [UInt64] = []
        var statements: [StatementID] = []
        var join: BatchJoin? = nil
        var failure: Error? = nil
    }

    /// Counts the matches of `last`, this join's first step (see `countedStep`), on every
    /// core: each worker counts an equal part of its candidates, in order, and the parts
    /// are put together in `last`'s output as one core would have left it (matches summed, the first match's
    /// bindings from the first part that has one, kept statements in part order).
    func countInParallel(_ last: PatternOp, collects: [Bool]) throws {
        let workers = Parallel.cores
        let shared = sharedWithWorkers()
        let collectsAtMost = last.output.collectsAtMost
        let parts = Parallel.map(workers) { w -> PartCount in
            var part = PartCount()
            do {
                let join = shared.join(w, of: workers)
                part.join = join
                guard let (_, step) = join.countedStep else { return part }
                let out = step.output
                out.counting = true
                out.collects = collects
                out.collectsAtMost = collectsAtMost
                out.matchesOfRow = [0]
                out.firstMade = Array(repeating: 0, count: out.variables.count)
                try join.expand(step, BindingBatch(count: 1, width: join.width, slots: join.slotCount)) { _ in }
                (part.matches, part.firstMade, part.statements) = (out.matchesOfRow[0], out.firstMade, out.statements)
            } catch {
                part.failure = error
                // The other workers stop at their next limits check.
                shared.stop.raised.store(true, ordering: .relaxed)
            }
            return part
        }
        // A worker stopped by another's failure is cancelled: the cause is another failure.
        let failures = parts.compactMap(\.failure)
        if let failure = failures.first(where: { ($0 as? Interruption) != .cancelled }) ?? failures.first {
            throw failure
        }
        let out = last.output
        out.reset()
        out.matchesOfRow = [parts.reduce(0) { $0 + $1.matches }]
        out.firstMade = parts.first(where: { $0.matches > 0 })?.firstMade ?? Array(repeating: 0, count: out.variables.count)
        for part in parts {
            out.statements += part.statements
            out.parents.append(contentsOf: repeatElement(0, count: part.statements.count))
            if let join = part.join { adoptCounts(join) }
        }
    }
}

extension BatchJoin.Candidates {
    /// Part `index` of `of` equal parts, in order (of every statement, when `everything`,
    /// given `statementCount`).
    func part(_ p: (index: Int, of: Int), statementCount: Int) -> BatchJoin.Candidates {
        let count = size(statementCount)
        let lo = count * p.index / p.of
        let hi = count * (p.index + 1) / p.of
        var c = self
        if everything {
            let first = statements?.lowerBound ?? 0
            c.statements = first + lo..<first + hi
            return c
        }
        c.ids = ids + lo
        c.count = hi - lo
        c.predicates = predicates.map { $0 + lo }
        c.otherEnds = otherEnds.map { $0 + lo }
        c.subjects = subjects.map { $0 + lo }
        c.objects = objects.map { $0 + lo }
        return c
    }
}
