/// Resolves a query's names against the store and numbers its variables.
struct Compiler {
    let store: FactStore
    let source: SourceText
    /// Rule name to arity.
    let rules: [String: Int]
    var variables: [String] = []
    var variableIndex: [String: Int] = [:]
    /// Filters that the patterns compiled since the last goal need beside them (see
    /// `compileMatchTerm`); drained into the conjunction of that goal.
    var pendingFilters: [Goal] = []

    /// Variables made by the compiler, not the user: their names start with a space, which
    /// no query can write, and they are never columns of a `find` without projections.
    static func isHidden(_ name: String) -> Bool { name.hasPrefix(" ") }

    init(store: FactStore, source: SourceText, rules: [String: Int]) {
        self.store = store
        self.source = source
        self.rules = rules
    }

    func error(_ message: String, _ range: Range<Int>) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range)
    }

    mutating func slot(for name: String) -> Int {
        if let i = variableIndex[name] { return i }
        variables.append(name)
        variableIndex[name] = variables.count - 1
        return variables.count - 1
    }

    // MARK: goals

    /// A body, flattened into a conjunction of goals.
    mutating func compileBody(_ g: GoalSyntax) throws(Diagnostic) -> [Goal] {
        switch g {
        case .and(let gs):
            var result: [Goal] = []
            for x in gs { result += try compileBody(x) }
            return Compiler.qualifiersFromFilters(result, store)
        case .or(let gs):
            var branches: [[Goal]] = []
            for x in gs { branches.append(try compileBody(x)) }
            return [.or(branches)]
        case .not(let inner, let range):
            return [.not(try compileBody(inner), range)]
        case .optional(let inner, let range):
            return [.optional(try compileBody(inner), range)]
        case .filter(let e):
            return [.filter(try compileExpr(e, allowAggregates: false), e.range)]
        case .call(let name, let args, let range):
            return [try compileCall(name, args, range)]
        case .pattern(let p):
            if case .predicate(let n) = p.path, let arity = rules[n.text], store.predicateID(n.text) == nil {
                guard arity == 2 else {
                    throw error("rule '\(n.text)' takes \(arity) arguments; write \(n.text)(...) to use it", n.range)
                }
                guard p.qualifiers.isEmpty, p.binding == nil else {
                    throw error("a rule used as a predicate takes no qualifiers and no 'as'", p.range)
                }
                return [try compileCall(n, [p.subject, p.object], p.range)]
            }
            let pattern = try compilePattern(p, quoted: false)
            defer { pendingFilters = [] }
            return [.pattern(pattern)] + pendingFilters
        }
    }

    /// `?s.k = c` beside the pattern `... as ?s` in the same conjunction is that pattern
    /// with the qualifier `{k: c}`: the same statements (a qualifier is read by its first
    /// value in both, and an entity or a string equals only itself), found through the
    /// key's index rather than by a filter on every statement the pattern matches (a count
    /// of the statements from one source read all million). Only entity and string
    /// constants: numbers and dates are equal by value across kinds (`3 = 3.0`), which a
    /// qualifier's constant is not matched by. Nothing else in the conjunction changes.
    static func qualifiersFromFilters(_ goals: [Goal], _ store: FactStore) -> [Goal] {
        /// The statement variable, key and constant of a filter `?s.k = c` (or `c = ?s.k`).
        func equality(_ e: CompiledExpr) -> (variable: Int, key: Int32, constant: Value)? {
            guard case .compare(.equal, let l, let r, _) = e else { return nil }
            for (field, other) in [(l, r), (r, l)] {
                guard case .field(.slot(.variable(let v)), let f, _) = field, case .slot(.constant(let c)) = other else { continue }
                switch c {
                case .entity, .string: break
                default: continue
                }
                switch f {
                case .named(.source), .named(.para), .qualifier: break
                default: continue
                }
                guard let key = store.keyID(f.name) else { continue }
                return (v, key, c)
            }
            return nil
        }
        var out = goals
        var dropped = Set<Int>()
        for (i, g) in goals.enumerated() {
            guard case .filter(let e, _) = g, let (v, key, c) = equality(e) else { continue }
            let owners = out.indices.filter { j in
                if case .pattern(let p) = out[j], p.statementVar == v { return true }
                return false
            }
            guard owners.count == 1, case .pattern(let p) = out[owners[0]], !p.quoted, p.path.isSimple,
                !p.qualifiers.contains(where: { $0.key == key })
            else { continue }
            out[owners[0]] = .pattern(CompiledPattern(
                subject: p.subject, path: p.path, object: p.object, qualifiers: p.qualifiers + [(key, .constant(c))],
                statementVar: p.statementVar, quoted: p.quoted, range: p.range))
            dropped.insert(i)
        }
        return out.indices.filter { !dropped.contains($0) }.map { out[$0] }
    }

    mutating func compileCall(_ name: Name, _ args: [TermSyntax], _ range: Range<Int>) throws(Diagnostic) -> Goal {
        guard let arity = rules[name.text] else {
            throw error("unknown rule '\(name.text)'\(Suggest.hint(name.text, Array(rules.keys)))", name.range)
        }
        guard arity == args.count else {
            throw error("rule '\(name.text)' takes \(arity) argument\(arity == 1 ? "" : "s"), found \(args.count)", range)
        }
        var slots: [Slot] = []
        for a in args { slots.append(try compileTerm(a, quoted: false)) }
        return .call(rule: name.text, args: slots, range)
    }

    // MARK: patterns

    /// A term in a pattern. A number or date matches every stored value equal to it
    /// (`3` matches `3.0`, the year `2022` the year date): when the store holds one such
    /// literal it is the constant, and the indexes find it; when it holds several, a hidden
    /// variable and an equality filter beside the pattern take them all.
    mutating func compileMatchTerm(_ t: TermSyntax, quoted: Bool) throws(Diagnostic) -> Slot {
        let compiled = try compileTerm(t, quoted: quoted)
        guard case .constant(let v) = compiled else { return compiled }
        switch v {
        case .integer, .decimal, .date: break
        default: return compiled
        }
        let equal = store.literals.equalByValue(v)
        if equal.count == 1 { return .constant(store.literals[equal[0]]) }
        if equal.isEmpty { return compiled }
        let hidden = slot(for: " \(variables.count)")
        pendingFilters.append(.filter(.compare(.equal, .slot(.variable(hidden)), .slot(compiled), t.range), t.range))
        return .variable(hidden)
    }

    mutating func compilePattern(_ p: PatternSyntax, quoted: Bool) throws(Diagnostic) -> CompiledPattern {
        let subject = try compileMatchTerm(p.subject, quoted: quoted)
        let path = try compilePath(p.path)
        let object: Slot
        if case .isA = path {
            object = try compileType(p.object)
        } else {
            object = try compileMatchTerm(p.object, quoted: quoted)
        }
        if !path.isSimple && (!p.qualifiers.isEmpty || p.binding != nil) {
            throw error("a path (with *, +, ^, / or |) matches chains of statements: it takes no qualifiers and no 'as'", p.path.range)
        }
        if case .isA = path, !p.qualifiers.isEmpty || p.binding != nil {
            throw error("'is_a' reads entity declarations: it takes no qualifiers and no 'as'", p.path.range)
        }
        var qualifiers: [(key: Int32, slot: Slot)] = []
        for q in p.qualifiers {
            guard let key = store.keyID(q.key.text) else {
                throw error("unknown qualifier key '\(q.key.text)'\(store.suggestKey(q.key.text))", q.key.range)
            }
            qualifiers.append((key, try compileMatchTerm(q.value, quoted: quoted)))
        }
        var statementVar: Int? = nil
        if let b = p.binding {
            guard case .variable(let v, _) = b else {
                throw error("'as' names the matched statement with a variable, such as 'as ?s'", b.range)
            }
            statementVar = slot(for: v)
        }
        return CompiledPattern(
            subject: subject, path: path, object: object, qualifiers: qualifiers,
            statementVar: statementVar, quoted: quoted, range: p.range)
    }

    mutating func compileType(_ t: TermSyntax) throws(Diagnostic) -> Slot {
        if case .iri(let iri, let r) = t {
            guard let id = store.types.firstIndex(where: { $0.iri == iri }) else { throw error("no type has the IRI <\(iri)>", r) }
            return .constant(.type(Int32(id)))
        }
        guard case .name(let n) = t else { return try compileTerm(t, quoted: false) }
        guard let id = store.typeID(n.text) ?? store.types.firstIndex(where: { $0.name.lowercased() == n.text.lowercased() }).map(Int32.init) else {
            throw error("unknown type '\(n.text)'\(store.suggestType(n.text))", n.range)
        }
        return .constant(.type(id))
    }

    mutating func compileTerm(_ t: TermSyntax, quoted: Bool) throws(Diagnostic) -> Slot {
        switch t {
        case .variable(let v, _): return .variable(slot(for: v))
        case .wildcard: return .wildcard
        case .name(let n): return .constant(try resolveEntity(n))
        case .iri(let iri, let r):
            guard let e = store.entity(iri: iri) else { throw error("no entity has the IRI <\(iri)>", r) }
            return .constant(.entity(e))
        case .string(let s, _): return .constant(.string(s))
        case .typed(let s, let t, _): return .constant(Loader.typedValue(s, t))
        case .integer(let i, _): return .constant(.integer(i))
        case .decimal(let d, _): return .constant(.decimal(d))
        case .date(let d, _): return .constant(.date(d))
        case .unknown: return .constant(.unknown)
        case .none: return .constant(.none)
        case .proposition(let inner, _): return .proposition(try compilePattern(inner, quoted: true))
        }
    }

    func resolveEntity(_ n: Name) throws(Diagnostic) -> Value {
        let found = store.entities(named: n.text)
        if found.count == 1 { return .entity(found[0]) }
        if found.isEmpty {
            // Names of predicates and types are values too (`?s.pred = claims`).
            if let p = store.predicateID(n.text) { return .predicate(p) }
            if let t = store.typeID(n.text) { return .type(t) }
            throw error("unknown entity '\(n.text)'\(store.suggestEntity(n.text))", n.range)
        }
        let ids = found.map { store.entity($0).id }.sorted().joined(separator: ", ")
        throw error("ambiguous name '\(n.text)': it names \(ids)", n.range)
    }

    mutating func compilePath(_ p: PathSyntax) throws(Diagnostic) -> CompiledPath {
        switch p {
        case .predicate(let n):
            guard let id = store.predicateID(n.text) else {
                if rules[n.text] != nil {
                    throw error("rule '\(n.text)' cannot be used inside a path", n.range)
                }
                throw error("unknown predicate '\(n.text)'\(store.suggestPredicate(n.text))", n.range)
            }
            return id == FactStore.isA ? .isA : .predicates(store.predicateFamily(id))
        case .variable(let v, _): return .variable(slot(for: v))
        case .wildcard: return .any
        case .inverse(let inner, _): return .inverse(try compilePathStep(inner))
        case .sequence(let parts, _):
            var ps: [CompiledPath] = []
            for x in parts { ps.append(try compilePathStep(x)) }
            return .sequence(ps)
        case .alternative(let parts, _):
            var ps: [CompiledPath] = []
            for x in parts { ps.append(try compilePathStep(x)) }
            return .alternative(ps)
        case .zeroOrMore(let inner, _): return .zeroOrMore(try compilePathStep(inner))
        case .oneOrMore(let inner, _): return .oneOrMore(try compilePathStep(inner))
        }
    }

    /// A step inside a path: a named predicate (with sub-predicates), never a variable.
    mutating func compilePathStep(_ p: PathSyntax) throws(Diagnostic) -> CompiledPath {
        switch p {
        case .variable(let v, let r): throw error("variable '?\(v)' cannot be used inside a path", r)
        case .wildcard(let r): throw error("'_' cannot be used inside a path", r)
        default:
            let c = try compilePath(p)
            if case .isA = c { throw error("'is_a' cannot be used inside a path", p.range) }
            return c
        }
    }
}
