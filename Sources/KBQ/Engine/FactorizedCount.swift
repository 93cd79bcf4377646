/// Counts of a conjunction whose joins form a tree, without making its answers: each
/// pattern's matches are read once, and counts flow along the joins from the leaves to a
/// root (the counting form of Yannakakis's algorithm, as in factorised databases).
///
/// `?x knows ?y, ?y knows ?z` has as many answers as the sum, over each `?y`, of its
/// `knows` statements in times those out; a chain of four patterns, the same one link
/// further. A join that makes every answer pays per answer (127,000 for the first at 1M);
/// this pays per statement of each pattern (37,000 twice).
///
/// The conjunction is cut into atoms: a pattern or an `is_a`, with the filters of its own
/// variables attached, and a `not` or `optional` whole (each atom runs as a BatchJoin of
/// its own, so a match is exactly what the whole join would match). A variable two atoms
/// share is a join variable; the atoms must join them as a forest (no cycle, no two atoms
/// on the same two), each atom on at most two, a `not` or `optional` on one that a goal
/// before it binds. For a variable `v` rooted in its tree, its weight on a term `t` is the
/// number of ways the atoms below `v` match with `v = t`: the product of the atoms at `v`
/// alone (their matches with `v = t`) and, for each atom to a child `c`, the sum of `c`'s
/// weight over that atom's matches with `v = t`; then a `not` at `v` keeps the terms it
/// has no answer for, and an `optional` multiplies a term by its answers (by 1 when it has
/// none). The answers of a tree are the sum of its root's weights; of the whole, the
/// product over the trees (and over atoms with no join variable, by their matches).
/// `count(distinct ?v)` roots `v`'s tree at `v` and counts its terms of weight above zero
/// (then the other trees must have an answer); a count per group roots it at the group's
/// variable.
final class FactorizedCount {
    final class Atom {
        /// A conjunction's own goal; a `not` whose answers rule a term out; an `optional`
        /// that multiplies a term by its answers, or keeps it once when it has none.
        enum Kind { case plain, anti, optional }

        let program: JoinPlan.Program
        /// Its join variables (none, one or two; one for `not` and `optional`).
        let ends: [Int]
        var kind = Kind.plain
        /// Its join from nothing bound, and from each end bound (made when first run).
        var joins: [Int: BatchJoin] = [:]
        let variableCount: Int
        /// The atom as a link (see `FactorizedCount.link`): nil until asked, `.some(nil)`
        /// when it is not one.
        private var madeLink: Link?? = nil
        /// A `not` or `optional` whose own steps are counted along their joins (see
        /// `FactorizedCount.innerCounts`): nil until asked, `.some(nil)` when they cannot be.
        var inner: FactorizedCount?? = nil

        /// The atom as a link (see `FactorizedCount.link`), made at the first asking.
        func link(_ store: FactStore) -> Link? {
            if madeLink == nil { madeLink = .some(FactorizedCount.link(program, store)) }
            return madeLink!
        }

        init(_ program: JoinPlan.Program, ends: [Int], variableCount: Int) {
            (self.program, self.ends, self.variableCount) = (program, ends, variableCount)
        }

        /// The first step of the join from nothing, when it is a pattern.
        func scan(_ exec: Execution) -> BatchJoin.PatternOp? {
            guard case .pattern(let op)? = join(bound: -1, exec).ops.first else { return nil }
            return op
        }

        /// The join from `bound` (a variable every input row binds), or from nothing (-1).
        /// See BatchJoin.parallelThreshold (the query's, which tests lower).
        var parallelThreshold = BatchJoin.defaultParallelThreshold

        func join(bound: Int, _ exec: Execution) -> BatchJoin {
            let join = joins[bound] ?? {
                let made = BatchJoin(program, exec, variableCount: variableCount, bound: bound < 0 ? [] : [bound])
                // Its rows are counted, never shown: its paths make no chains.
                for case .path(let p) in made.ops { p.chainless = true }
                return made
            }()
            joins[bound] = join
            join.exec = exec
            join.parallelThreshold = parallelThreshold
            return join
        }
    }

    let atoms: [Atom]
    /// A zeroed buffer of counts by entity kept from the last run (see
    /// `TermCounts.recycled`); runs of a prepared query are one after another.
    var spareEntityCounts: (counts: [Int], list: [Int32]) = ([], [])
    var parallelThreshold: Int {
        get { atoms.first?.parallelThreshold ?? BatchJoin.defaultParallelThreshold }
        set { for a in atoms { a.parallelThreshold = newValue } }
    }
    /// Per join variable, the atoms on it.
    private let atomsOf: [Int: [Int]]
    /// The trees: each one's join variables, the first its root unless asked otherwise.
    private let trees: [[Int]]
    let entityCount: Int
    /// Made only for one link counted from the indexes: anything the indexes do not
    /// count is left to the join's grouping, as before there was this counting.
    private let linkOnly: Bool
    /// How many distinct counts `runDistinctCounts` made (for tests that it was taken).
    var distinctsByRuns = 0

