/// The claim network as a Graphviz DOT graph: entities are nodes (shaped by their type's
/// family), asserted statements labelled edges, and a stance a dashed edge from its speaker
/// to a proposition node `[A p B]`, coloured by the stance's family, its tooltip the
/// source, paragraph and quote. A proposition inside a proposition shows nested in the
/// node's text, and dotted lines join a proposition to the entities it is about.
struct ClaimGraph {
    let store: FactStore
    let words: CaseWords
    /// The statements drawn (asserted ones: plain facts and stances), in statement order.
    private(set) var statements: [StatementID] = []
    /// Entities drawn even when no statement joins them (a query's rows).
    private(set) var loneEntities: [EntityID] = []
    private var chosen = Set<StatementID>()
    private var loneSet = Set<EntityID>()

    /// More statements than Graphviz lays out in reasonable time, or a reader can follow.
    static let maxStatements = 5_000

    init(_ store: FactStore) {
        self.store = store
        words = CaseWords(store)
    }

    mutating func add(_ s: StatementID) {
        // A quoted statement is drawn through the stances that say it.
        if !store.isAsserted(s) {
            for stance in store.stancesQuoting(s) { add(stance) }
            return
        }
        if chosen.insert(s).inserted { statements.append(s) }
    }

    mutating func add(entity e: EntityID) {
        if loneSet.insert(e).inserted { loneEntities.append(e) }
    }

    /// Every asserted statement of the store.
    /// nil when there are more than `maxStatements` (counted before any is read).
    static func wholeCase(_ store: FactStore) -> ClaimGraph? {
        guard store.assertedCount <= maxStatements else { return nil }
        var g = ClaimGraph(store)
        for i in 0..<store.statementCount where store.isAsserted(StatementID(i)) { g.add(StatementID(i)) }
        return g
    }

    /// The statements within `depth` steps of `center`: its own statements (facts about it,
    /// stances it takes, stances about it), then those of every entity they name, and so on.
    static func neighbourhood(of center: EntityID, depth: Int, _ store: FactStore) -> ClaimGraph {
        var g = ClaimGraph(store)
        g.add(entity: center)
        var reached: Set<EntityID> = [center]
        var frontier = [center]
        for _ in 0..<max(depth, 0) {
            var next: [EntityID] = []
            // Past the most a graph can show the caller refuses it: no need to read on.
            for e in frontier where g.statements.count <= maxStatements {
                for s in store.statementsAbout(e) {
                    g.add(s)
                    for n in g.entities(of: s) where reached.insert(n).inserted { next.append(n) }
                }
                // Stances the entity takes.
                for s in store.statements(withSubject: .entity(e)) where store.isAsserted(s) && store.isStance(store.statement(s).predicate) {
                    g.add(s)
                    for n in g.entities(of: s) where reached.insert(n).inserted { next.append(n) }
                }
            }
            frontier = next
        }
        g.statements.sort()
        return g
    }

    /// The entities a drawn statement joins: its subject and object, and for a stance
    /// those its proposition names.
    func entities(of s: StatementID) -> [EntityID] {
        let st = store.statement(s)
        var found: [EntityID] = []
        if case .entity(let e) = st.subject { found.append(e) }
        switch st.object {
        case .entity(let e): found.append(e)
        case .proposition(let p): found += store.entitiesMentioned(in: p).sorted()
        default: break
        }
        return found
    }

    // MARK: DOT

