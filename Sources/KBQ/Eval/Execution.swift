#if canImport(Glibc)
import Glibc
#endif

/// What stops a running query: Ctrl-C (a flag polled here) or a time limit.
public struct Limits: Sendable {
    public var isCancelled: @Sendable () -> Bool
    /// Monotonic nanoseconds after which evaluation stops, or nil.
    public var deadline: UInt64?
    /// Resident bytes past which a query stops (nil: none): a cross product that
    /// materialises stops with an error before the kernel's OOM killer ends the process.
    public var memoryLimit: Int?

    public init(isCancelled: @escaping @Sendable () -> Bool = { false }, deadline: UInt64? = nil, memoryLimit: Int? = nil) {
        self.isCancelled = isCancelled
        self.deadline = deadline
        self.memoryLimit = memoryLimit
    }

    /// The default memory budget: three quarters of the machine's memory.
    public static var defaultMemoryLimit: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages / 4 * 3 * size : 8 << 30
    }

    /// The process's resident bytes now (the second field of /proc/self/statm, in pages);
    /// nil where that cannot be read.
    public static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 96)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    public static let none = Limits()

    /// The seconds a user gives (`--timeout`, `.timeout`): a finite number above zero; nil
    /// for anything else (`inf`, `nan`, `-1`, `0`, words).
    public static func seconds(_ text: String) -> Double? {
        guard let s = Double(text), s.isFinite, s > 0 else { return nil }
        return s
    }

    /// The deadline `seconds` after `start` (monotonic nanoseconds); nil, no limit, when it
    /// lies past what the clock can count (a timeout of centuries is no timeout).
    public static func deadline(after seconds: Double, from start: UInt64) -> UInt64? {
        let nanoseconds = seconds * 1e9
        guard nanoseconds.isFinite, nanoseconds < Double(UInt64.max - start) else { return nil }
        return start + UInt64(nanoseconds)
    }
}

/// Evaluation stopped before its end.
public enum Interruption: Error, Sendable {
    case cancelled
    case timeLimit
    case memoryLimit
}

/// Thrown to end a search early (first solution found, limit reached).
struct StopSearch: Error {}

/// Depth-first evaluation of planned goals over the store: a nested-loop join where every
/// pattern reads the smallest index its bound positions allow. Bindings live in one row
/// with a trail for undoing them; evidence is a stack pushed and popped alongside.
final class Execution {
    let store: FactStore
    let ops: ValueOps
    let rules: RuleEngine
    private(set) var limits: Limits
    // The evaluator's state, read and written at every step of a search: exclusivity is
    // not checked at run time (a dynamic check on every access cost 5% of a query). The
    // invariant that makes it safe: one Execution is used by one thread, and no access to
    // these overlaps another (no inout of one is held across a call that touches it).
    @exclusivity(unchecked) var row: [Value?]
    @exclusivity(unchecked) var trail: [Int] = []
    @exclusivity(unchecked) var evidence: [Evidence] = []
    @exclusivity(unchecked) var steps = 0
    @exclusivity(unchecked) var memoryChecks = 0
    /// A path closure's scratch, kept from one start node to the next (see `closure`).
    @exclusivity(unchecked) var pathScratch = PathScratch()
    /// The nodes each nesting level of a term walk has kept (see `termReach`).
    @exclusivity(unchecked) var walkSeen: [TermSeen] = []
    /// Three lists per nesting level of a term walk, kept from one start node to the next.
    @exclusivity(unchecked) var walkBuffers: [[Int32]] = []
    /// Closures walked by `termClosure` in this run (past a few, each reads its step's
    /// table).
    @exclusivity(unchecked) var closureWalks = 0
    /// The last closure step's table, held for the run (found in the store's cache by a
    /// key made of its predicates, once a walk, it cost more than the walk).
    @exclusivity(unchecked) var closureTable: (predicates: [PredicateID], inverse: Bool, table: KeyedStatements)? = nil
    // The store's columns, held here so that the hot loop reads them without a retain.
    let subjects: Column<Term>
    let predicates: Column<PredicateID>
    let objects: Column<Term>
    let asserted: BitColumn
    /// The subject and object indexes as addresses (valid while `store` lives unchanged).
    let subjectLookup: TermPostings.RawLookup
    let objectLookup: TermPostings.RawLookup

    /// `ops`: a query's own, kept from run to run (see `PreparedQuery.valueOps`); nil makes
    /// one.
    init(store: FactStore, source: SourceText, rules: RuleEngine, limits: Limits, variableCount: Int, ops: ValueOps? = nil) {
        self.store = store
        subjectLookup = store.bySubject.rawLookup
        objectLookup = store.byObject.rawLookup
        subjects = store.table.subject
        predicates = store.table.predicate
        objects = store.table.object
        asserted = store.table.asserted
        self.ops = ops ?? ValueOps(store: store, source: source)
        self.rules = rules
        self.limits = limits
        self.row = Array(repeating: nil, count: variableCount)
    }