    /// The conjunction's atoms, or nil when it is not a forest of atoms (see above) with
    /// a join, or has a step other than a pattern, an `is_a` or a filter of one atom's
    /// variables. `roots`: the variables counted distinct or grouped by (each made a join
    /// variable, to root its tree at).
    init?(_ program: JoinPlan.Program, roots: Set<Int>, _ exec: Execution, variableCount: Int) {
        var steps: [[JoinPlan.Step]] = []
        var variables: [Set<Int>] = []
        for step in program.steps {
            switch step {
            case .pattern(let p): variables.append(Set(p.variables))
            case .isA(let a): variables.append(Set(FactorizedCount.variables(a)))
            // A path's matches are its pairs of ends, each once (its atom's join walks
            // them, without the chains: see `Atom.join`).
            case .path(let p): variables.append(Set(p.variables))
            // An absorbed filter lives in its pattern's predicates.
            case .filter, .absorbed, .not, .optional: continue
            case .or, .call: return nil
            }
            steps.append([step])
        }
        for step in program.steps {
            guard case .filter(_, let vars, _, _) = step else { continue }
            guard let i = variables.firstIndex(where: { Set(vars).isSubset(of: $0) }) else { return nil }
            steps[i].append(step)
        }
        // `not` and `optional` after the goals: atoms of one join variable, which a goal
        // before them binds (they see what is bound before them).
        var kinds = [Atom.Kind](repeating: .plain, count: steps.count)
        var boundBefore = Set<Int>()
        var special: [(steps: [JoinPlan.Step], variables: Set<Int>, kind: Atom.Kind, before: Set<Int>)] = []
        for step in program.steps {
            switch step {
            case .pattern(let p): boundBefore.formUnion(p.variables)
            case .isA(let a): boundBefore.formUnion(FactorizedCount.variables(a))
            case .not(let inner): special.append((inner, FactorizedCount.variables(inner), .anti, boundBefore))
            case .optional(let inner): special.append((inner, FactorizedCount.variables(inner), .optional, boundBefore))
            case .path(let p): boundBefore.formUnion(p.variables)
            case .call(let c): boundBefore.formUnion(c.variables)
            case .filter, .absorbed, .or: continue
            }
        }
        for sp in special {
            // Read whole, the atom starts from nothing bound: a filter the planner put
            // first (its variable bound outside) must wait for the goals that bind it, and a
            // `not`, `optional` or `or` before a goal is not counted this way.
            guard let ordered = FactorizedCount.wholeOrder(sp.steps) else { return nil }
            steps.append(ordered)
            variables.append(sp.variables)
            kinds.append(sp.kind)
        }
        var uses: [Int: Int] = [:]
        for vars in variables { for v in vars { uses[v, default: 0] += 1 } }
        for sp in special {
            // Its join variable must be bound by one of its own goals: read whole, a
            // `not ?b = A` (a filter alone) would see it unbound and rule nothing out.
            let shared = sp.variables.filter { uses[$0]! > 1 || roots.contains($0) }
            guard shared.count == 1, sp.before.isSuperset(of: shared), FactorizedCount.goalVariables(sp.steps).isSuperset(of: shared) else { return nil }
        }
        // A lone pattern counted whole (no group, no distinct count) is counted by the runs
        // of one of its variables when it has one that `runCounts` reads (`runRoot`).
        var roots = roots
        if roots.isEmpty, steps.count == 1, kinds[0] == .plain,
           let link = FactorizedCount.link(JoinPlan.Program(steps: steps[0], memoCount: program.memoCount), exec.store),
           let v = FactorizedCount.runRoot(link, exec.store) {
            roots.insert(v)
        }
        // So is a lone `is_a` of a variable type, by its types (`typeCounts`).
        if roots.isEmpty, steps.count == 1, kinds[0] == .plain, case .isA(let a)? = steps[0].first, a.type.kind == .variable,
           FactorizedCount.typeCountFilters(steps[0], by: a.type.variable) != nil {
            roots.insert(a.type.variable)
        }
        guard roots.allSatisfy({ uses[$0] != nil }) else { return nil }
        // Union-find over join variables: an atom joining two already joined is a cycle.
        var parent: [Int: Int] = [:]
        func root(_ v: Int) -> Int {
            var v = v
            while let p = parent[v], p != v { v = p }
            return v
        }
        var atoms: [Atom] = []
        var atomsOf: [Int: [Int]] = [:]
        for (i, vars) in variables.enumerated() {
            let ends = vars.filter { uses[$0]! > 1 || roots.contains($0) }.sorted()
            guard ends.count <= 2 else { return nil }
            for v in ends where parent[v] == nil { parent[v] = v }
            if ends.count == 2 {
                let (a, b) = (root(ends[0]), root(ends[1]))
                guard a != b else { return nil }
                parent[a] = b
            }
            for v in ends { atomsOf[v, default: []].append(i) }
            let atom = Atom(JoinPlan.Program(steps: steps[i], memoCount: program.memoCount), ends: ends, variableCount: variableCount)
            atom.kind = kinds[i]
            atoms.append(atom)
        }
        // Without a join there is nothing to save, the join counting as it goes; but for
        // a path's pairs, which the join makes with their chains, to be counted without,
        // and for one pattern counted per term of a variable (a group, or the counted
        // one of a distinct count) straight from the index lists (`link`), or its distinct
        // terms of one variable per term of another (`runDistinctCounts`): the join made a
        // row per match to be grouped.
        let oneLink = atoms.count == 1 && atoms[0].kind == .plain && roots.count <= 2 && atoms[0].link(exec.store) != nil
        let oneTypeCount = atoms.count == 1 && atoms[0].kind == .plain && roots.count == 1
            && FactorizedCount.typeCountFilters(atoms[0].program.steps, by: roots.first!) != nil
        guard atomsOf.values.contains(where: { $0.count > 1 }) || JoinPlan.hasPath(program.steps) || oneLink || oneTypeCount else { return nil }
        linkOnly = !atomsOf.values.contains(where: { $0.count > 1 }) && !JoinPlan.hasPath(program.steps)
        var trees: [Int: [Int]] = [:]
        for v in atomsOf.keys.sorted() { trees[root(v), default: []].append(v) }
        self.trees = trees.keys.sorted().map { trees[$0]! }
        self.atoms = atoms
        self.atomsOf = atomsOf
        entityCount = exec.store.entities.count
    }

