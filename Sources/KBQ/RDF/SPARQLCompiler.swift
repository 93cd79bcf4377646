/// Compiles a kbq query into the SPARQL 1.2 query that asks the same question of the
/// knowledge base exported as N-Triples (NTriplesExporter). What SPARQL cannot say (rules,
/// `why`, date precision, text search on entities) is named in the error.
public struct SPARQLCompiler {
    let store: FactStore
    let source: SourceText
    var compiler: Compiler
    var fresh = 0
    /// Extra variables introduced for fields (`?s.source` -> `?s__source`), with their patterns.
    var fieldBindings: [String: String] = [:]
    var fieldPatterns: [String] = []
    /// Inside `or`, `optional` and `not`: how deep, and the field patterns of the filter
    /// being compiled there.
    var nesting = 0
    /// The variables bound outside the group being compiled (by the goals beside the
    /// groups that enclose it). SPARQL evaluates an OPTIONAL (and a UNION branch) on its
    /// group alone, so an OPTIONAL does not see what is bound outside its own group, where
    /// kbq's `optional` sees what is bound before it. (NOT EXISTS substitutes the current
    /// bindings: inside it nothing is outside.)
    var outerScope: Set<String> = []
    var localFieldPatterns: [String]? = nil
    var localFieldBases: Set<String> = []

    let rules: Set<String>

    public init(store: FactStore, source: SourceText, rules: Set<String> = []) {
        self.store = store
        self.source = source
        self.rules = rules
        self.compiler = Compiler(store: store, source: source, rules: [:])
    }

    func unsupported(_ what: String, _ range: Range<Int>) -> Diagnostic {
        Diagnostic(.error, "SPARQL cannot express \(what)", source: source, range: range)
    }

    /// The SPARQL text of a command.
    public static func compile(_ command: CommandSyntax, store: FactStore, source: SourceText, rules: Set<String> = []) throws(Diagnostic) -> String {
        var c = SPARQLCompiler(store: store, source: source, rules: rules)
        switch command {
        case .why(_, let r): throw c.unsupported("'why': the evidence of an answer is kbq's own", r)
        case .rule(let r): throw c.unsupported("a rule definition (rules stay in kbq; a query that calls none compiles)", r.range)
        case .query(let q): return try c.query(q)
        }
    }

    mutating func newVar(_ hint: String) -> String {
        fresh += 1
        return "?_\(hint)\(fresh)"
    }

    static let prefixes = """
        PREFIX rdf: <\(Vocabulary.rdf)>
        PREFIX rdfs: <\(Vocabulary.rdfs)>
        PREFIX xsd: <\(Vocabulary.xsd)>
        PREFIX kbq: <\(Vocabulary.kbq)>

        """

    /// Variables bound by the query's top-level patterns: a field's `OPTIONAL` is added at
    /// the top of the query, which is right only for them (for a variable bound inside an
    /// `optional` or an `or` branch, it would match every value where that is unbound).
    var topLevelBound: Set<String> = []

    mutating func query(_ q: QuerySyntax) throws(Diagnostic) -> String {
        let conjuncts: [GoalSyntax]
        if case .and(let gs) = q.body { conjuncts = gs } else { conjuncts = [q.body] }
        for g in conjuncts { if case .pattern = g { topLevelBound.formUnion(variables(g)) } }
        let body = try group(q.body)
        var select: [String] = []
        var hasAggregate = false
        var plain: [String] = []
        if let projections = q.projections {
            for p in projections {
                let (text, isAggregate) = try expression(p.expr, aggregates: true)
                hasAggregate = hasAggregate || isAggregate
                var name = "?" + (p.alias ?? compiler.columnName(p.expr).map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined())
                // SPARQL refuses a name twice in SELECT (`find count(*), count(*)`).
                while select.contains(where: { $0 == name || $0.hasSuffix(" AS \(name))") }) { name += "_" }
                if text == name { select.append(name) } else { select.append("(\(text) AS \(name))") }
                if !isAggregate { plain.append(name == text ? name : text) }
            }
        } else {
            select = variables(q.body).map { "?" + $0 }
            plain = select
        }
        var out = SPARQLCompiler.prefixes + "SELECT " + (q.distinct ? "DISTINCT " : "") + select.joined(separator: " ") + "\nWHERE {\n"
        out += body
        for f in fieldPatterns { out += "  " + f + "\n" }
        out += "}\n"
        if !q.groupBy.isEmpty {
            var keys: [String] = []
            for g in try PreparedQuery.resolveAliases(in: q, source: source) { keys.append(try expression(g, aggregates: false).0) }
            out += "GROUP BY " + keys.joined(separator: " ") + "\n"
        } else if hasAggregate && !plain.isEmpty {
            out += "GROUP BY " + plain.joined(separator: " ") + "\n"
        }
        if !q.orderBy.isEmpty {
            var keys: [String] = []
            let quotedValues = variablesHoldingStatements(q.body)
            for o in q.orderBy {
                var key = o.expr
                if case .term(.variable(let v, _)) = key, let p = q.projections?.first(where: { $0.alias == v }) { key = p.expr }
                if case .term(.variable(let v, _)) = key, quotedValues.contains(v) {
                    let range = o.expr.range
                    throw unsupported("ordering by '?\(v)', which can hold propositions or statements: kbq orders them by their text", range)
                }
                let (text, _) = try expression(o.expr, aggregates: true)
                for key in SPARQLCompiler.orderKeys(text) { keys.append(o.descending ? "DESC(\(key))" : "ASC(\(key))") }
            }
            out += "ORDER BY " + keys.joined(separator: " ") + "\n"
        }
        if let l = q.limit { out += "LIMIT \(l)\n" }
        if let o = q.offset { out += "OFFSET \(o)\n" }
        return out
    }

