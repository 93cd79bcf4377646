extension FactStore {
    public func predicateID(_ name: String) -> PredicateID? { predicateIndex[name] }
    public func typeID(_ name: String) -> Int32? { typeIndex[name] }
    public func keyID(_ name: String) -> Int32? { keyIndex[name] }
    public func entityID(exactly id: String) -> EntityID? { entityIndex[id] }
    /// An entity by its IRI: one it was given, or kbq's own `urn:kbq:e:ID`.
    public func entity(iri: String) -> EntityID? {
        if let e = iriIndex[iri] { return e }
        let own = "urn:kbq:e:"
        guard iri.hasPrefix(own), let e = entityIndex[String(iri.dropFirst(own.count))], entities[Int(e)].iri == nil else { return nil }
        return e
    }
    public func statementID(named name: String) -> StatementID? { statementNames[name] }

    public func entity(_ id: EntityID) -> Entity { entities[Int(id)] }
    public func statement(_ id: StatementID) -> Statement { statements[Int(id)] }
    public func predicateName(_ id: PredicateID) -> String { predicates[Int(id)].name }
    public func keyName(_ id: Int32) -> String { keys[Int(id)].name }
    public func typeName(_ id: Int32) -> String { types[Int(id)].name }

    /// Entities named `name` by id, label or alias, case-insensitively (`_` reads as a space).
    public func entities(named name: String) -> [EntityID] {
        if let exact = entityIndex[name] { return [exact] }
        return nameIndex[FactStore.normalize(name)] ?? []
    }

    /// Every name an entity can be called by, for suggestions and completion.
    public var allEntityNames: [String] {
        entities.flatMap { [$0.id, $0.label] + $0.aliases }
    }

    /// A "did you mean" for an unknown entity name: the closest id, label or alias, shown
    /// as the id when that is what the user should type.
    public func suggestEntity(_ name: String) -> String {
        guard let near = Suggest.closest(to: name, in: allEntityNames) else { return "" }
        let ids = entities(named: near)
        if ids.count == 1 { return " (did you mean '\(entity(ids[0]).id)'?)" }
        return " (did you mean '\(near)'?)"
    }

    public func suggestPredicate(_ name: String) -> String { Suggest.hint(name, predicates.map(\.name)) }
    public func suggestType(_ name: String) -> String { Suggest.hint(name, types.map(\.name)) }
    public func suggestKey(_ name: String) -> String { Suggest.hint(name, keys.map(\.name)) }

    /// The predicate and its sub-predicates: `says` matches `claims`.
    public func predicateFamily(_ p: PredicateID) -> [PredicateID] { predicateClosure[Int(p)] }
    public func typeFamily(_ t: Int32) -> [Int32] { typeClosure[Int(t)] }

    /// Whether entity `e` has type `t` or one of its sub-types.
    public func entity(_ e: EntityID, isA t: Int32) -> Bool {
        let family = typeClosure[Int(t)]
        return entities[Int(e)].types.contains { family.contains($0) }
    }

    /// Every type of `e`, with their super-types, nearest first.
    public func allTypes(of e: EntityID) -> [Int32] {
        var seen: [Int32] = []
        var queue = entities[Int(e)].types
        while !queue.isEmpty {
            let t = queue.removeFirst()
            if !seen.contains(t) {
                seen.append(t)
                queue += types[Int(t)].supertypes
            }
        }
        return seen
    }

    /// Members of `t` and of its sub-types.
    public func members(of t: Int32) -> [EntityID] {
        var result: [EntityID] = []
        var seen = Set<EntityID>()
        for sub in typeClosure[Int(t)] { for e in typeMembers[Int(sub)] where seen.insert(e).inserted { result.append(e) } }
        return result
    }

    public func isStance(_ p: PredicateID) -> Bool { predicates[Int(p)].isStance }

    // Index access for the evaluator.
    func statements(withSubject v: Value) -> [StatementID] { bySubject[v] ?? [] }
    func statements(withObject v: Value) -> [StatementID] { byObject[v] ?? [] }
    func statements(withPredicate p: PredicateID) -> [StatementID] { byPredicate[Int(p)] }
    func statements(withQualifier k: Int32, value: Value) -> [StatementID] { byQualifier[k]?[value] ?? [] }
    func statements(withKey k: Int32) -> [StatementID] { byKey[Int(k)] }
}