    /// `steps` in an order that binds before it reads, when run from nothing bound: the
    /// goals, the rest as they came, the filters last (a filter is a condition on the
    /// bindings, true wherever it runs once they are made). Nil when a `not`, `optional`
    /// or `or` comes before a goal (moving it past the goal could change what it sees).
    static func wholeOrder(_ steps: [JoinPlan.Step]) -> [JoinPlan.Step]? {
        func isGoal(_ s: JoinPlan.Step) -> Bool {
            switch s {
            case .pattern, .isA, .path: return true
            default: return false
            }
        }
        func isFilter(_ s: JoinPlan.Step) -> Bool {
            if case .filter = s { return true } else { return false }
        }
        let lastGoal = steps.lastIndex(where: isGoal) ?? -1
        guard !steps.indices.contains(where: { $0 < lastGoal && !isGoal(steps[$0]) && !isFilter(steps[$0]) }) else { return nil }
        return steps.filter(isGoal) + steps.filter { !isGoal($0) && !isFilter($0) } + steps.filter(isFilter)
    }

    static func variables(_ a: JoinPlan.IsAStep) -> [Int] {
        [a.subject, a.type].filter { $0.kind == .variable }.map(\.variable)
    }

    /// Every variable some step of `steps` reads or binds, inner ones included.
    static func variables(_ steps: [JoinPlan.Step]) -> Set<Int> {
        var all = goalVariables(steps)
        for step in steps {
            switch step {
            case .pattern, .isA, .absorbed: continue
            case .path(let p): all.formUnion(p.variables)
            case .call(let c): all.formUnion(c.variables)
            case .filter(_, let vars, _, _): all.formUnion(vars)
            case .not(let inner), .optional(let inner): all.formUnion(variables(inner))
            case .or(let branches): for b in branches { all.formUnion(variables(b)) }
            }
        }
        return all
    }

    /// The variables the patterns, paths and `is_a` of `steps` bind, not those of the
    /// `not`, `optional` and `or` among them (bound in some answers only, or none).
    static func goalVariables(_ steps: [JoinPlan.Step]) -> Set<Int> {
        var bound = Set<Int>()
        for step in steps {
            switch step {
            case .pattern(let p): bound.formUnion(p.variables)
            case .path(let p): bound.formUnion(p.variables)
            case .isA(let a): bound.formUnion(variables(a))
            default: continue
            }
        }
        return bound
    }

    /// Which answers bind `v`: every one (a goal binds it: nil), only those where an
    /// `optional` atom matched (`.some(atom)`), or some other share, which this counting
    /// does not know (`.some(nil)`: inside a `not`, or an `optional` or `or` nested in one).
    func answersBinding(_ v: Int) -> Int?? {
        for (i, atom) in atoms.enumerated() where atom.kind != .plain && !atom.ends.contains(v) {
            guard FactorizedCount.variables(atom.program.steps).contains(v) else { continue }
            return atom.kind == .optional && FactorizedCount.goalVariables(atom.program.steps).contains(v) ? .some(i) : .some(nil)
        }
        return nil
    }

    /// A count past Int.max.
    struct Overflow: Error {}

    /// The number of answers (with `matched`, only those where that `optional` atom
    /// matched); nil when it does not fit in an Int.
    func count(_ exec: Execution, matched: Int? = nil) throws -> Int? {
        do { return try total(excluding: nil, matched: matched, exec) } catch is Overflow { return nil }
    }

    /// The number of distinct terms `v` takes over the answers; nil on an overflow.
    func countDistinct(_ v: Int, _ exec: Execution) throws -> Int? {
        do { return try countDistinctTerms(v, exec) } catch is Overflow { return nil }
    }

    /// The answers per term of `v` (a root: see `init`); nil on an overflow.
    func counts(by v: Int, _ exec: Execution) throws -> TermCounts? {
        do {
            let w = try weights(v, from: nil, exec) ?? TermCounts(entityCount: entityCount)
            // Each answer of `v`'s tree pairs with every answer of the rest.
            return try w.scaled(by: try total(excluding: v, exec))
        } catch is Overflow { return nil }
    }