    /// The keys that sort as kbq's total order does (semantics.md), where SPARQL's own
    /// order puts kinds elsewhere and cannot compare a number with a date: the kind's rank
    /// (no record, none, unknown, numbers and dates, literals, entities, predicates,
    /// propositions, statements, types); for numbers and dates the year they read as, then
    /// where in that year (a whole number with the year's date, a fraction after its dates,
    /// a date by its text, coarser first); then the value itself.
    static func orderKeys(_ x: String) -> [String] {
        // An expression (an aggregate, a function) has one kind, and BOUND takes a variable:
        // one with no value (an error, in SPARQL) sorts last, as no record does in kbq.
        guard x.hasPrefix("?"), !x.contains(where: { " ()".contains($0) }) else {
            return ["IF(COALESCE(isLiteral(\(x)) || isIRI(\(x)) || isBlank(\(x)), false), 0, 1)", x]
        }
        let dateLike = "(isLiteral(\(x)) && DATATYPE(\(x)) IN (xsd:date, xsd:gYearMonth, xsd:gYear))"
        let rank = """
            IF(!BOUND(\(x)), 10, IF(sameTerm(\(x), kbq:none), 1, IF(sameTerm(\(x), kbq:unknown), 2, \
            IF(isNumeric(\(x)) || \(dateLike), 3, IF(isLiteral(\(x)), 4, \
            IF(STRSTARTS(STR(\(x)), "urn:kbq:p:"), 6, IF(STRSTARTS(STR(\(x)), "urn:kbq:prop:"), 7, \
            IF(STRSTARTS(STR(\(x)), "urn:kbq:s:"), 8, IF(STRSTARTS(STR(\(x)), "urn:kbq:t:"), 9, 5)))))))))
            """
        let year = "IF(isNumeric(\(x)), FLOOR(\(x)), IF(\(dateLike), xsd:integer(SUBSTR(STR(\(x)), 1, 4)), 0))"
        let within = "IF(isNumeric(\(x)), IF(FLOOR(\(x)) = \(x), \"0\", \"2\"), IF(\(dateLike), IF(STRLEN(STR(\(x))) = 4, \"0\", CONCAT(\"1\", STR(\(x)))), \"\"))"
        return [rank, year, within, x]
    }

    /// Variables that can hold a proposition (the object of a stance, of a variable or `_`
    /// predicate) or a statement (`as ?s`).
    func variablesHoldingStatements(_ g: GoalSyntax) -> Set<String> {
        var found = Set<String>()
        func pattern(_ p: PatternSyntax) {
            if case .variable(let v, _)? = p.binding { found.insert(v) }
            var mayQuote = false
            switch p.path {
            case .variable, .wildcard: mayQuote = true
            case .predicate(let n):
                if let id = store.predicateID(n.text) { mayQuote = store.predicateFamily(id).contains { store.predicates[Int($0)].isStance } }
            default: mayQuote = true
            }
            if mayQuote, case .variable(let v, _) = p.object { found.insert(v) }
            if mayQuote, case .variable(let v, _) = p.subject, case .inverse = p.path { found.insert(v) }
            if case .proposition(let inner, _) = p.subject { pattern(inner) }
            if case .proposition(let inner, _) = p.object { pattern(inner) }
        }
        func goal(_ g: GoalSyntax) {
            switch g {
            case .pattern(let p): pattern(p)
            case .and(let gs), .or(let gs): gs.forEach(goal)
            case .optional(let inner, _), .not(let inner, _): goal(inner)
            case .call, .filter: break
            }
        }
        goal(g)
        return found
    }

