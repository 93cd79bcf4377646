import Dispatch
import Synchronization

/// A large join on every core: the first step's candidates cut into equal parts in order.
/// The first part is joined on the calling thread and its answers handed on at once, as one
/// core would (a reader that stops early, `| head`, stops the rest too); the other parts are
/// joined meanwhile by workers of their own (own bindings, trail and execution) and handed
/// on after it, part by part, so the answers come in exactly the one-core order.
extension IDJoin {
    /// Below this many candidates for the first step, one core: starting workers costs more.
    static let defaultParallelThreshold = 32768

    /// What the workers share: read, never written, while they run.
    struct SharedJoin: @unchecked Sendable {
        let steps: [Step]
        let memoCount: Int
        let exec: Execution
        let variableCount: Int
    }

    /// One worker's answers: each answer's bindings and the statements behind it, flat.
    final class PartAnswers: @unchecked Sendable {
        var bindings: [UInt64] = []
        var statements: [StatementID] = []
        var statementEnds: [Int] = []
        var failure: Error? = nil
    }

    /// Set when the first part ends early (an error, a limit, a closed pipe): the workers
    /// stop at their next limits check.
    final class StopFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// Runs the join on every core when it is worth it; false when it did not run.
    func runInParallel(_ k: ([UInt64], [StatementID]) throws -> Void) throws -> Bool {
        let workers = Parallel.cores
        guard workers > 1, topPart == nil, let first = steps.first, case .pattern(let p) = first,
            !p.impossible, candidates(p).count >= parallelThreshold
        else { return false }
        let shared = SharedJoin(steps: steps, memoCount: memos.count, exec: exec, variableCount: variableCount)
        let stop = StopFlag()
        let outer = exec.limits
        let limits = Limits(isCancelled: { stop.raised.load(ordering: .relaxed) || outer.isCancelled() }, deadline: outer.deadline)
        let parts = (1..<workers).map { _ in PartAnswers() }
        let group = DispatchGroup()
        for w in 1..<workers {
            let out = parts[w - 1]
            DispatchQueue.global().async(group: group) {
                do {
                    let join = IDJoin(Program(steps: shared.steps, memoCount: shared.memoCount), shared.exec.fork(limits: limits), variableCount: shared.variableCount)
                    join.topPart = (w, workers)
                    try join.solve(join.steps, 0) {
                        out.bindings.append(contentsOf: join.bindings)
                        out.statements.append(contentsOf: join.statements)
                        out.statementEnds.append(out.statements.count)
                    }
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
        // The first part on this thread, by a fresh join as the workers' are (reusing this
        // one measured a third slower on the benchmark's Q4).
        let mine = IDJoin(Program(steps: steps, memoCount: memos.count), exec.fork(limits: exec.limits), variableCount: variableCount)
        mine.topPart = (0, workers)
        try mine.solve(mine.steps, 0) { try k(mine.bindings, mine.statements) }
        group.wait()
        // Handed on through two arrays reused from answer to answer, as `solve` does.
        var rowBindings = [UInt64](repeating: 0, count: variableCount)
        var rowStatements: [StatementID] = []
        for part in parts {
            if let failure = part.failure { throw failure }
            var start = 0
            for (n, end) in part.statementEnds.enumerated() {
                try exec.tick()
                for v in 0..<variableCount { rowBindings[v] = part.bindings[n * variableCount + v] }
                rowStatements.removeAll(keepingCapacity: true)
                rowStatements.append(contentsOf: part.statements[start..<end])
                try k(rowBindings, rowStatements)
                start = end
            }
        }
        return true
    }
}
