/// Rules compiled against one store, and their relations computed on demand, stratum by
/// stratum: a rule's relation is the least fixpoint of its clauses, computed after every
/// rule it depends on. Recursion through `not` is rejected when the rules are compiled.
public final class RuleEngine {
    struct Clause {
        var head: [Slot]
        var goals: [Goal]
        var variableCount: Int
        var source: SourceText
    }

    final class Relation {
        var tuples: [[Value]] = []
        var evidence: [[Evidence]] = []
        var seen: Set<[Value]> = []

        func insert(_ t: [Value], _ e: [Evidence]) -> Bool {
            guard seen.insert(t).inserted else { return false }
            tuples.append(t)
            evidence.append(e)
            return true
        }
    }

    let store: FactStore
    var clauses: [String: [Clause]] = [:]
    public private(set) var arity: [String: Int] = [:]
    /// Strongly connected components, in dependency order.
    var components: [[String]] = []
    var componentOf: [String: Int] = [:]
    var relations: [String: Relation] = [:]

    /// Compiles every rule; throws the first error (unknown names, unsafe head variables,
    /// recursion through negation).
    public init(store: FactStore, rules: [StoredRule]) throws(Diagnostic) {
        self.store = store
        for r in rules {
            let name = r.syntax.name.text
            if let a = arity[name], a != r.syntax.parameters.count {
                throw Diagnostic(.error, "rule '\(name)' was defined with \(a) parameters, here with \(r.syntax.parameters.count)", source: r.source, range: r.syntax.name.range)
            }
            if store.predicateID(name) != nil {
                throw Diagnostic(.error, "'\(name)' is already a predicate; a rule needs a name of its own", source: r.source, range: r.syntax.name.range)
            }
            arity[name] = r.syntax.parameters.count
        }
        var negativeEdges: [(String, String, SourceText, Range<Int>)] = []
        var edges: [String: Set<String>] = [:]
        for r in rules {
            var compiler = Compiler(store: store, source: r.source, rules: arity)
            var head: [Slot] = []
            for p in r.syntax.parameters {
                if case .proposition(_, let range) = p {
                    throw Diagnostic(.error, "a rule parameter is a variable or a constant", source: r.source, range: range)
                }
                head.append(try compiler.compileTerm(p, quoted: false))
            }
            let body = try compiler.compileBody(r.syntax.body)
            let planner = Planner(store: store, source: r.source, variables: compiler.variables)
            try planner.checkSize(body)
            let (planned, bound) = try planner.plan(body, bound: [])
            for (i, p) in r.syntax.parameters.enumerated() {
                if case .variable(let v) = head[i], !bound.contains(v) {
                    throw Diagnostic(.error, "variable '?\(compiler.variables[v])' in the head of rule '\(r.syntax.name.text)' is not bound by its body", source: r.source, range: p.range)
                }
            }
            let name = r.syntax.name.text
            clauses[name, default: []].append(Clause(head: head, goals: planned, variableCount: compiler.variables.count, source: r.source))
            RuleEngine.calls(in: planned, negated: false) { callee, negated, range in
                edges[name, default: []].insert(callee)
                if negated { negativeEdges.append((name, callee, r.source, range)) }
            }
        }
        computeComponents(edges)
        for (caller, callee, source, range) in negativeEdges where componentOf[caller] == componentOf[callee] {
            throw Diagnostic(.error, "recursion through negation: rule '\(caller)' uses 'not \(callee)', and '\(callee)' depends on '\(caller)'", source: source, range: range)
        }
    }

    static func calls(in goals: [Goal], negated: Bool, _ f: (String, Bool, Range<Int>) -> Void) {
        for g in goals {
            switch g {
            case .call(let name, _, let range): f(name, negated, range)
            case .not(let inner, let range): calls(in: inner, negated: true) { n, _, _ in f(n, true, range) }
            case .optional(let inner, _): calls(in: inner, negated: negated, f)
            case .or(let branches): for b in branches { calls(in: b, negated: negated, f) }
            default: break
            }
        }
    }

    /// Tarjan's algorithm; components come out callees first.
    func computeComponents(_ edges: [String: Set<String>]) {
        var index = 0
        var indices: [String: Int] = [:]
        var low: [String: Int] = [:]
        var stack: [String] = []
        var onStack = Set<String>()
        func visit(_ v: String) {
            indices[v] = index
            low[v] = index
            index += 1
            stack.append(v)
            onStack.insert(v)
            for w in (edges[v] ?? []).sorted() {
                if indices[w] == nil {
                    visit(w)
                    low[v] = min(low[v]!, low[w]!)
                } else if onStack.contains(w) {
                    low[v] = min(low[v]!, indices[w]!)
                }
            }
            if low[v] == indices[v] {
                var component: [String] = []
                while let w = stack.popLast() {
                    onStack.remove(w)
                    component.append(w)
                    if w == v { break }
                }
                componentOf.merge(component.map { ($0, components.count) }) { a, _ in a }
                components.append(component)
            }
        }
        for name in arity.keys.sorted() where indices[name] == nil { visit(name) }
    }

    /// The relation of a rule, computed (with everything it depends on) the first time.
    func relation(_ name: String, limits: Limits) throws -> Relation {
        if let r = relations[name] { return r }
        guard let c = componentOf[name] else { return Relation() }
        let members = components[c]
        for m in members { relations[m] = Relation() }
        do {
            try fixpoint(members, limits: limits)
        } catch {
            for m in members { relations[m] = nil }  // never keep half a relation
            throw error
        }
        return relations[name]!
    }

    func fixpoint(_ members: [String], limits: Limits) throws {
        var changed = true
        while changed {
            changed = false
            for m in members {
                for clause in clauses[m] ?? [] {
                    let exec = Execution(store: store, source: clause.source, rules: self, limits: limits, variableCount: clause.variableCount)
                    let target = relations[m]!
                    try exec.solve(clause.goals, 0) {
                        let tuple = clause.head.map { exec.value(of: $0) ?? .noRecord }
                        if target.insert(tuple, exec.evidence) { changed = true }
                    }
                }
            }
        }
    }

    public var ruleNames: [String] { arity.keys.sorted() }
}