    /// Named variables of a body, in order of appearance.
    func variables(_ g: GoalSyntax) -> [String] {
        var seen: [String] = []
        func term(_ t: TermSyntax) {
            switch t {
            case .variable(let v, _): if !seen.contains(v) { seen.append(v) }
            case .proposition(let p, _): pattern(p)
            default: break
            }
        }
        func pattern(_ p: PatternSyntax) {
            term(p.subject)
            if case .variable(let v, _) = p.path, !seen.contains(v) { seen.append(v) }
            term(p.object)
            for q in p.qualifiers { term(q.value) }
            if let b = p.binding { term(b) }
        }
        func goal(_ g: GoalSyntax) {
            switch g {
            case .pattern(let p): pattern(p)
            case .and(let gs), .or(let gs): gs.forEach(goal)
            case .optional(let inner, _): goal(inner)
            case .call(_, let args, _): args.forEach(term)
            case .not, .filter: break
            }
        }
        goal(g)
        return seen
    }

    // MARK: goals

    mutating func group(_ g: GoalSyntax, indent: String = "  ") throws(Diagnostic) -> String {
        switch g {
        case .and(let gs):
            var out = ""
            let outer = outerScope
            defer { outerScope = outer }
            // Each goal's variables, walked once (not once per goal beside it: a long or
            // deeply nested body would take quadratic time), and only where an `optional`
            // lies below that needs the goals beside it.
            let needs = gs.map { g -> Bool in
                if case .or = g { return true }
                return SPARQLCompiler.hasOptional(g)
            }
            let own = needs.contains(true) ? gs.map { Set(variables($0)) } : []
            var uses: [String: Int] = [:]
            for set in own { for v in set { uses[v, default: 0] += 1 } }
            for (i, x) in gs.enumerated() {
                if needs[i] {
                    // The goals beside this one bind in its group: within it they are not outside.
                    let beside = Set(uses.keys.filter { uses[$0]! - (own[i].contains($0) ? 1 : 0) > 0 })
                    if case .optional(let inner, let range) = x { try refuseOutside(inner, outer.subtracting(beside), range) }
                    outerScope = outer.union(beside)
                }
                out += try group(x, indent: indent)
            }
            return out
        case .or(let gs):
            var parts: [String] = []
            nesting += 1
            defer { nesting -= 1 }
            // Branches of filters alone (`(?d < 1960 or ?d > 2020)`) test the answers of the
            // group around them; a UNION branch would see none of its variables. As a
            // number per branch and a filter that passes an answer once for each branch
            // whose condition holds: kbq's bag union.
            let conditions = gs.map { SPARQLCompiler.filtersAlone($0) }
            if conditions.allSatisfy({ $0 != nil }) {
                let branch = newVar("branch")
                var tests: [String] = []
                for (k, filters) in conditions.enumerated() {
                    var parts = ["\(branch) = \(k + 1)"]
                    for f in filters! { parts.append("(" + (try filterCondition(f)) + ")") }
                    tests.append("(" + parts.joined(separator: " && ") + ")")
                }
                return indent + "VALUES \(branch) { \((1...gs.count).map(String.init).joined(separator: " ")) }\n"
                    + indent + "FILTER(" + tests.joined(separator: " || ") + ")\n"
            }
            for x in gs {
                // A filter or `not` in a branch that reads a variable bound outside it:
                // SPARQL evaluates the branch on its own.
                let read = Set(readByTests(x)).intersection(outerScope).subtracting(variables(x))
                if let v = read.sorted().first {
                    throw unsupported("an 'or' branch whose filter or 'not' reads ?\(v), bound outside the 'or': SPARQL's UNION branch would not see it", x.range)
                }
                // A branch that is an `optional` alone is a group of its own.
                if case .optional(let inner, let range) = x { try refuseOutside(inner, outerScope, range) }
                parts.append("{\n" + (try group(x, indent: indent + "  ")) + indent + "}")
            }
            return indent + parts.joined(separator: " UNION ") + "\n"
        case .optional(let inner, _):
            nesting += 1
            defer { nesting -= 1 }
            return indent + "OPTIONAL {\n" + (try group(inner, indent: indent + "  ")) + indent + "}\n"
        case .not(let inner, _):
            nesting += 1
            let outer = outerScope
            outerScope = []
            defer { nesting -= 1; outerScope = outer }
            return indent + "FILTER NOT EXISTS {\n" + (try group(inner, indent: indent + "  ")) + indent + "}\n"
        case .filter(let e):
            guard nesting > 0 else { return indent + "FILTER(" + (try expression(e, aggregates: false).0) + ")\n" }
            return indent + "FILTER(" + (try filterCondition(e)) + ")\n"
        case .call(let name, _, let range):
            throw unsupported("a call of rule '\(name.text)': rules stay in kbq (export their results, or inline them)", range)
        case .pattern(let p):
            return try pattern(p, indent: indent)
        }
    }

