import Dispatch
import Synchronization

/// A large join on every core: the first step's statements cut into equal parts in order.
/// The first part is joined on the calling thread and its batches handed on at once, as one
/// core would (a reader that stops early, `| head`, stops the rest too); the other parts are
/// joined meanwhile by workers of their own (own scratch row, execution and hash sides) and
/// handed on after it, part by part, so the answers come in exactly the one-core order.
extension BatchJoin {
    /// Below this many statements for the first step, one core: starting workers costs more.
    static let defaultParallelThreshold = 32768

    /// What the workers share: read, never written, while they run.
    struct SharedJoin: @unchecked Sendable {
        let program: JoinPlan.Program
        let exec: Execution
        let variableCount: Int
    }

    /// One worker's batches, in order.
    final class PartBatches: @unchecked Sendable {
        var batches: [BindingBatch] = []
        var join: BatchJoin? = nil
        var failure: Error? = nil
    }

    /// Set when the first part ends early (an error, a limit, a closed pipe): the workers
    /// stop at their next limits check.
    final class StopFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// Whether `runBatches` runs this join on every core: more than one, and a first step
    /// with many statements.
    var runsInParallel: Bool {
        guard Parallel.cores > 1, topPart == nil, case .pattern(let p)? = ops.first, !p.step.impossible else { return false }
        return candidates(p).size(store) >= parallelThreshold
    }

    /// Runs the join on every core when it is worth it; false when it did not run.
    func runInParallel(_ k: (BindingBatch) throws -> Void) throws -> Bool {
        let workers = Parallel.cores
        guard runsInParallel else { return false }
        let shared = SharedJoin(program: program, exec: exec, variableCount: variableCount)
        let stop = StopFlag()
        let outer = exec.limits
        let limits = Limits(isCancelled: { stop.raised.load(ordering: .relaxed) || outer.isCancelled() }, deadline: outer.deadline, memoryLimit: outer.memoryLimit)
        let parts = (1..<workers).map { _ in PartBatches() }
        let group = DispatchGroup()
        for w in 1..<workers {
            let out = parts[w - 1]
            DispatchQueue.global().async(group: group) {
                do {
                    let join = BatchJoin(shared.program, shared.exec.fork(limits: limits), variableCount: shared.variableCount)
                    join.topPart = (w, workers)
                    out.join = join
                    try join.runBatches { out.batches.append($0) }
                } catch {
                    out.failure = error
                }
            }
        }
        // Whatever ends this call, the workers are stopped and waited for: none outlives it.
        defer {
            stop.raised.store(true, ordering: .relaxed)
            group.wait()
        }
        let mine = BatchJoin(program, exec.fork(limits: exec.limits), variableCount: variableCount)
        mine.topPart = (0, workers)
        try mine.runBatches(k)
        group.wait()
        for (op, theirs) in zip(ops, mine.ops) { op.addCounts(theirs) }
        for part in parts { if let join = part.join { for (op, theirs) in zip(ops, join.ops) { op.addCounts(theirs) } } }
        for part in parts {
            if let failure = part.failure { throw failure }
            for b in part.batches {
                try exec.tick()
                try k(b)
            }
        }
        return true
    }
}

extension BatchJoin.Candidates {
    /// Part `index` of `of` equal parts, in order (every statement, when `everything`, is
    /// not split: the first part takes them all).
    func part(_ p: (index: Int, of: Int)) -> BatchJoin.Candidates {
        guard !everything else { return p.index == 0 ? self : BatchJoin.Candidates() }
        let lo = count * p.index / p.of
        let hi = count * (p.index + 1) / p.of
        var c = self
        c.ids = ids + lo
        c.count = hi - lo
        c.predicates = predicates.map { $0 + lo }
        c.otherEnds = otherEnds.map { $0 + lo }
        c.subjects = subjects.map { $0 + lo }
        return c
    }
}