    /// This execution as a fresh one with `limits` would be: no bindings, no evidence, no
    /// steps counted, no scratch kept. For its query's next run (see
    /// `PreparedQuery.execution`), when nothing else holds it.
    func restart(limits: Limits, variableCount: Int) {
        self.limits = limits
        steps = 0
        memoryChecks = 0
        if row.count == variableCount {
            for v in row.indices { row[v] = nil }
        } else {
            row = Array(repeating: nil, count: variableCount)
        }
        trail.removeAll(keepingCapacity: true)
        evidence.removeAll(keepingCapacity: true)
        // A run stopped by a limit may have left them part way.
        pathScratch = PathScratch()
        walkSeen = []
        walkBuffers = []
        closureWalks = 0
        closureTable = nil
    }

    /// A fresh execution over the same store and rules (for another thread).
    func fork(limits: Limits) -> Execution {
        Execution(store: store, source: ops.source, rules: rules, limits: limits, variableCount: row.count)
    }

    @inline(__always) func tick() throws {
        steps &+= 1
        if steps & 1023 == 0 { try checkLimits() }
    }

    /// `n` steps at once (a scan's chunk): the limits are checked when a multiple of 1024
    /// is passed, as `tick` would have.
    @inline(__always) func tick(by n: Int) throws {
        let before = steps
        steps &+= n
        if before >> 10 != steps >> 10 { try checkLimits() }
    }

    func checkLimits() throws {
        if limits.isCancelled() { throw Interruption.cancelled }
        if let d = limits.deadline, Clock.nanoseconds() > d { throw Interruption.timeLimit }
        // Memory is read every 16th check (a file read, where the others are a load and a
        // clock): at most some 16,000 steps of growth between two readings.
        memoryChecks &+= 1
        if let budget = limits.memoryLimit, memoryChecks & 15 == 0, let resident = Limits.residentBytes(), resident > budget {
            throw Interruption.memoryLimit
        }
    }

    func undo(to mark: Int) {
        while trail.count > mark { row[trail.removeLast()] = nil }
    }

    func value(of s: Slot) -> Value? {
        switch s {
        case .constant(let v): return v
        case .variable(let i): return row[i]
        default: return nil
        }
    }

    /// Binds or checks a slot against a value.
    func unify(_ s: Slot, _ v: Value) -> Bool {
        switch s {
        case .wildcard: return true
        case .constant(let c): return c == v
        case .variable(let i):
            if let bound = row[i] { return bound == v }
            row[i] = v
            trail.append(i)
            return true
        case .proposition(let p):
            guard case .proposition(let pid) = v else { return false }
            return match(p, pid)
        }
    }

    /// Binds or checks a slot against a stored term, making its value only when needed.
    @inline(__always) func unify(_ s: Slot, _ t: Term) -> Bool {
        if case .wildcard = s { return true }
        return unify(s, store.value(t))
    }

    /// Whether statement `sid` matches a simple pattern, binding its variables.
    func match(_ p: CompiledPattern, _ sid: StatementID) -> Bool {
        let i = Int(sid)
        guard asserted[i] != p.quoted else { return false }
        let predicate = predicates[i]
        switch p.path {
        case .predicates(let ps): guard ps.contains(predicate) else { return false }
        case .variable(let v): guard unify(.variable(v), .predicate(predicate)) else { return false }
        case .any: break
        default: return false
        }
        guard unify(p.subject, subjects[i]), unify(p.object, objects[i]) else { return false }
        for q in p.qualifiers {
            guard let v = store.qualifier(sid, q.key), unify(q.slot, v) else { return false }
        }
        if let s = p.statementVar, !unify(.variable(s), .statement(sid)) { return false }
        return true
    }

    // MARK: solving