    /// A nested filter's condition. The fields it reads are looked up inside EXISTS, so
    /// that the lookup binds nothing of the group (an OPTIONAL beside the filter would bind
    /// an unbound base to anything); an unbound base is no record, and a comparison with it
    /// false, as in kbq.
    mutating func filterCondition(_ e: ExprSyntax) throws(Diagnostic) -> String {
        localFieldPatterns = []
        localFieldBases = []
        defer { localFieldPatterns = nil }
        let condition = try expression(e, aggregates: false).0
        if localFieldPatterns!.isEmpty { return condition }
        let bound = localFieldBases.sorted().map { "BOUND(?\($0)) && " }.joined()
        return "\(bound)EXISTS { " + localFieldPatterns!.joined(separator: " ") + " FILTER(" + condition + ") }"
    }

    /// The filters of a branch made of filters alone, else nil.
    static func filtersAlone(_ g: GoalSyntax) -> [ExprSyntax]? {
        switch g {
        case .filter(let e): return [e]
        case .and(let gs):
            var all: [ExprSyntax] = []
            for x in gs {
                guard let f = filtersAlone(x) else { return nil }
                all += f
            }
            return all.isEmpty ? nil : all
        default: return nil
        }
    }

    /// The variables the filters and `not`s in `g` read (a `not`'s patterns join with the
    /// answer: all of its variables).
    func readByTests(_ g: GoalSyntax) -> [String] {
        var read: [String] = []
        func expr(_ e: ExprSyntax) {
            switch e {
            case .term(.variable(let v, _)): read.append(v)
            case .term(.proposition(let p, _)): read += variables(.pattern(p))
            case .term: break
            case .field(let inner, _): expr(inner)
            case .call(_, let args, _, _, _): args.forEach(expr)
            case .compare(_, let l, let r, _): expr(l); expr(r)
            }
        }
        func goal(_ g: GoalSyntax) {
            switch g {
            case .filter(let e): expr(e)
            case .not(let inner, _):
                read += variables(inner)
                goal(inner)
            case .and(let gs), .or(let gs): gs.forEach(goal)
            case .optional(let inner, _): goal(inner)
            case .pattern, .call: break
            }
        }
        goal(g)
        return read
    }

    /// Whether an `optional` lies in `g` (or is `g`).
    static func hasOptional(_ g: GoalSyntax) -> Bool {
        switch g {
        case .optional: return true
        case .and(let gs), .or(let gs): return gs.contains(where: hasOptional)
        case .not(let inner, _): return hasOptional(inner)
        case .pattern, .call, .filter: return false
        }
    }

    /// Refuses an `optional` that reads a variable of `outside` (bound outside its group).
    func refuseOutside(_ inner: GoalSyntax, _ outside: Set<String>, _ range: Range<Int>) throws(Diagnostic) {
        guard !outside.isDisjoint(with: variables(inner)) else { return }
        throw unsupported("an 'optional' inside an 'optional' or 'or' that reads a variable bound outside it: SPARQL's would not see it", range)
    }

