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

    let store: FactStore
    var clauses: [String: [Clause]] = [:]
    public private(set) var arity: [String: Int] = [:]
    /// Strongly connected components, in dependency order.
    var components: [[String]] = []
    var componentOf: [String: Int] = [:]
    /// The rules by number (a relation's `number`, a join's call step's `rule`), in name order.
    private(set) var names: [String] = []
    var numbers: [String: Int] = [:]
    /// Per rule, its relation once computed (or while its component's fixpoint runs).
    var tables: [RuleRelation?] = []
    /// Per rule, whether a join may read it: every tuple it can hold is made of words a
    /// join binds (no `constantTag` word), as its heads and callees show. A call step
    /// reads only such relations, so no word it binds is one the join cannot decode.
    var joinable: [Bool] = []
    /// Values a head or a call names that no stored term is (a string the knowledge base
    /// never states, `none`, no record), as `constantTag` words.
    var constants: [Value] = []
    var constantNumbers: [Value: Int] = [:]
    /// Per derivation (a tuple's number across every relation, see `derivationEvidence`):
    /// its relation and tuple, and its evidence once made.
    // Appended to at every tuple a fixpoint adds, by the one thread that runs it: no
    // run-time exclusivity checks.
    @exclusivity(unchecked) var derivationRelation: [Int32] = []
    @exclusivity(unchecked) var derivationTuple: [Int32] = []
    var derivationEvidenceMade: [Evidence?] = []
    /// Per rule, its tuples as Values for the general evaluator, made as it reads them.
    var decodedTuples: [[[Value]]] = []
    /// Clause bodies run in the batch join where it takes them; off only to compare the
    /// fixpoint with the general evaluator's naive one (tests).
    var allowJoin = true

    /// Frees the derivations' evidence shallowly: the relations' boxed evidence first, then
    /// the made trees from the last made, each resting only on earlier ones, which the
    /// cache still holds as it goes. Freed at once, a tree as deep as a long closure's
    /// chain was freed by a recursion that overflowed the stack.
    deinit {
        tables = []
        decodedTuples = []
        while !derivationEvidenceMade.isEmpty { derivationEvidenceMade.removeLast() }
    }

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
        names = arity.keys.sorted()
        for (n, name) in names.enumerated() { numbers[name] = n }
        tables = Array(repeating: nil, count: names.count)
        decodedTuples = Array(repeating: [], count: names.count)
        joinable = RuleEngine.joinableRules(names, clauses, components, componentOf, self)
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

    public var ruleNames: [String] { arity.keys.sorted() }
}
