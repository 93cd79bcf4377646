/// Statements in words, for the timeline and the dossier: "Amnesty International claims
/// that NSO Group sells Pegasus to Morocco, in July 2020." Every word comes from the
/// knowledge base: entities by their labels, a predicate by its description (a verb phrase
/// such as "is a part or unit of") or else its name with spaces, a stance by its name
/// ("claims that", "lacks evidence that"). Nothing is written per statement by hand.
struct CaseWords {
    let store: FactStore
    /// Keys shown as a statement's provenance, never in its sentence.
    let hiddenKeys: Set<Int32>
    let dateKey: Int32?
    let quoteKey: Int32?

    init(_ store: FactStore) {
        self.store = store
        dateKey = store.keyID("date")
        quoteKey = store.keyID("quote")
        hiddenKeys = Set([StatementTable.sourceKey, StatementTable.paraKey] + [quoteKey].compactMap { $0 })
    }

    /// A whole sentence: capitalised, with its qualifiers, ending in a full stop.
    func sentence(_ s: StatementID) -> String {
        let text = clause(s)
        return text.prefix(1).uppercased() + text.dropFirst() + "."
    }

    /// `subject verb object`, qualifiers after it; a proposition as "that ...".
    func clause(_ s: StatementID) -> String {
        let st = store.statement(s)
        var extras: [String] = []
        var dated: DateValue? = nil
        for q in st.qualifiers where !hiddenKeys.contains(q.key) {
            if q.key == dateKey, case .date(let d) = q.value {
                dated = d
            } else {
                extras.append("\(store.keyName(q.key).replacingAll("_", " ")): \(phrase(q.value))")
            }
        }
        let said = extras.isEmpty ? "" : " (" + extras.joined(separator: "; ") + ")"
        let object = st.object.dateValue.map(CaseWords.when) ?? phrase(st.object, asObject: true)
        let verb = verb(st.predicate)
        guard store.isStance(st.predicate) else {
            let text = "\(phrase(st.subject)) \(verb) \(object)\(said)"
            return dated.map { text + " " + CaseWords.when($0) } ?? text
        }
        // A stance's qualifiers and date are of the saying, so they come before what is
        // said ("In July 2020, A denies (to: B) that ..."), never read as the claim's own.
        let text = "\(phrase(st.subject)) \(verb.dropLast(5))\(said) that \(object)"
        return dated.map { CaseWords.when($0) + ", " + text } ?? text
    }

    /// `in July 2020`, `on 5 July 2020`.
    static func when(_ d: DateValue) -> String { (d.precision == .day ? "on " : "in ") + date(d) }

    /// A predicate as a verb phrase; a stance's ends in " that", its object a clause.
    func verb(_ p: PredicateID) -> String {
        let info = store.predicates[Int(p)]
        if info.isStance {
            let words = info.name.replacingAll("_", " ")
            return words.hasSuffix(" that") ? words : words + " that"
        }
        if let d = info.description, !d.isEmpty { return d }
        return info.name.replacingAll("_", " ")
    }