    mutating func pattern(_ p: PatternSyntax, indent: String) throws(Diagnostic) -> String {
        var out = ""
        var s = try term(p.subject, &out, indent, matching: true)
        var o = try term(p.object, &out, indent, matching: true)
        if case .predicate(let n) = p.path, n.text == "is_a" {
            let object: String
            if case .name(let t) = p.object {
                guard let id = store.typeID(t.text) ?? store.types.firstIndex(where: { $0.name.lowercased() == t.text.lowercased() }).map(Int32.init) else {
                    throw Diagnostic(.error, "unknown type '\(t.text)'\(store.suggestType(t.text))", source: source, range: t.range)
                }
                object = iri(store.types[Int(id)].iri ?? Vocabulary.type(store.types[Int(id)].name))
            } else {
                object = o
            }
            // A set, as in kbq: an entity declared with a type and its super-type matches once.
            let ends = Array(Set([s, object].filter { $0.hasPrefix("?") })).sorted()
            // Entities only (the subjects of rdfs:label): types and propositions are typed too.
            let label = newVar("label")
            return out + indent + "{ SELECT DISTINCT \(ends.isEmpty ? "*" : ends.joined(separator: " ")) WHERE { \(s) rdfs:label \(label) ; rdf:type/rdfs:subClassOf* \(object) } }\n"
        }
        // `^p` (and `^^p`, ...) is `p` read backwards: one answer per statement, like `p`.
        var single = p.path
        var reversed = false
        while case .inverse(let inner, _) = single {
            single = inner
            reversed.toggle()
        }
        if case .predicate = single {
            if reversed { swap(&s, &o) }
        } else {
            single = p.path
        }
        switch single {
        case .predicate, .variable, .wildcard: break
        default:
            guard p.qualifiers.isEmpty && p.binding == nil else { throw unsupported("qualifiers or 'as' on a path", p.path.range) }
            return out + (try pathPattern(s, p.path, o, indent))
        }
        let predicate = try path(single, &out, indent)
        let reifier: String
        if case .variable(let v, _)? = p.binding { reifier = "?" + v } else { reifier = newVar("st") }
        // Every asserted statement has a reifier of its own in the export (it carries the
        // statement's source), so matching through it counts statements, as kbq does: a
        // triple stated twice is two answers. A proposition's reifier reifies a triple term
        // too, but is typed kbq:Proposition and is no statement.
        let pv: String
        if case .predicate = single {
            pv = newVar("p")
            out += indent + "VALUES \(pv) { \(predicateAlternatives(single)) }\n"
        } else {
            pv = predicate
        }
        out += indent + "\(s) \(pv) \(o) .\n"
        out += indent + "\(reifier) rdf:reifies <<( \(s) \(pv) \(o) )>> . FILTER NOT EXISTS { \(reifier) rdf:type kbq:Proposition }\n"
        try qualifiers(p.qualifiers, on: reifier, &out, indent)
        return out
    }

    /// A path other than `^p` relates pairs of ends, each pair once (grammar/semantics.md);
    /// `p*` is `p+` with every entity (the subjects of `rdfs:label` in the export) related to
    /// itself, never a literal or a node of the export's own vocabulary, as SPARQL's `p*` would.
    mutating func pathPattern(_ s: String, _ p: PathSyntax, _ o: String, _ indent: String) throws(Diagnostic) -> String {
        var out = ""
        let body: String
        _ = try compiler.compilePath(p)  // kbq's own errors first (no `_` or variable inside a path)
        if case .zeroOrMore(let inner, _) = p {
            let steps = try path(inner, &out, indent)
            try refuseNestedZeroLength(inner)
            let label = newVar("label")
            let zero: String
            switch (s.hasPrefix("?"), o.hasPrefix("?")) {
            case (true, true): zero = s == o ? "\(s) rdfs:label \(label) ." : "\(s) rdfs:label \(label) . BIND(\(s) AS \(o))"
            case (true, false): zero = "\(o) rdfs:label \(label) . BIND(\(o) AS \(s))"
            case (false, true): zero = "\(s) rdfs:label \(label) . BIND(\(s) AS \(o))"
            case (false, false): zero = "\(s) rdfs:label \(label) . FILTER(sameTerm(\(s), \(o)))"
            }
            body = "{ \(s) (\(steps))+ \(o) } UNION { \(zero) }"
        } else {
            let text = try path(p, &out, indent)
            try refuseNestedZeroLength(p)
            body = "\(s) \(text) \(o) ."
        }
        let ends = [s, o].filter { $0.hasPrefix("?") }
        // Two constant ends: one row when they are related, however many ways (`SELECT
        // DISTINCT *` would keep both the `+` branch's row and the zero-length branch's,
        // which binds its label variable).
        if ends.isEmpty { return out + indent + "{ SELECT * WHERE { \(body) } LIMIT 1 }\n" }
        let projection = Array(Set(ends)).sorted().joined(separator: " ")
        return out + indent + "{ SELECT DISTINCT \(projection) WHERE { \(body) } }\n"
    }

