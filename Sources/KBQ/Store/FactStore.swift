/// The knowledge base in memory: schema, entities, statements and their indexes.
///
/// A value type: a load works on a copy and replaces the session's store only when it
/// succeeds, so a failed load leaves nothing half-done.
public struct FactStore: Sendable {
    public internal(set) var types: [TypeInfo] = []
    public internal(set) var predicates: [PredicateInfo] = []
    public internal(set) var keys: [KeyInfo] = []
    public internal(set) var entities: [Entity] = []
    public internal(set) var statements: [Statement] = []
    public internal(set) var rules: [StoredRule] = []
    /// Files loaded so far (canonical paths), so that an include is read once.
    public internal(set) var loadedFiles: [String] = []

    var typeIndex: [String: Int32] = [:]
    var predicateIndex: [String: PredicateID] = [:]
    var keyIndex: [String: Int32] = [:]
    var entityIndex: [String: EntityID] = [:]
    /// Lower-cased ids, labels and aliases (underscores read as spaces) to entities.
    var nameIndex: [String: [EntityID]] = [:]
    var statementNames: [String: StatementID] = [:]
    var iriIndex: [String: EntityID] = [:]
    /// Quoted statements by content, so equal propositions are one proposition.
    var propositionIndex: [PropositionKey: StatementID] = [:]

    var bySubject: [Value: [StatementID]] = [:]
    var byObject: [Value: [StatementID]] = [:]
    var byPredicate: [[StatementID]] = []
    var byQualifier: [Int32: [Value: [StatementID]]] = [:]
    /// Statements that have a qualifier key, whatever its value.
    var byKey: [[StatementID]] = []
    var typeMembers: [[EntityID]] = []

    /// Sub-predicates (the predicate itself included), computed when the schema changes.
    var predicateClosure: [[PredicateID]] = []
    var typeClosure: [[Int32]] = []
    /// Bumped on every change, so cached rule results know when they are stale.
    public internal(set) var version = 0

    public static let isA: PredicateID = 0
    public static let builtinKeys: [(String, ValueType)] = [
        ("source", .entity), ("para", .integer), ("quote", .string), ("date", .date),
    ]

    public init() {
        _ = addPredicate(PredicateInfo(name: "is_a", supers: [], isStance: false, description: "has the type (with its sub-types)", declaredAt: nil))
        for (k, t) in FactStore.builtinKeys { _ = addKey(KeyInfo(name: k, valueType: t)) }
        recomputeClosures()
    }

    public var assertedCount: Int { statements.lazy.filter { $0.asserted }.count }

    // MARK: adding

    mutating func addType(_ t: TypeInfo) -> Int32 {
        let id = Int32(types.count)
        types.append(t)
        typeIndex[t.name] = id
        typeMembers.append([])
        version += 1
        return id
    }

    mutating func addPredicate(_ p: PredicateInfo) -> PredicateID {
        let id = PredicateID(predicates.count)
        predicates.append(p)
        predicateIndex[p.name] = id
        byPredicate.append([])
        version += 1
        return id
    }

    mutating func addKey(_ k: KeyInfo) -> Int32 {
        let id = Int32(keys.count)
        keys.append(k)
        keyIndex[k.name] = id
        byKey.append([])
        return id
    }

    mutating func addEntity(_ e: Entity) -> EntityID {
        let id = EntityID(entities.count)
        entities.append(e)
        entityIndex[e.id] = id
        if let iri = e.iri { iriIndex[iri] = id }
        for n in [e.id, e.label] + e.aliases { index(name: n, id) }
        version += 1
        return id
    }

    mutating func relabel(_ e: EntityID, _ label: String) {
        entities[Int(e)].label = label
        index(name: label, e)
    }

    mutating func index(name: String, _ e: EntityID) {
        let key = FactStore.normalize(name)
        if nameIndex[key]?.contains(e) != true { nameIndex[key, default: []].append(e) }
    }

    mutating func addAlias(_ e: EntityID, _ alias: String) {
        guard !entities[Int(e)].aliases.contains(alias) else { return }
        entities[Int(e)].aliases.append(alias)
        index(name: alias, e)
    }

    mutating func setSupertypes(_ type: Int32, _ supers: [Int32]) { types[Int(type)].supertypes = supers }
    mutating func setSuperpredicates(_ p: PredicateID, _ supers: [PredicateID]) { predicates[Int(p)].supers = supers }
    /// Adds types to an entity.
    mutating func setEntityTypes(_ e: EntityID, _ ts: [Int32]) {
        entities[Int(e)].types += ts
        for t in ts { typeMembers[Int(t)].append(e) }
    }

    /// Adds a statement and indexes it; quoted content equal to an existing proposition
    /// returns that proposition instead.
    mutating func addStatement(_ s: Statement) -> StatementID {
        if !s.asserted {
            let key = PropositionKey(s)
            if let existing = propositionIndex[key] { return existing }
            let id = StatementID(statements.count)
            propositionIndex[key] = id
            append(s, id)
            return id
        }
        let id = StatementID(statements.count)
        append(s, id)
        return id
    }

    private mutating func append(_ s: Statement, _ id: StatementID) {
        statements.append(s)
        bySubject[s.subject, default: []].append(id)
        byObject[s.object, default: []].append(id)
        byPredicate[Int(s.predicate)].append(id)
        for q in s.qualifiers {
            byQualifier[q.key, default: [:]][q.value, default: []].append(id)
            byKey[Int(q.key)].append(id)
        }
        if let n = s.name { statementNames[n] = id }
        version += 1
    }

    mutating func addRule(_ r: StoredRule) {
        rules.append(r)
        version += 1
    }

    mutating func noteLoaded(_ path: String) { loadedFiles.append(path) }

    /// Recomputes the sub-predicate and sub-type closures after declarations.
    mutating func recomputeClosures() {
        predicateClosure = FactStore.descendants(count: predicates.count) { predicates[$0].supers.map(Int.init) }
            .map { $0.map { PredicateID($0) } }
        typeClosure = FactStore.descendants(count: types.count) { types[$0].supertypes.map(Int.init) }
            .map { $0.map { Int32($0) } }
    }

    /// For each node, itself and every node below it, given each node's parents.
    static func descendants(count: Int, parents: (Int) -> [Int]) -> [[Int]] {
        var children = Array(repeating: [Int](), count: count)
        for i in 0..<count { for p in parents(i) where p != i { children[p].append(i) } }
        return (0..<count).map { root in
            var seen: Set<Int> = [root]
            var order = [root]
            var stack = [root]
            while let n = stack.popLast() {
                for c in children[n] where seen.insert(c).inserted {
                    order.append(c)
                    stack.append(c)
                }
            }
            return order
        }
    }

    static func normalize(_ name: String) -> String {
        String(name.lowercased().map { $0 == "_" ? " " : $0 })
    }
}

/// The content of a quoted statement, for sharing equal propositions.
struct PropositionKey: Hashable, Sendable {
    var subject: Value
    var predicate: PredicateID
    var object: Value
    var qualifiers: [Value]

    init(_ s: Statement) {
        subject = s.subject
        predicate = s.predicate
        object = s.object
        qualifiers = s.qualifiers.sorted { $0.key < $1.key }.flatMap { [Value.integer(Int($0.key)), $0.value] }
    }
}