    func solve(_ goals: [Goal], _ i: Int, _ k: () throws -> Void) throws {
        guard i < goals.count else { return try k() }
        try tick()
        switch goals[i] {
        case .pattern(let p):
            try solvePattern(p) { try solve(goals, i + 1, k) }
        case .filter(let e, _):
            if try truth(e) { try solve(goals, i + 1, k) }
        case .not(let inner, _):
            let mark = trail.count
            let evidenceMark = evidence.count
            var found = false
            do {
                try solve(inner, 0) { found = true; throw StopSearch() }
            } catch is StopSearch {}
            undo(to: mark)
            evidence.removeSubrange(evidenceMark...)
            if !found { try solve(goals, i + 1, k) }
        case .optional(let inner, _):
            var any = false
            try solve(inner, 0) {
                any = true
                try solve(goals, i + 1, k)
            }
            if !any { try solve(goals, i + 1, k) }
        case .or(let branches):
            for b in branches { try solve(b, 0) { try solve(goals, i + 1, k) } }
        case .call(let name, let args, _):
            let relation = try rules.relation(name, limits: limits)
            let tuples = rules.values(of: relation)
            for t in tuples.indices {
                try tick()
                let mark = trail.count
                var ok = true
                for (slot, v) in zip(args, tuples[t]) where !unify(slot, v) { ok = false; break }
                if ok {
                    evidence.append(rules.derivationEvidence(relation.derivations[t]))
                    try solve(goals, i + 1, k)
                    evidence.removeLast()
                }
                undo(to: mark)
            }
        }
    }

    func solvePattern(_ p: CompiledPattern, _ k: () throws -> Void) throws {
        switch p.path {
        case .isA: return try solveIsA(p, k)
        case .predicates, .variable, .any: break
        default: return try solvePath(p, k)
        }
        func visit(_ sid: StatementID) throws {
            try tick()
            let mark = trail.count
            if match(p, sid) {
                evidence.append(.statement(sid))
                try k()
                evidence.removeLast()
            }
            undo(to: mark)
        }
        if let candidates = candidateStatements(p) {
            for sid in candidates { try visit(sid) }
        } else {
            for i in 0..<store.statementCount { try visit(StatementID(i)) }
        }
    }

    /// The smallest index list that the bound positions of a pattern select, or nil when
    /// nothing is bound and every statement is a candidate.
    func candidateStatements(_ p: CompiledPattern) -> ColumnSlice<StatementID>? {
        var best: ColumnSlice<StatementID>? = nil
        func consider(_ list: ColumnSlice<StatementID>?) {
            guard let list else { return }
            if best == nil || list.count < best!.count { best = list }
        }
        if let v = value(of: p.subject) { consider(store.statements(withSubject: v)) }
        if let v = value(of: p.object) { consider(store.statements(withObject: v)) }
        for q in p.qualifiers {
            if let v = value(of: q.slot) { consider(store.statements(withQualifier: q.key, value: v)) } else { consider(store.statements(withKey: q.key)) }
        }
        if case .predicates(let ps) = p.path {
            if ps.count == 1 { consider(store.statements(withPredicate: ps[0])) } else if best == nil || best!.count > 64 {
                var all: [StatementID] = []
                for x in ps { all += store.statements(withPredicate: x) }
                consider(Column(all)[...])
            }
        }
        if let b = best { return b }
        if case .proposition(let inner) = p.object, let quoted = propositionCandidates(inner) {
            // Stances whose object is one of the quoted statements that match.
            var stances: [StatementID] = []
            for q in quoted { stances += store.statements(withObject: .proposition(q)) }
            return Column(stances)[...]
        }
        return nil
    }

    func propositionCandidates(_ p: CompiledPattern) -> [StatementID]? {
        guard value(of: p.subject) != nil || value(of: p.object) != nil, let list = candidateStatements(p) else { return nil }
        return list.filter { !asserted[Int($0)] }
    }

    func solveIsA(_ p: CompiledPattern, _ k: () throws -> Void) throws {
        func each(_ e: EntityID, _ t: Int32) throws {
            let mark = trail.count
            if unify(p.subject, .entity(e)) && unify(p.object, .type(t)) {
                evidence.append(.typeOf(e, t))
                try k()
                evidence.removeLast()
            }
            undo(to: mark)
        }
        let target = value(of: p.object)
        if let s = value(of: p.subject) {
            guard case .entity(let e) = s else { return }
            if case .type(let t)? = target {
                if store.entity(e, isA: t) { try each(e, t) }
            } else {
                for t in store.allTypes(of: e) { try each(e, t) }
            }
        } else if case .type(let t)? = target {
            for e in store.members(of: t) { try tick(); try each(e, t) }
        } else if target == nil {
            for e in store.entities.indices {
                for t in store.allTypes(of: EntityID(e)) { try tick(); try each(EntityID(e), t) }
            }
        }
    }
}

/// Monotonic time, without Foundation.
public enum Clock {
    public static func nanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }

    /// CPU time of the calling thread.
    public static func threadNanoseconds() -> UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }

    /// The page faults the process has taken so far (fresh memory costs kernel time).
    public static func pageFaults() -> Int {
        let usage = processUsage()
        return usage.ru_minflt + usage.ru_majflt
    }

    /// The CPU time of the whole process so far (every thread, user and system), in
    /// seconds: against wall time, how many cores a phase kept busy.
    public static func processSeconds() -> Double {
        let usage = processUsage()
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func processUsage() -> rusage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