    /// SPARQL's `*` inside a longer path would relate every node of the export to itself.
    func refuseNestedZeroLength(_ p: PathSyntax) throws(Diagnostic) {
        switch p {
        case .zeroOrMore(_, let r): throw unsupported("a zero-length step ('*') inside a longer path: write it as its own pattern", r)
        case .inverse(let inner, _), .oneOrMore(let inner, _): try refuseNestedZeroLength(inner)
        case .sequence(let ps, _), .alternative(let ps, _): for x in ps { try refuseNestedZeroLength(x) }
        default: break
        }
    }

    /// `reifier <key> value .` for each qualifier of a pattern or proposition.
    mutating func qualifiers(_ qs: [QualifierSyntax], on reifier: String, _ out: inout String, _ indent: String) throws(Diagnostic) {
        for q in qs {
            guard let key = store.keyID(q.key.text) else {
                throw Diagnostic(.error, "unknown qualifier key '\(q.key.text)'\(store.suggestKey(q.key.text))", source: source, range: q.key.range)
            }
            let v = try term(q.value, &out, indent, matching: true)
            out += indent + "\(reifier) \(iri(store.keys[Int(key)].iri ?? Vocabulary.key(store.keys[Int(key)].name))) \(v) .\n"
        }
    }

    func predicateAlternatives(_ p: PathSyntax) -> String {
        guard case .predicate(let n) = p, let id = store.predicateID(n.text) else { return "" }
        return store.predicateFamily(id).map { iri(predicateIRI($0)) }.joined(separator: " ")
    }

    func iri(_ s: String) -> String { "<" + s + ">" }
    func predicateIRI(_ p: PredicateID) -> String { store.predicates[Int(p)].iri ?? Vocabulary.predicate(store.predicates[Int(p)].name) }

    /// A property path: a predicate with its sub-predicates, and the path operators.
    mutating func path(_ p: PathSyntax, _ out: inout String, _ indent: String) throws(Diagnostic) -> String {
        switch p {
        case .predicate(let n):
            if rules.contains(n.text) && store.predicateID(n.text) == nil {
                throw unsupported("a call of rule '\(n.text)': rules stay in kbq", n.range)
            }
            guard let id = store.predicateID(n.text) else {
                throw Diagnostic(.error, "unknown predicate '\(n.text)'\(store.suggestPredicate(n.text))", source: source, range: n.range)
            }
            if id == FactStore.isA { throw unsupported("'is_a' inside a path", n.range) }
            let family = store.predicateFamily(id).map { iri(predicateIRI($0)) }
            return family.count == 1 ? family[0] : "(" + family.joined(separator: "|") + ")"
        case .variable(let v, _):
            // Only the knowledge base's predicates, not the export's own vocabulary.
            let all = store.predicates.indices.filter { $0 != Int(FactStore.isA) }.map { iri(predicateIRI(PredicateID($0))) }
            out += indent + "VALUES ?\(v) { \(all.joined(separator: " ")) }\n"
            return "?" + v
        case .wildcard:
            let v = newVar("p")
            let all = store.predicates.indices.filter { $0 != Int(FactStore.isA) }.map { iri(predicateIRI(PredicateID($0))) }
            out += indent + "VALUES \(v) { \(all.joined(separator: " ")) }\n"
            return v
        case .inverse(let inner, _): return "^(" + (try path(inner, &out, indent)) + ")"
        case .sequence(let parts, _):
            var ps: [String] = []
            for x in parts { ps.append(try path(x, &out, indent)) }
            return "(" + ps.joined(separator: "/") + ")"
        case .alternative(let parts, _):
            var ps: [String] = []
            for x in parts { ps.append(try path(x, &out, indent)) }
            return "(" + ps.joined(separator: "|") + ")"
        case .zeroOrMore(let inner, _): return "(" + (try path(inner, &out, indent)) + ")*"
        case .oneOrMore(let inner, _): return "(" + (try path(inner, &out, indent)) + ")+"
        }
    }

