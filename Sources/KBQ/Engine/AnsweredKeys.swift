import CKBQPrefetch

/// The entities a distinct answer of one column already holds, for the join to drop the
/// rows that could only repeat one (`BatchJoin.answered`): `find distinct ?e where ?x
/// participated_in ?e, ?y participated_in ?e, ...` pairs every participant of an event
/// with every other, and once the event is an answer, every row still to come for it is a
/// repeat, whose evidence the answer does not keep (it is found when asked, by a run that
/// drops nothing: `PreparedQuery.distinctEvidence`). Likewise the bindings a count of one
/// variable's distinct bindings has counted, once its one group's evidence is full
/// (`aggregateBindings`): a row dropped after that adds neither a count nor a statement.
///
/// Invariant: a row is dropped only when its binding of `variable`, which every row from
/// step `from` on binds and no later step changes, is an entity the answer already holds;
/// every row made from it would answer that entity again. Rows are dropped at the join's
/// own steps only, never inside a `not`, `optional` or `or` (where a dropped row would
/// change what the step decides for the row it serves).
///
/// Bits are set by the thread that takes the answers in order, and read by the workers
/// as they join: a bit is set only once its answer is taken, so a worker never drops the
/// first row of an answer (that row, in an earlier part or earlier in its own, was taken
/// first).
final class AnsweredKeys: @unchecked Sendable {
    let variable: Int
    let from: Int
    private let words: UnsafeMutablePointer<UInt64>
    private let count: Int

    init(variable: Int, from: Int, entities: Int) {
        (self.variable, self.from, count) = (variable, from, entities)
        let n = (entities + 63) / 64
        words = .allocate(capacity: max(1, n))
        words.initialize(repeating: 0, count: max(1, n))
    }

    deinit { words.deallocate() }

    /// The entity a binding stands for, if it is one this set covers.
    @inline(__always) private func entity(_ b: UInt64) -> Int? {
        guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        return t.kind == Term.entityKind && t.index < count ? t.index : nil
    }

    /// Notes an answer's binding.
    @inline(__always) func mark(_ b: UInt64) {
        guard let e = entity(b) else { return }
        kbq_atomic_or(words + (e >> 6), 1 << UInt64(e & 63))
    }

    @inline(__always) func contains(_ b: UInt64) -> Bool {
        guard let e = entity(b) else { return false }
        return kbq_atomic_load(words + (e >> 6)) & (1 << UInt64(e & 63)) != 0
    }

    /// The rows of `batch` to keep (nil: all of them).
    func unanswered(_ batch: BindingBatch) -> [Int32]? {
        let column = batch.columns[variable]
        guard !column.isEmpty, column.contains(where: contains) else { return nil }
        return (0..<Int32(batch.count)).filter { !contains(column[Int($0)]) }
    }
}