    func dot(title: String) -> String {
        var nodes: [String: String] = [:]
        var nodeOrder: [String] = []
        var edges: [String] = []
        func node(_ id: String, _ attributes: String) -> String {
            if nodes[id] == nil {
                nodes[id] = attributes
                nodeOrder.append(id)
            }
            return id
        }
        func entityNode(_ e: EntityID) -> String {
            let ent = store.entity(e)
            let (shape, fill) = ClaimGraph.look(of: e, store)
            var tip = ent.id + ": " + ent.types.map { store.typeName($0) }.joined(separator: ", ")
            if let d = ent.description { tip += " — " + d }
            return node(
                ClaimGraph.quoted("e:" + ent.id),
                "label=\(ClaimGraph.quoted(ent.label)), shape=\(shape), style=filled, fillcolor=\"\(fill)\", tooltip=\(ClaimGraph.quoted(tip))")
        }
        func valueNode(_ v: Value, of s: StatementID) -> String {
            switch v {
            case .entity(let e): return entityNode(e)
            case .proposition(let p):
                let id = node(
                    ClaimGraph.quoted("p:\(p)"),
                    "label=\(ClaimGraph.quoted(ClaimGraph.wrap("[" + propositionText(p) + "]"))), shape=box, style=\"rounded,dashed\", tooltip=\(ClaimGraph.quoted(words.clause(p)))")
                return id
            case .unknown, .none:
                // Each its own node: two unknowns are not known to be one.
                let text = Display.literal(v, store)
                return node(ClaimGraph.quoted("v:\(text):\(s)"), "label=\(ClaimGraph.quoted(text)), shape=plaintext, fontcolor=\"#777777\"")
            default:
                let text = Display.literal(v, store)
                return node(ClaimGraph.quoted("v:" + text), "label=\(ClaimGraph.quoted(ClaimGraph.wrap(text))), shape=plaintext")
            }
        }
        for e in loneEntities { _ = entityNode(e) }
        var aboutDrawn = Set<String>()
        for s in statements {
            let st = store.statement(s)
            let from = valueNode(st.subject, of: s)
            let to = valueNode(st.object, of: s)
            let tip = ClaimGraph.quoted(words.citationText(words.citation(s)))
            let label = ClaimGraph.quoted(store.predicateName(st.predicate))
            if store.isStance(st.predicate) {
                let color = ClaimGraph.color(StanceFamily.of(st.predicate, store))
                edges.append("\(from) -> \(to) [label=\(label), style=dashed, color=\"\(color)\", fontcolor=\"\(color)\", tooltip=\(tip), labeltooltip=\(tip)];")
                if case .proposition(let p) = st.object {
                    for e in store.entitiesMentioned(in: p).sorted() {
                        let about = "\(to) -> \(entityNode(e))"
                        if aboutDrawn.insert(about).inserted {
                            edges.append(about + " [style=dotted, arrowhead=none, color=\"#9a9a9a\"];")
                        }
                    }
                }
            } else {
                edges.append("\(from) -> \(to) [label=\(label), tooltip=\(tip), labeltooltip=\(tip)];")
            }
        }
        var text = "// \(title), drawn by kbq: dot -Tsvg this.dot > this.svg\n"
        text += "digraph kbq {\n"
        text += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, label=\(ClaimGraph.quoted(title)), labelloc=t, nodesep=0.25, ranksep=0.6];\n"
        text += "  node [fontname=\"Helvetica\", fontsize=10];\n"
        text += "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n"
        for id in nodeOrder { text += "  \(id) [\(nodes[id]!)];\n" }
        for e in edges { text += "  \(e)\n" }
        text += "}\n"
        return text
    }

    /// `A p B` with labels, nested propositions in brackets.
    func propositionText(_ p: StatementID) -> String {
        let st = store.statement(p)
        func side(_ v: Value) -> String {
            switch v {
            case .entity(let e): return store.entities.label(Int(e))
            case .proposition(let inner): return "[" + propositionText(inner) + "]"
            default: return Display.literal(v, store)
            }
        }
        return "\(side(st.subject)) \(store.predicateName(st.predicate)) \(side(st.object))"
    }

    /// Shape and fill by the family of an entity's types, read up the type hierarchy by
    /// name, so a user's own case that names its types as people do is drawn the same way.
    static func look(of e: EntityID, _ store: FactStore) -> (shape: String, fill: String) {
        var names = Set<String>()
        var stack = store.entity(e).types
        var seen = Set<Int32>()
        while let t = stack.popLast() {
            guard seen.insert(t).inserted else { continue }
            names.insert(store.typeName(t).lowercased())
            stack += store.types[Int(t)].supertypes
        }
        let families: [(names: [String], shape: String, fill: String)] = [
            (["person"], "ellipse", "#fff2cc"),
            (["court"], "house", "#e4d7f5"),
            (["government", "ministry", "state"], "house", "#e4d7f5"),
            (["organization", "organisation", "company", "ngo", "group", "agent"], "box", "#dae8fc"),
            (["document", "article", "report"], "note", "#ffffff"),
            (["place", "country", "city", "location"], "hexagon", "#d5e8d4"),
            (["proceeding", "lawsuit", "petition", "ruling", "hearing"], "cds", "#ffe6cc"),
            (["product", "spyware", "platform", "software"], "component", "#f5f5f5"),
            (["licence", "license"], "tab", "#f8cecc"),
        ]
        for f in families where f.names.contains(where: names.contains) { return (f.shape, f.fill) }
        return ("ellipse", "#ffffff")
    }

    static func color(_ family: StanceFamily) -> String {
        switch family {
        case .says: return "#1f5fa8"
        case .opposes: return "#c0392b"
        case .rules: return "#2e7d32"
        }
    }

    /// A DOT string: `"` and `\` escaped (a backslash would start one of DOT's own escapes,
    /// `\n`, `\l`, `\N`), control characters dropped; line breaks kept as `\n`.
    static func quoted(_ s: String) -> String {
        "\"" + Display.escaped(s) { c in
            switch c {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            default: return Display.isControl(c, keepNewlines: false) ? "" : nil
            }
        } + "\""
    }

    /// Long text broken into lines of about 36 characters (at spaces), so nodes stay small.
    static func wrap(_ s: String, width: Int = 36) -> String {
        guard s.count > width else { return s }
        var lines: [String] = []
        var line = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(word)
            } else {
                line += line.isEmpty ? String(word) : " " + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