    /// A term: a variable, a constant, or a proposition (a reifier typed kbq:Proposition).
    /// In a pattern (`matching`), a number or date constant matches by value, as in kbq: a
    /// variable and a filter take `3.0` for `3` and the year date for `2022`.
    mutating func term(_ t: TermSyntax, _ out: inout String, _ indent: String, matching: Bool = false) throws(Diagnostic) -> String {
        switch t {
        case .integer, .decimal, .date:
            guard matching else { break }
            let v = newVar("v")
            out += indent + "FILTER(" + (try valueEquality(v, t)) + ")\n"
            return v
        default: break
        }
        switch t {
        case .variable(let v, _): return "?" + v
        case .wildcard: return newVar("any")
        case .proposition(let inner, _):
            let r = newVar("prop")
            let s = try term(inner.subject, &out, indent, matching: true)
            let o = try term(inner.object, &out, indent, matching: true)
            guard case .predicate = inner.path else { throw unsupported("a path inside a proposition", inner.path.range) }
            let pv = newVar("p")
            out += indent + "\(r) rdf:type kbq:Proposition ; rdf:reifies <<( \(s) \(pv) \(o) )>> .\n"
            out += indent + "VALUES \(pv) { \(predicateAlternatives(inner.path)) }\n"
            try qualifiers(inner.qualifiers, on: r, &out, indent)
            return r
        default:
            let slot = try compiler.compileTerm(t, quoted: false)
            guard case .constant(let v) = slot, let text = constant(v) else { throw unsupported("this value", t.range) }
            return text
        }
    }

    func constant(_ v: Value) -> String? {
        switch v {
        case .entity(let e): return iri(store.entities.iri(Int(e)) ?? Vocabulary.entity(store.entities.id(Int(e))))
        case .string(let s): return NTriplesExporter.literal(s)
        case .integer(let i): return String(i)
        case .decimal(let d): return d
        case .date(let d):
            let datatype = d.precision == .day ? "date" : d.precision == .month ? "gYearMonth" : "gYear"
            return NTriplesExporter.literal(d.description) + "^^xsd:" + datatype
        case .unknown: return iri(Vocabulary.unknown)
        case .none: return iri(Vocabulary.none)
        case .predicate(let p): return iri(predicateIRI(p))
        case .type(let t): return iri(store.types[Int(t)].iri ?? Vocabulary.type(store.types[Int(t)].name))
        case .typedLiteral(let s, let t): return NTriplesExporter.literal(s) + (t.hasPrefix("@") ? t : "^^" + iri(t))
        default: return nil
        }
    }

    /// `x = c` by kbq's equality for a number or date constant `c`: numbers by value, and an
    /// integer 1000-9999 equal to the year date too (`xsd:gYear`, as the export writes a year
    /// in a `date` qualifier). A date compares as the very term (SPARQL orders no gYear).
    mutating func valueEquality(_ x: String, _ t: TermSyntax) throws(Diagnostic) -> String {
        guard case .constant(let v) = try compiler.compileTerm(t, quoted: false), let c = constant(v) else { throw unsupported("this value", t.range) }
        switch v {
        case .integer(let n) where (1000...9999).contains(n):
            return "(isNumeric(\(x)) && \(x) = \(c)) || sameTerm(\(x), \"\(n)\"^^xsd:gYear)"
        case .integer, .decimal:
            return "isNumeric(\(x)) && \(x) = \(c)"
        case .date(let d) where d.precision == .year:
            return "sameTerm(\(x), \(c)) || (isNumeric(\(x)) && \(x) = \(d.year))"
        default:
            return "sameTerm(\(x), \(c))"
        }
    }

    // MARK: expressions

    /// Text search reads an entity's label, as kbq does.
    mutating func text(_ e: ExprSyntax, _ compiled: String) throws(Diagnostic) -> String {
        guard case .term(.variable(let v, let range)) = e else { return "STR(\(compiled))" }
        try requireTopLevel(v, range)
        let key = fieldVariable(v, "label", predicate: "rdfs:label")
        return "COALESCE(\(key), STR(?\(v)))"
    }

    /// The variable holding `?v`'s field, and the `OPTIONAL` that binds it: at the top of
    /// the query, or, for a filter inside a nested group, just before that filter (where
    /// its own variables are bound), under a name of its own.
    mutating func fieldVariable(_ v: String, _ field: String, predicate: String) -> String {
        if localFieldPatterns != nil {
            localFieldBases.insert(v)
            let key = newVar("\(v)__\(field)")
            localFieldPatterns!.append("OPTIONAL { ?\(v) \(predicate) \(key) }")
            return key
        }
        let key = "?\(v)__\(field)"
        if fieldBindings[key] == nil {
            fieldBindings[key] = predicate
            fieldPatterns.append("OPTIONAL { ?\(v) \(predicate) \(key) }")
        }
        return key
    }

    func requireTopLevel(_ v: String, _ range: Range<Int>) throws(Diagnostic) {
        if localFieldPatterns == nil && !topLevelBound.contains(v) {
            throw unsupported("a field or the text of '?\(v)', which only an 'optional', 'or' or 'not' part binds", range)
        }
    }