    /// The distinct terms of `v` per term of `g` over the answers (`count(distinct ?v)`
    /// per group), when one atom joins the two (both roots, see `init`): a pair of its
    /// matches is in an answer exactly when each end has a way below it away from that
    /// atom (the tree's other branches meet only through it) and every other tree has an
    /// answer. Nil when no atom joins them, or on an overflow.
    func distinctCounts(of v: Int, by g: Int, _ exec: Execution) throws -> TermCounts? {
        guard let a = atomsOf[v]?.first(where: { atoms[$0].ends.contains(g) && atoms[$0].kind == .plain }) else { return nil }
        if let counted = try runDistinctCounts(of: v, by: g, exec) { return counted }
        if linkOnly { return nil }
        do {
            var out = TermCounts(entityCount: entityCount)
            let ofV = try weights(v, from: a, exec)
            let ofG = try weights(g, from: a, exec)
            if ofV?.isEmpty == true || ofG?.isEmpty == true { return out }
            if try !othersAnswer(v, exec) { return out }
            // Each group's term numbered (`BindingGroups`), and its pairs with terms kept
            // as `aggregateBindings` keeps them (a Set of pairs hashed with a seed at
            // every row was most of a count per type over 200,000 rows).
            var numbers = BindingGroups([g], entityCount: entityCount)
            var numberOfRow: [Int32] = []
            var seen = DistinctPairs()
            seen.useEntityBits(entityCount: entityCount)
            try run(a, bound: nil, exec) { batch in
                let (terms, groups) = (batch.columns[v], batch.columns[g])
                numbers.assign(batch, &numberOfRow)
                for r in 0..<batch.count {
                    let (t, k) = (terms[r], groups[r])
                    guard ofV.map({ $0.get(t) > 0 }) ?? true, ofG.map({ $0.get(k) > 0 }) ?? true,
                          seen.insert(numberOfRow[r], t) else { continue }
                    _ = out.add(k, 1)
                }
            }
            return out
        } catch is Overflow { return nil }
    }

    /// The answers of the atoms of no join variable and of every tree but `v`'s; with
    /// `matched`, an `optional` atom counted as a goal (see `count(_:matched:)`).
    private func total(excluding v: Int?, matched: Int? = nil, _ exec: Execution) throws -> Int {
        var total = 1
        for (i, atom) in atoms.enumerated() where atom.ends.isEmpty {
            var rows = 0
            try run(i, bound: nil, exec) { batch in rows += batch.count }
            total = try FactorizedCount.product(total, rows)
            if total == 0 { return 0 }
        }
        for tree in trees where v.map({ !tree.contains($0) }) ?? true {
            let w = try weights(tree[0], from: nil, matched: matched, exec) ?? TermCounts(entityCount: entityCount)
            var sum = 0
            var overflow = false
            w.forEach { _, n in
                let (s, o) = sum.addingReportingOverflow(n)
                sum = s
                overflow = overflow || o
            }
            if overflow { throw Overflow() }
            total = try FactorizedCount.product(total, sum)
            if total == 0 { return 0 }
        }
        return total
    }

    private func countDistinctTerms(_ v: Int, _ exec: Execution) throws -> Int {
        let w = try weights(v, from: nil, exec) ?? TermCounts(entityCount: entityCount)
        var n = 0
        w.forEach { _, c in if c > 0 { n += 1 } }
        guard n > 0 else { return 0 }
        return try othersAnswer(v, exec) ? n : 0
    }

    /// Whether the atoms of no join variable and every tree but `v`'s have an answer (a
    /// distinct count of `v` counts nothing otherwise).
    private func othersAnswer(_ v: Int, _ exec: Execution) throws -> Bool {
        for (i, atom) in atoms.enumerated() where atom.ends.isEmpty {
            var rows = 0
            try run(i, bound: nil, exec) { batch in rows += batch.count }
            if rows == 0 { return false }
        }
        for tree in trees where !tree.contains(v) {
            if try weights(tree[0], from: nil, exec)?.isEmpty ?? true { return false }
        }
        return true
    }

