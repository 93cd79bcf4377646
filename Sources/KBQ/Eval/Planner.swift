/// Orders the goals of a conjunction: at each step, the ready goal that is expected to
/// match the fewest statements given what is bound so far. Filters and negations run as
/// soon as their variables are bound; `optional` runs last. A filter or negation that never
/// becomes ready has an unsafe variable, reported by name.
struct Planner {
    let store: FactStore
    let source: SourceText
    let variables: [String]
    /// Size estimates of rule relations, where known.
    var ruleSizes: [String: Int] = [:]

    func error(_ message: String, _ range: Range<Int>) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range)
    }

    /// Stops planning on Ctrl-C or at the deadline, as evaluation does.
    var limits: Limits = .none
    /// The most goals (patterns, filters, and those nested in `not`, `optional`, `or`) one
    /// query may have. The evaluator recurses once a goal, so this bounds its stack (3,000
    /// overflowed the main thread's 8 MB in a debug build, and 900 under AddressSanitizer,
    /// whose frames are larger); and a query of hundreds of conditions is a program gone
    /// wrong, not a question. SQLite bounds expressions alike.
    static let maxGoals = 256

    /// Refuses a query of more than `maxGoals` goals, at the first goal past the limit.
    func checkSize(_ goals: [Goal]) throws(Diagnostic) {
        var count = 0
        func walk(_ gs: [Goal]) throws(Diagnostic) {
            for g in gs {
                count += 1
                if count > Planner.maxGoals {
                    throw error("too many conditions: a query may have at most \(Planner.maxGoals)", g.range)
                }
                switch g {
                case .not(let inner, _), .optional(let inner, _): try walk(inner)
                case .or(let branches): for b in branches { try walk(b) }
                default: break
                }
            }
        }
        try walk(goals)
    }

    func plan(_ goals: [Goal], bound initial: Set<Int>) throws(Diagnostic) -> (goals: [Goal], bound: Set<Int>) {
        var bound = initial
        var ordered: [Goal] = []
        // Variables that some positive goal of this conjunction can bind.
        var bindable = initial
        for g in goals { bindable.formUnion(Planner.binds(g)) }
        // Variables that only an `or` branch (or an `optional`) binds: a filter on one waits
        // until every goal that may bind it is planned, and then reads it as it is (no
        // record where nothing bound it: the filter is false there).
        var pendingBinders: [Int: Int] = [:]
        for g in goals { for v in Planner.mayBind(g) where !bindable.contains(v) { pendingBinders[v, default: 0] += 1 } }
        var settled = Set<Int>()
        // A goal's cost changes only when a variable it mentions becomes bound or a goal it
        // shares variables with is planned: costs are kept, and recomputed only then, so a
        // step is a scan for the minimum, not a cost model run per goal.
        let mentioned = goals.map { Planner.mentions([$0]) }
        var alive = [Bool](repeating: true, count: goals.count)
        var cached = [Double?](repeating: nil, count: goals.count)
        var stale = [Bool](repeating: true, count: goals.count)
        let hasFilters = goals.contains { if case .filter = $0 { return true } else { return false } }
        let rank = patternRanks(goals, bindable: bindable, bound: initial)
        var left = goals.count
        while left > 0 {
            try checkLimits(goals.first?.range ?? 0..<0)
            var best: (index: Int, cost: Double)? = nil
            for i in goals.indices where alive[i] {
                if stale[i] {
                    var c = cost(goals[i], bound: bound.union(settled), bindable: bindable)
                    if let r = rank[i] {
                        // Patterns in the weighed order; filters and negations still
                        // come as soon as they are ready (their costs are negative).
                        c = Double(r)
                    } else if hasFilters, c != nil, case .pattern(let p) = goals[i] {
                        c! *= filterSelectivity(after: p, bound: bound, goals.indices.filter { alive[$0] }.map { goals[$0] })
                    }
                    cached[i] = c
                    stale[i] = false
                }
                guard let c = cached[i] else { continue }
                if best == nil || c < best!.cost { best = (i, c) }
            }
            guard let pick = best else {
                throw unsafeError(goals[alive.firstIndex(of: true)!], bound: bound, bindable: bindable)
            }
            alive[pick.index] = false
            left -= 1
            let g = try planInside(goals[pick.index], bound: bound)
            // What changes a cost: a variable newly bound, or a filter gone from the
            // remaining ones (it no longer thins the patterns it reads).
            let newlyBound = Planner.binds(g).subtracting(bound)
            var touched = newlyBound
            if case .filter = g { touched.formUnion(mentioned[pick.index]) }
            for v in Planner.mayBind(g) where pendingBinders[v] != nil {
                pendingBinders[v]! -= 1
                if pendingBinders[v] == 0 {
                    settled.insert(v)
                    touched.insert(v)
                }
            }
            bound.formUnion(newlyBound)
            ordered.append(g)
            for i in goals.indices where alive[i] && !mentioned[i].isDisjoint(with: touched) { stale[i] = true }
        }
        return (ordered, bound)
    }

    /// Each pattern's place in the cheapest order (see Planner+Order), for a conjunction
    /// of patterns, filters, negations and `optional`s; empty when the greedy order rules.
    func patternRanks(_ goals: [Goal], bindable: Set<Int>, bound: Set<Int>) -> [Int: Int] {
        var patterns: [Int] = []
        var thinners: [(needs: Set<Int>, share: Double)] = []
        for (i, g) in goals.enumerated() {
            switch g {
            case .pattern: patterns.append(i)
            case .filter(let e, _): thinners.append((Planner.uses(e), 0.25))
            case .not(let inner, _): thinners.append((Planner.mentions(inner).intersection(bindable), 0.5))
            case .optional: break
            case .or, .call: return [:]
            }
        }
        let compiled = patterns.map { i -> CompiledPattern in
            guard case .pattern(let p) = goals[i] else { fatalError("not a pattern") }
            return p
        }
        guard let order = cheapestOrder(compiled, thinners: thinners, bound: bound) else { return [:] }
        var rank: [Int: Int] = [:]
        for (r, j) in order.enumerated() { rank[patterns[j]] = r }
        return rank
    }

    func checkLimits(_ range: Range<Int>) throws(Diagnostic) {
        if limits.isCancelled() {
            throw Diagnostic(.error, "query cancelled while planning", source: source, range: range, interruption: .cancelled)
        }
        if let d = limits.deadline, Clock.nanoseconds() > d {
            throw Diagnostic(.error, "query stopped while planning: time limit reached", source: source, range: range, interruption: .timeLimit)
        }
    }

    /// Plans the goals nested in `not`, `optional` and `or`.
    func planInside(_ g: Goal, bound: Set<Int>) throws(Diagnostic) -> Goal {
        switch g {
        case .not(let inner, let r): return .not(try plan(inner, bound: bound).goals, r)
        case .optional(let inner, let r): return .optional(try plan(inner, bound: bound).goals, r)
        case .or(let branches):
            var planned: [[Goal]] = []
            for b in branches { planned.append(try plan(b, bound: bound).goals) }
            return .or(planned)
        default: return g
        }
    }

    /// The share of a pattern's matches expected to pass the filters that its variables
    /// make ready: a quarter per filter, the usual guess for a comparison. So a pattern
    /// with a date range comes before a larger one without.
    func filterSelectivity(after p: CompiledPattern, bound: Set<Int>, _ remaining: [Goal]) -> Double {
        let after = bound.union(Planner.patternVars(p))
        var share = 1.0
        for g in remaining {
            guard case .filter(let e, _) = g else { continue }
            let uses = Planner.uses(e)
            if !uses.isSubset(of: bound) && uses.isSubset(of: after) { share *= 0.25 }
        }
        return share
    }

    /// nil when the goal cannot run yet.
    func cost(_ g: Goal, bound: Set<Int>, bindable: Set<Int>) -> Double? {
        switch g {
        case .filter(let e, _):
            return Planner.uses(e).isSubset(of: bound) ? -2 : nil
        case .not(let inner, _):
            // Shared variables must be bound first; variables only inside are local.
            let shared = Planner.mentions(inner).intersection(bindable)
            return shared.isSubset(of: bound) ? -1 : nil
        case .optional:
            // Last of what is ready: after every pattern, before a filter that waits for
            // a variable only the optional part binds (it is then false where that part
            // found nothing).
            return 1e18
        case .or(let branches):
            // Ready once each branch has what it reads and does not bind (a branch of
            // filters, `(?d < 1960 or ?d > 2020)`, reads the conjunction's variables).
            guard branches.allSatisfy({ Planner.needs($0, bindable: bindable).isSubset(of: bound) }) else { return nil }
            return 1000 + Double(branches.count)
        case .call(let rule, let args, _):
            let size = Double(ruleSizes[rule] ?? 1000)
            let boundArgs = args.filter { isBound($0, bound) }.count
            return boundArgs > 0 ? size / Double(10 * boundArgs) : size
        case .pattern(let p):
            return patternCost(p, bound: bound)
        }
    }

    func isBound(_ s: Slot, _ bound: Set<Int>) -> Bool {
        switch s {
        case .constant: return true
        case .variable(let v): return bound.contains(v)
        default: return false
        }
    }

    func patternCost(_ p: CompiledPattern, bound: Set<Int>) -> Double {
        let total = Double(max(1, store.statementCount))
        var best = total
        if case .constant(let v) = p.subject { best = min(best, Double(store.statements(withSubject: v).count)) }
        else if isBound(p.subject, bound) { best = min(best, 5) }
        if case .constant(let v) = p.object {
            if case .isA = p.path, case .type(let t) = v { best = min(best, Double(store.members(of: t).count)) }
            else { best = min(best, Double(store.statements(withObject: v).count)) }
        } else if isBound(p.object, bound) { best = min(best, 5) }
        switch p.path {
        case .predicates(let ps):
            best = min(best, Double(ps.reduce(0) { $0 + store.statements(withPredicate: $1).count }))
        case .isA:
            if !isBound(p.subject, bound) && !isBound(p.object, bound) { best = Double(store.entities.count) * 2 }
        case .zeroOrMore, .oneOrMore:
            best *= 4
        default:
            break
        }
        for q in p.qualifiers {
            if case .constant(let v) = q.slot { best = min(best, Double(store.statements(withQualifier: q.key, value: v).count)) }
            // A key that only some statements have thins the matches in proportion.
            else if let withKey = store.statements(withKey: q.key), !isBound(q.slot, bound) {
                best *= Double(withKey.count) / total
            }
        }
        if case .proposition(let inner) = p.object { best = min(best, patternCost(inner, bound: bound) * 2) }
        return best
    }

    func unsafeError(_ g: Goal, bound: Set<Int>, bindable: Set<Int> = []) -> Diagnostic {
        switch g {
        case .filter(let e, let r):
            let free = Planner.uses(e).subtracting(bound).sorted()
            let names = free.map { "'?\(variables[$0])'" }.joined(separator: ", ")
            return error("unsafe variable \(names): a filter needs it bound by a pattern", r)
        case .not(let inner, let r):
            let free = Planner.mentions(inner).subtracting(bound).sorted()
            let names = free.map { "'?\(variables[$0])'" }.joined(separator: ", ")
            return error("unsafe variable \(names): 'not' cannot bind it; bind it with a pattern outside 'not'", r)
        case .or(let branches):
            // The branch that cannot run says why.
            for b in branches {
                do { _ = try plan(b, bound: bound) } catch { return error }
            }
            // Every branch runs alone: one reads a variable that only a goal waiting for
            // this `or` binds (two `or`s, each reading what the other binds).
            for b in branches {
                let own = b.reduce(into: Set<Int>()) { $0.formUnion(Planner.mayBind($1)) }
                for x in b {
                    let reads: Set<Int>
                    let range: Range<Int>
                    switch x {
                    case .filter(let e, let r): (reads, range) = (Planner.uses(e), r)
                    case .not(let inner, let r): (reads, range) = (Planner.mentions(inner).intersection(bindable), r)
                    default: continue
                    }
                    if let v = reads.subtracting(bound).subtracting(own).sorted().first {
                        return error("'?\(variables[v])' must be bound before this 'or' reads it, but what binds it waits for this 'or': bind it with a pattern outside both", range)
                    }
                }
            }
            return error("this part of the query cannot be evaluated", 0..<0)
        default:
            return error("this part of the query cannot be evaluated", 0..<0)
        }
    }

    /// The variables a conjunction reads but does not bind, which must be bound before it
    /// runs: its filters' variables, a `not`'s variables that the enclosing query binds
    /// (`bindable`; the others are the `not`'s own), and those of the goals nested in it.
    /// A variable some goal of it may bind (one branch of an `or`, an `optional`) is its
    /// own: a filter on it is a condition after that goal (semantics.md).
    static func needs(_ goals: [Goal], bindable: Set<Int>) -> Set<Int> {
        var needed = Set<Int>()
        var bound = Set<Int>()
        for g in goals {
            bound.formUnion(mayBind(g))
            switch g {
            case .filter(let e, _): needed.formUnion(uses(e))
            case .not(let inner, _): needed.formUnion(mentions(inner).intersection(bindable))
            case .optional(let inner, _): needed.formUnion(needs(inner, bindable: bindable))
            case .or(let branches): for b in branches { needed.formUnion(needs(b, bindable: bindable)) }
            case .pattern, .call: break
            }
        }
        return needed.subtracting(bound)
    }

    // MARK: variables of goals

    /// Variables a goal binds when it succeeds.
    static func binds(_ g: Goal) -> Set<Int> {
        switch g {
        case .pattern(let p): return patternVars(p)
        case .call(_, let args, _): return Set(args.flatMap { slotVars($0) })
        case .or(let branches):
            // Bound after an `or`: what every branch binds.
            guard var common = branches.first.map({ Set($0.flatMap { binds($0) }) }) else { return [] }
            for b in branches.dropFirst() { common.formIntersection(b.flatMap { binds($0) }) }
            return common
        case .optional(let inner, _): return Set(inner.flatMap { binds($0) })
        case .filter, .not: return []
        }
    }

    /// Variables a goal may bind: as `binds`, but with every branch of an `or` (in the
    /// others' answers such a variable is no record). What a projection may read.
    static func mayBind(_ g: Goal) -> Set<Int> {
        switch g {
        case .or(let branches): return Set(branches.flatMap { $0.flatMap { mayBind($0) } })
        case .optional(let inner, _): return Set(inner.flatMap { mayBind($0) })
        default: return binds(g)
        }
    }

    /// Every variable a goal mentions.
    static func mentions(_ goals: [Goal]) -> Set<Int> {
        var result = Set<Int>()
        for g in goals {
            switch g {
            case .pattern(let p): result.formUnion(patternVars(p))
            case .call(_, let args, _): result.formUnion(args.flatMap { slotVars($0) })
            case .filter(let e, _): result.formUnion(uses(e))
            case .not(let inner, _), .optional(let inner, _): result.formUnion(mentions(inner))
            case .or(let branches): for b in branches { result.formUnion(mentions(b)) }
            }
        }
        return result
    }

    static func patternVars(_ p: CompiledPattern) -> Set<Int> {
        var result = Set(slotVars(p.subject) + slotVars(p.object) + p.qualifiers.flatMap { slotVars($0.slot) })
        if case .variable(let v) = p.path { result.insert(v) }
        if let s = p.statementVar { result.insert(s) }
        return result
    }

    static func slotVars(_ s: Slot) -> [Int] {
        switch s {
        case .variable(let v): return [v]
        case .proposition(let p): return Array(patternVars(p))
        default: return []
        }
    }

    static func uses(_ e: CompiledExpr) -> Set<Int> {
        switch e {
        case .slot(let s): return Set(slotVars(s))
        case .field(let inner, _, _), .regex(let inner, _, _): return uses(inner)
        case .function(_, let args, _): return Set(args.flatMap { uses($0) })
        case .aggregate(_, let arg, _, _): return arg.map { uses($0) } ?? []
        case .compare(_, let l, let r, _): return uses(l).union(uses(r))
        }
    }
}