    /// The SPARQL text of an expression, and whether it holds an aggregate.
    mutating func expression(_ e: ExprSyntax, aggregates: Bool) throws(Diagnostic) -> (String, Bool) {
        switch e {
        case .term(let t):
            if case .date(_, let r) = t { throw unsupported("a date comparison: kbq compares dates by their precision (2020-06 in 2020)", r) }
            var out = ""
            let text = try term(t, &out, "")
            guard out.isEmpty else { throw unsupported("a proposition in an expression", t.range) }
            return (text, false)
        case .field(let base, let name):
            guard case .term(.variable(let v, let range)) = base else { throw unsupported("a field of an expression", name.range) }
            try requireTopLevel(v, range)
            let predicate: String
            switch name.text {
            case "label": predicate = "rdfs:label"
            case "description": predicate = "rdfs:comment"
            default:
                guard let k = store.keyID(name.text) else { throw unsupported("the field '\(name.text)'", name.range) }
                predicate = iri(store.keys[Int(k)].iri ?? Vocabulary.key(store.keys[Int(k)].name))
            }
            return (fieldVariable(v, name.text, predicate: predicate), false)
        case .call(let fn, let args, let distinct, let star, let range):
            let aggregateNames = ["count": "COUNT", "sum": "SUM", "min": "MIN", "max": "MAX", "avg": "AVG"]
            if let agg = aggregateNames[fn.text] {
                guard aggregates else { throw unsupported("an aggregate here", range) }
                if star { return ("COUNT(*)", true) }
                // SPARQL's MIN, MAX, SUM and AVG are unbound over a group with an unbound
                // value, where kbq's skip no record: only a variable every answer binds.
                if fn.text != "count", case .term(.variable(let v, let r)) = args[0], !topLevelBound.contains(v) {
                    throw unsupported("\(fn.text)() of '?\(v)', which only an 'optional' or 'or' part binds", r)
                }
                let (inner, _) = try expression(args[0], aggregates: false)
                return ("\(agg)(\(distinct ? "DISTINCT " : "")\(inner))", true)
            }
            if fn.text == "year", args.count == 1 {
                // kbq's year() takes any date or a year written as an integer.
                let (inner, a) = try expression(args[0], aggregates: aggregates)
                return ("IF(isNumeric(\(inner)), \(inner), xsd:integer(SUBSTR(STR(\(inner)), 1, 4)))", a)
            }
            let functions = ["lower": "LCASE", "upper": "UCASE", "str": "STR", "len": "STRLEN"]
            guard let f = functions[fn.text], args.count == 1 else { throw unsupported("the function '\(fn.text)'", fn.range) }
            let (inner, a) = try expression(args[0], aggregates: aggregates)
            return (f == "STRLEN" || f == "LCASE" || f == "UCASE" ? "\(f)(STR(\(inner)))" : "\(f)(\(inner))", a)
        case .compare(let op, let l, let r, let opRange):
            let (left, la) = try expression(l, aggregates: aggregates)
            let (right, ra) = try expression(r, aggregates: aggregates)
            switch op {
            case .within: throw unsupported("'in': date containment by precision", opRange)
            case .contains:
                return ("CONTAINS(LCASE(\(try text(l, left))), LCASE(STR(\(right))))", la || ra)
            case .matches:
                return ("REGEX(\(try text(l, left)), \(right))", la || ra)
            case .equal, .notEqual:
                // A number or date constant compares by kbq's equality (a year equals a gYear).
                for (constant, other) in [(r, left), (l, right)] {
                    guard case .term(let t) = constant else { continue }
                    switch t {
                    case .integer, .decimal, .date:
                        let test = "(" + (try valueEquality(other, t)) + ")"
                        return (op == .equal ? test : "(BOUND(\(other)) && !\(test))", la || ra)
                    default: continue
                    }
                }
                return ("\(left) \(op.rawValue) \(right)", la || ra)
            default:
                // kbq orders an integer 1000-9999 against a date as a year; SPARQL cannot.
                for side in [l, r] {
                    if case .term(.integer(let n, let range)) = side, (1000...9999).contains(n), store.literals.holdsDates {
                        throw unsupported("an order comparison with \(n), which kbq compares with dates as a year", range)
                    }
                }
                // kbq orders literals only: with `unknown` or `none` (IRIs in the export) on a
                // side the comparison is false, where SPARQL engines may order two equal IRIs.
                return ("(isLiteral(\(left)) && isLiteral(\(right)) && \(left) \(op.rawValue) \(right))", la || ra)
            }
        }
    }
}