    /// `v`'s weights in its tree rooted where atom `from` leads to it (nil: `v` is the
    /// root); nil when no atom but `from` is on `v` (every term weighs 1). The atoms at
    /// `v` alone are read smallest first, each after the first only for the terms the
    /// others left (an index or hash join, as the pattern's step chooses); an atom to a
    /// child, for the terms on the smaller side. `matched`: an `optional` atom counted as
    /// a goal.
    private func weights(_ v: Int, from: Int?, matched: Int? = nil, _ exec: Execution) throws -> TermCounts? {
        let mine = atomsOf[v]!.filter { $0 != from }
        var product: TermCounts? = nil
        func multiply(_ factor: TermCounts) throws {
            guard var p = product else {
                product = factor
                return
            }
            // Updated in place: the product's only holder once it is taken out.
            product = nil
            guard p.update({ b, n in
                let m = factor.get(b)
                guard m != 0 else { return 0 }
                let (x, o) = n.multipliedReportingOverflow(by: m)
                return o ? nil : x
            }) else { throw Overflow() }
            product = p
        }
        func size(_ i: Int) -> Int { atoms[i].join(bound: -1, exec).firstStepSize }
        /// The terms to read atom `i` for: the fewest known, when looking each up costs
        /// less than reading the atom whole.
        func driving(_ i: Int, _ sides: [(variable: Int, terms: TermCounts)]) -> (variable: Int, terms: TermCounts)? {
            // A type test of a bound entity reads a bit; a pattern's end, an index list.
            let cost: Int
            if case .isA? = atoms[i].program.steps.first { cost = 1 } else { cost = FactorizedCount.lookupCost }
            guard let fewest = sides.min(by: { $0.terms.count < $1.terms.count }), fewest.terms.count * cost < size(i) else { return nil }
            return fewest
        }
        let alone = mine.filter { atoms[$0].ends.count == 1 && atoms[$0].kind == .plain }.map { ($0, size($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
        for i in alone {
            try multiply(try counts(i, by: v, child: nil, nil, within: driving(i, product.map { [(v, $0)] } ?? []), known: product, exec))
            if product!.isEmpty { return product }
        }
        for i in mine where atoms[i].ends.count == 2 {
            let child = atoms[i].ends[0] == v ? atoms[i].ends[1] : atoms[i].ends[0]
            let below = try weights(child, from: i, matched: matched, exec)
            if below?.isEmpty == true { return below }
            let sides = (below.map { [(child, $0)] } ?? []) + (product.map { [(v, $0)] } ?? [])
            try multiply(try counts(i, by: v, child: child, below, within: driving(i, sides), known: product, exec))
            if product!.isEmpty { return product }
        }
        for i in mine where atoms[i].kind != .plain {
            // Its answers per term, for the terms known so far: those of the goals at `v`,
            // else those of the atom it was reached by.
            var known = try product ?? terms(of: v, in: from!, exec)
            // Updated in place below: the product's only holder once it is taken out.
            product = nil
            // A `not` of a path from `v` to anything rules out the terms it reaches
            // something from, with no walk counted per term.
            if atoms[i].kind == .anti, let reaching = try atoms[i].join(bound: v, exec).reachingFrom(v) {
                guard known.update({ b, w in reaching.contains(binding: b) ? 0 : w }) else { throw Overflow() }
                product = known
                if known.isEmpty { return known }
                continue
            }
            let answers = try innerCounts(i, by: v, known: known, exec)
                ?? counts(i, by: v, child: nil, nil, within: driving(i, [(v, known)]), known: known, exec)
            let (kind, counted) = (atoms[i].kind, i == matched)
            guard known.update({ b, w in
                let m = answers.get(b)
                let factor: Int
                switch kind {
                case .anti: factor = m == 0 ? 1 : 0
                case .optional: factor = counted ? m : max(1, m)
                case .plain: factor = m
                }
                guard factor != 0 else { return 0 }
                let (p, o) = w.multipliedReportingOverflow(by: factor)
                return o ? nil : p
            }) else { throw Overflow() }
            product = known
            if known.isEmpty { return known }
        }
        return product
    }

    /// The answers per term of `v` of atom `i` (a `not` or `optional`), counted along the
    /// joins of its own steps by a FactorizedCount of them rooted at `v`, when they form
    /// such a forest and reading them whole costs less than looking up each of the
    /// `known` terms (`optional (?x employed_by ?o, ?o located_in ?c)` for every person:
    /// its join made every answer, 280,000 at 1M, to count them per person). Nil
    /// otherwise, or on an overflow (the atom's join then counts).
    private func innerCounts(_ i: Int, by v: Int, known: TermCounts, _ exec: Execution) throws -> TermCounts? {
        let atom = atoms[i]
        if atom.inner == nil {
            atom.inner = .some(FactorizedCount(atom.program, roots: [v], exec, variableCount: atom.variableCount))
        }
        guard case .some(let inner?) = atom.inner else { return nil }
        let whole = inner.atoms.reduce(0) { $0 + $1.join(bound: -1, exec).firstStepSize }
        guard known.count * FactorizedCount.lookupCost >= whole else { return nil }
        inner.parallelThreshold = parallelThreshold
        guard let counted = try inner.counts(by: v, exec) else { return nil }
        FactorizedCount.innersCounted &+= 1
        return counted
    }

    /// How many `not` and `optional` atoms were counted along their own joins (for tests
    /// that it was taken; racy across threads, as `linksCounted`).
    nonisolated(unsafe) static var innersCounted = 0

    /// The terms `v` takes in atom `i`'s matches, each weighing 1.
    private func terms(of v: Int, in i: Int, _ exec: Execution) throws -> TermCounts {
        var terms = TermCounts(entityCount: entityCount)
        try run(i, bound: nil, exec) { batch in
            for b in batch.columns[v] where terms.get(b) == 0 { _ = terms.add(b, 1) }
        }
        return terms
    }

    /// Atom `i`'s matches counted by their term at `v`, each weighted by `weights` of its
    /// term at `child` (1 when there is no child, or no weights), read only for the terms
    /// of `within` when given.
    private func counts(_ i: Int, by v: Int, child: Int?, _ weights: TermCounts?, within: (variable: Int, terms: TermCounts)?, known: TermCounts?, _ exec: Execution) throws -> TermCounts {
        if let counted = try linkCounts(i, by: v, child: child, weights, within: within, known: known, exec) { return counted }
        var factor = TermCounts(entityCount: entityCount)
        if child == nil, within == nil, let members = try typeMembers(i, at: v, exec) {
            // Every member counted once: what the atom's rows would count, read off the
            // type's list with no row made. (A term `known` lacks weighs nothing in the
            // product: counting it too changes no answer.) Read for a few terms instead
            // (`within`), the atom runs as a join.
            factor.addOnce(members)
            return factor
        }
        if child == nil, within == nil, let byType = try typeCounts(i, at: v, exec) { return byType }
        var overflow = false
        // Read whole, the atom's scan drops the rows no weight will count: those whose
        // child (or, at `v`, whose term) is an entity without one.
        var filters: [(variable: Int, terms: TermCounts)] = []
        if within == nil {
            if let child, let weights { filters.append((child, weights)) }
            if let known { filters.append((v, known)) }
        }
        let scan = filters.isEmpty ? nil : atoms[i].scan(exec)
        if let scan {
            scan.pushedMembers = filters.compactMap { f in
                guard f.terms.onlyEntities, let at = scan.variables.firstIndex(of: f.variable) else { return nil }
                return (at, f.terms.entityBits())
            }
        }
        defer { scan?.pushedMembers = [] }
        try run(i, bound: within, exec) { batch in
            let weighted = child.flatMap { c in weights.map { (batch.columns[c], $0) } }
            if !factor.addEach(batch.columns[v], weightedBy: weighted) { overflow = true }
        }
        if overflow { throw Overflow() }
        return factor
    }

    /// The members of the type when atom `i` is one `is_a` of a constant type whose
    /// subject is `v` (each once, as its step makes them), else nil.
    private func typeMembers(_ i: Int, at v: Int, _ exec: Execution) throws -> [EntityID]? {
        let steps = atoms[i].program.steps
        guard steps.count == 1, case .isA(let step) = steps[0], step.subject.kind == .variable, step.subject.variable == v,
              step.type.kind == .constant else { return nil }
        let join = atoms[i].join(bound: -1, exec)
        guard case .isA(let op)? = join.ops.first, let t = op.constantType else { return nil }
        let members = join.members(op, t)
        try exec.tick(by: members.count)
        return members
    }

    /// Atom `i`'s matches per type when it is one `is_a` of a free subject and of type
    /// `v` (`find ?t, count(*) where ?x is_a ?t`), its other steps filters of the subject
    /// that `QuickComparison` reads: the entities counted per list of declared types (a
    /// few lists, shared), then each list's count given to every type of its closure, as
    /// the step makes a row per entity and type. Nil otherwise, or when a filter cannot
    /// decide an entity (the atom then runs as a join).
    private func typeCounts(_ i: Int, at v: Int, _ exec: Execution) throws -> TermCounts? {
        guard let filters = FactorizedCount.typeCountFilters(atoms[i].program.steps, by: v) else { return nil }
        let join = atoms[i].join(bound: -1, exec)
        guard case .isA(let op)? = join.ops.first else { return nil }
        let closures = join.typeClosures(op)
        let (checks, entities, literals) = (QuickChecks(filters), exec.store.entities, exec.store.literals)
        var perList = [Int](repeating: 0, count: closures.count)
        for e in entities.indices {
            if e & 0xFFFF == 0xFFFF { try exec.checkLimits() }
            if !checks.isEmpty {
                guard let passes = checks.truth(JoinPlan.termTag | UInt64(Term(entity: EntityID(e)).raw), literals, entities) else { return nil }
                if !passes { continue }
            }
            perList[entities.typeListNumber(e)] += 1
        }
        var counts = TermCounts(entityCount: entityCount)
        for (list, n) in perList.enumerated() where n > 0 {
            for t in closures[list] where !counts.add(JoinPlan.typeTag | UInt64(UInt32(bitPattern: t)), n) { throw Overflow() }
        }
        return counts
    }

    /// The filters of the subject when `steps` are one `is_a` of a free subject and of type
    /// `v`, then only filters of the subject that `QuickComparison` reads (see
    /// `typeCounts`); nil otherwise.
    static func typeCountFilters(_ steps: [JoinPlan.Step], by v: Int) -> [QuickComparison]? {
        guard case .isA(let step)? = steps.first, step.type.kind == .variable, step.type.variable == v,
              step.subject.kind == .variable, step.subject.variable != v else { return nil }
        var filters: [QuickComparison] = []
        for s in steps.dropFirst() {
            guard case .filter(_, _, _, let quick?) = s, quick.variable == step.subject.variable else { return nil }
            filters.append(quick)
        }
        return filters
    }

    /// Runs atom `i`'s join, a batch at a time: from nothing, or from each term of
    /// `bound` given to its variable.
    private func run(_ i: Int, bound: (variable: Int, terms: TermCounts)?, _ exec: Execution, _ body: (BindingBatch) throws -> Void) throws {
        guard let bound else {
            try atoms[i].join(bound: -1, exec).runBatches { batch in
                try exec.checkLimits()
                try body(batch)
            }
            return
        }
        let join = atoms[i].join(bound: bound.variable, exec)
        var terms: [UInt64] = []
        terms.reserveCapacity(BatchJoin.batchRows)
        func flush() throws {
            var input = BindingBatch(count: terms.count, width: join.width, slots: join.slotCount)
            input.columns[bound.variable] = terms
            try exec.checkLimits()
            try join.runBatches(from: input, body)
            terms.removeAll(keepingCapacity: true)
        }
        var failure: Error? = nil
        bound.terms.forEach { b, _ in
            guard failure == nil else { return }
            terms.append(b)
            if terms.count == BatchJoin.batchRows {
                do { try flush() } catch { failure = error }
            }
        }
        if let failure { throw failure }
        if !terms.isEmpty { try flush() }
    }

    /// About what looking a term up in an atom costs, in statements read by a scan of it.
    static let lookupCost = 16

    fileprivate static func product(_ a: Int, _ b: Int) throws -> Int {
        let (p, o) = a.multipliedReportingOverflow(by: b)
        if o { throw Overflow() }
        return p
    }
}

/// A count per binding: entities (most join variables hold them) in an array by entity
/// number, predicates (few) in one by predicate, anything else in a dictionary.
struct TermCounts {
    private var byEntity: [Int] = []
    /// The entities with a count, in the order first counted.
    private var entities: [Int32] = []
    private var byPredicate: [Int] = []
    private var predicates: [Int32] = []
    /// Any other term's count, at its slot in `otherTerms` (the terms in the order first
    /// counted, so that the groups of a count come out in the same order at every run:
    /// a Dictionary's order changes from process to process).
    /// (Open addressing with a multiplicative hash: a Dictionary's seeded hash cost most
    /// of a count per date or per literal object.)
    private var otherSlot = GroupKeyTable(width: 1)
    private var otherTerms: [UInt64] = []
    private var otherCounts: [Int] = []
    let entityCount: Int

    init(entityCount: Int) { self.entityCount = entityCount }

    /// Counts with `zeroed` (all zero, one per entity, else ignored) as the entities'
    /// buffer: a buffer kept from the last run (`recycled`), where a fresh one of more
    /// than a few MB is mapped and faulted in anew at every run.
    init(entityCount: Int, zeroed: (counts: [Int], list: [Int32])) {
        self.entityCount = entityCount
        if zeroed.counts.count == entityCount { byEntity = zeroed.counts }
        if zeroed.list.isEmpty { entities = zeroed.list }
    }

    /// The entities' buffer, its counts set back to zero, and the (emptied) list of the
    /// entities counted, with its room (for `init(entityCount:zeroed:)`); these counts are
    /// emptied of entities.
    mutating func recycled() -> (counts: [Int], list: [Int32]) {
        var (buffer, list) = (byEntity, entities)
        (byEntity, entities) = ([], [])
        buffer.withUnsafeMutableBufferPointer { buffer in
            for e in list { buffer[Int(e)] = 0 }
        }
        list.removeAll(keepingCapacity: true)
        return (buffer, list)
    }

    /// Every term and its count appended to `terms` and `counts`, in `forEach`'s order.
    func append(to terms: inout [UInt64], _ counts: inout [Int]) {
        terms.reserveCapacity(terms.count + count)
        counts.reserveCapacity(counts.count + count)
        for e in entities {
            terms.append(JoinPlan.termTag | UInt64(e))
            counts.append(byEntity[Int(e)])
        }
        for p in predicates {
            terms.append(JoinPlan.predicateTag | UInt64(UInt32(p)))
            counts.append(byPredicate[Int(p)])
        }
        terms.append(contentsOf: otherTerms)
        counts.append(contentsOf: otherCounts)
    }

    /// The terms with a count.
    var count: Int { entities.count + predicates.count + otherTerms.count }
    var isEmpty: Bool { count == 0 }

    @inline(__always) private func entity(_ b: UInt64) -> Int? { TermCounts.entity(b, below: entityCount) }

    /// The entity number `b` holds, when it is an entity's below `entityCount`.
    @inline(__always) private static func entity(_ b: UInt64, below entityCount: Int) -> Int? {
        guard b & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        return t.kind == Term.entityKind && t.index < entityCount ? t.index : nil
    }

    @inline(__always) private func predicate(_ b: UInt64) -> Int? {
        guard b & ~0xFFFF_FFFF == JoinPlan.predicateTag else { return nil }
        let p = Int(Int32(bitPattern: UInt32(truncatingIfNeeded: b)))
        return p >= 0 && p < 1 << 16 ? p : nil
    }

    /// Adds `n` to `b`'s count; false when it overflows.
    mutating func add(_ b: UInt64, _ n: Int) -> Bool {
        if let e = entity(b) {
            if byEntity.isEmpty { byEntity = Array(repeating: 0, count: entityCount) }
            if byEntity[e] == 0 { entities.append(Int32(e)) }
            let (s, o) = byEntity[e].addingReportingOverflow(n)
            byEntity[e] = s
            return !o
        }
        if let p = predicate(b) {
            if p >= byPredicate.count { byPredicate += Array(repeating: 0, count: p + 1 - byPredicate.count) }
            if byPredicate[p] == 0 { predicates.append(Int32(p)) }
            let (s, o) = byPredicate[p].addingReportingOverflow(n)
            byPredicate[p] = s
            return !o
        }
        guard let slot = otherSlot.find({ _ in b }).map(Int.init) else {
            otherSlot.insert({ _ in b }, Int32(otherTerms.count))
            otherTerms.append(b)
            otherCounts.append(n)
            return true
        }
        let (s, o) = otherCounts[slot].addingReportingOverflow(n)
        otherCounts[slot] = s
        return !o
    }

    func get(_ b: UInt64) -> Int {
        if let e = entity(b) { return byEntity.isEmpty ? 0 : byEntity[e] }
        if let p = predicate(b) { return p < byPredicate.count ? byPredicate[p] : 0 }
        return otherSlot.find({ _ in b }).map { otherCounts[Int($0)] } ?? 0
    }

    func forEach(_ body: (UInt64, Int) -> Void) {
        for e in entities { body(JoinPlan.termTag | UInt64(e), byEntity[Int(e)]) }
        for p in predicates { body(JoinPlan.predicateTag | UInt64(UInt32(p)), byPredicate[Int(p)]) }
        for (b, n) in zip(otherTerms, otherCounts) { body(b, n) }
    }

    /// Every count times `k`.
    fileprivate func scaled(by k: Int) throws -> TermCounts {
        guard k != 1 else { return self }
        guard k != 0 else { return TermCounts(entityCount: entityCount) }
        var out = self
        guard out.update({ _, n in
            let (p, o) = n.multipliedReportingOverflow(by: k)
            return o ? nil : p
        }) else { throw FactorizedCount.Overflow() }
        return out
    }

    /// `body` with the counts by entity in a buffer and the entities counted, both taken
    /// out of this value meanwhile: the only views of them, so that no count checks them
    /// for sharing (through `add`, each did).
    mutating func withEntityCounts<R>(_ body: (UnsafeMutableBufferPointer<Int>, inout [Int32]) throws -> R) rethrows -> R {
        if byEntity.isEmpty { byEntity = Array(repeating: 0, count: entityCount) }
        var (counts, list) = (byEntity, entities)
        (byEntity, entities) = ([], [])
        defer { (byEntity, entities) = (counts, list) }
        return try counts.withUnsafeMutableBufferPointer { try body($0, &list) }
    }

    /// Adds 1 to the count of each term of `column` (a batch's), or with `weightedBy`,
    /// the count its weights give the term beside it in their column (none when they give
    /// none); false on an overflow. A batch a call, its entities counted in the table's
    /// buffer (`withEntityCounts`).
    mutating func addEach(_ column: [UInt64], weightedBy weighted: (column: [UInt64], weights: TermCounts)? = nil) -> Bool {
        if byEntity.isEmpty { byEntity = Array(repeating: 0, count: entityCount) }
        var ok = true
        // The terms that are not entities, by row: added one by one after.
        var rest: [Int] = []
        let entityCount = self.entityCount
        withEntityCounts { counts, list in
            for r in column.indices {
                var n = 1
                if let weighted {
                    n = weighted.weights.get(weighted.column[r])
                    if n == 0 { continue }
                }
                guard let e = TermCounts.entity(column[r], below: entityCount) else {
                    rest.append(r)
                    continue
                }
                if counts[e] == 0 { list.append(Int32(e)) }
                let (sum, o) = counts[e].addingReportingOverflow(n)
                counts[e] = sum
                if o { ok = false }
            }
        }
        for r in rest {
            let n = weighted.map { $0.weights.get($0.column[r]) } ?? 1
            if !add(column[r], n) { ok = false }
        }
        return ok
    }

    /// Adds 1 to the count of each entity of `entities`.
    mutating func addOnce(_ entities: [EntityID]) {
        if byEntity.isEmpty { byEntity = Array(repeating: 0, count: entityCount) }
        let entityCount = self.entityCount
        withEntityCounts { counts, list in
            list.reserveCapacity(list.count + entities.count)
            for e in entities where Int(e) < entityCount {
                if counts[Int(e)] == 0 { list.append(Int32(e)) }
                counts[Int(e)] += 1
            }
        }
    }

    /// Each count replaced by `f(term, count)`, in place (a term keeps its place in the
    /// order), and a term whose new count is 0 dropped; false when `f` gives nil (an
    /// overflow).
    mutating func update(_ f: (UInt64, Int) -> Int?) -> Bool {
        var ok = true
        withEntityCounts { counts, list in
            var kept = 0
            list.withUnsafeMutableBufferPointer { list in
                for i in 0..<list.count {
                    let e = Int(list[i])
                    guard let n = f(JoinPlan.termTag | UInt64(e), counts[e]) else {
                        ok = false
                        return
                    }
                    counts[e] = n
                    if n != 0 {
                        list[kept] = Int32(e)
                        kept += 1
                    }
                }
            }
            if ok { list.removeLast(list.count - kept) }
        }
        guard ok else { return false }
        var keptPredicates: [Int32] = []
        for p in predicates {
            guard let n = f(JoinPlan.predicateTag | UInt64(UInt32(p)), byPredicate[Int(p)]) else { return false }
            byPredicate[Int(p)] = n
            if n != 0 { keptPredicates.append(p) }
        }
        predicates = keptPredicates
        var kept = TermCounts(entityCount: 0)
        for (b, n) in zip(otherTerms, otherCounts) {
            guard let m = f(b, n) else { return false }
            if m != 0 { _ = kept.add(b, m) }
        }
        (otherSlot, otherTerms, otherCounts) = (kept.otherSlot, kept.otherTerms, kept.otherCounts)
        return true
    }

    /// A bit per entity, set for those counted.
    func entityBits() -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: (entityCount + 63) / 64)
        for e in entities { bits[Int(e) >> 6] |= 1 << UInt64(e & 63) }
        return bits
    }

    /// Whether every term counted is an entity.
    var onlyEntities: Bool { otherTerms.isEmpty && predicates.isEmpty }
}