    /// A value as words: an entity's label, a quoted string, a date spelled out, a
    /// proposition as its clause.
    func phrase(_ v: Value, asObject: Bool = false) -> String {
        switch v {
        case .entity(let e): return store.entities.label(Int(e))
        case .string(let s): return "“" + s + "”"
        case .date(let d): return CaseWords.date(d)
        case .unknown: return asObject ? "something unknown" : "someone unknown"
        case .none: return "none"
        case .proposition(let p): return clause(p)
        default: return Display.plain(v, store)
        }
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// `2020`, `July 2020`, `5 July 2020`.
    static func date(_ d: DateValue) -> String {
        switch d.precision {
        case .year: return String(d.year)
        case .month: return "\(monthNames[d.month - 1]) \(d.year)"
        case .day: return "\(d.day) \(monthNames[d.month - 1]) \(d.year)"
        }
    }

    /// Where a statement is written: `Article ¶4: “quote”`, or its file and line when it
    /// has no source.
    func citation(_ s: StatementID) -> Citation {
        let st = store.statement(s)
        var quote: String? = nil
        if let k = quoteKey, case .string(let q)? = st.qualifier(k) { quote = q }
        return Citation(statement: s, document: st.document, paragraph: st.paragraph, quote: quote, location: st.location)
    }

    func citationText(_ c: Citation) -> String {
        var text: String
        if let d = c.document {
            let doc = store.entity(d)
            text = doc.label == doc.id ? doc.id : "\(doc.label) (\(doc.id))"
            if let p = c.paragraph { text += ", ¶\(p)" }
        } else {
            text = "\(c.location)"
        }
        if let q = c.quote { text += ": “\(q)”" }
        return text + " (statement \(Display.statementName(c.statement, store)))"
    }
}

/// A statement's source: document, paragraph and quote (`why`, made readable).
struct Citation: Hashable {
    let statement: StatementID
    let document: EntityID?
    let paragraph: Int?
    let quote: String?
    let location: Location
}

/// The family a stance belongs to, by its super-stances: what the graph colours and the
/// dossier files it under.
enum StanceFamily: Sendable {
    case says, opposes, rules

    /// `denies` and `disputes` (and what is under them) oppose; `rules` and `finds` rule;
    /// every other stance says.
    static func of(_ p: PredicateID, _ store: FactStore) -> StanceFamily {
        var seen = Set<PredicateID>()
        var stack = [p]
        var names = Set<String>()
        while let q = stack.popLast() {
            guard seen.insert(q).inserted else { continue }
            names.insert(store.predicateName(q))
            stack += store.predicates[Int(q)].supers
        }
        if names.contains("denies") || names.contains("disputes") { return .opposes }
        if names.contains("rules") || names.contains("finds") { return .rules }
        return .says
    }
}

extension FactStore {
    /// Every entity a proposition mentions, nested propositions included.
    func entitiesMentioned(in p: StatementID) -> Set<EntityID> {
        var found = Set<EntityID>()
        var stack = [p]
        var seen = Set<StatementID>()
        while let s = stack.popLast() {
            guard seen.insert(s).inserted else { continue }
            let st = statement(s)
            for v in [st.subject, st.object] + st.qualifiers.map(\.value) {
                switch v {
                case .entity(let e): found.insert(e)
                case .proposition(let inner): stack.append(inner)
                default: break
                }
            }
        }
        return found
    }

    /// The asserted statements that say (directly, or through propositions that quote it)
    /// the quoted statement `q`: the stances whose proposition holds it.
    func stancesQuoting(_ q: StatementID) -> [StatementID] {
        var found: [StatementID] = []
        var stack = [q]
        var seen = Set<StatementID>()
        while let p = stack.popLast() {
            guard seen.insert(p).inserted else { continue }
            for s in statements(withObject: .proposition(p)) {
                if isAsserted(s) { found.append(s) } else { stack.append(s) }
            }
        }
        return found
    }

    /// The statements about entity `e`: asserted ones naming it, and stances whose
    /// proposition names it (at any depth), each once, in statement order.
    func statementsAbout(_ e: EntityID) -> [StatementID] {
        var found = Set<StatementID>()
        let about = Array(statements(withSubject: .entity(e))) + Array(statements(withObject: .entity(e)))
        for s in about {
            if isAsserted(s) { found.insert(s) } else { found.formUnion(stancesQuoting(s)) }
        }
        // Named only in a qualifier (`{against: Omar_Radi}`): found by the qualifier indexes.
        for k in keys.indices where Int32(k) != StatementTable.sourceKey && (keys[k].valueType == .entity || keys[k].valueType == .any) {
            for s in statements(withQualifier: Int32(k), value: .entity(e)) {
                if isAsserted(s) { found.insert(s) } else { found.formUnion(stancesQuoting(s)) }
            }
        }
        return found.sorted()
    }
}

/// The entity or date a value is, if it is one.
extension Value {
    var entityID: EntityID? {
        if case .entity(let e) = self { return e }
        return nil
    }
    var dateValue: DateValue? {
        if case .date(let d) = self { return d }
        return nil
    }
}
