/// Entities by name (id, label or alias, normalised), in about 17 bytes a name: a hash of
/// the name to an entity, or to a shared list when several entities have names that hash
/// alike. Lookups check the candidates' names, so a collision never gives a wrong entity.
struct NameIndex: Sendable {
    /// An entity (>= 0) or -(index into `shared` + 1).
    private var first: [UInt64: Int32] = [:]
    private var shared: [[EntityID]] = []

    var count: Int { first.count }
    var byteCount: Int { first.count * 16 + shared.reduce(0) { $0 + 32 + $1.count * 4 } }

    static func hash(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// `hash(FactStore.normalize(name))`, for an ASCII name straight from its bytes: no
    /// normalised String is made (the loader indexes three names an entity).
    static func normalizedHash(_ name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { b in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for c in b {
                if c >= 0x80 { return hash(FactStore.normalize(String(decoding: b, as: UTF8.self))) }
                h = (h ^ UInt64(c == 0x5F ? 0x20 : (c >= 0x41 && c <= 0x5A ? c + 0x20 : c))) &* 0x100_0000_01b3
            }
            return h
        }
    }

    /// Files `e` under a name (any spelling: the name is normalised).
    mutating func add(name: String, _ e: EntityID) {
        let h = NameIndex.normalizedHash(name)
        guard let existing = first[h] else {
            first[h] = e
            return
        }
        if existing >= 0 {
            guard existing != e else { return }
            shared.append([existing, e])
            first[h] = -Int32(shared.count)
        } else if !shared[Int(-existing - 1)].contains(e) {
            shared[Int(-existing - 1)].append(e)
        }
    }

    /// Entities that may have the name, in any spelling (to be checked by the caller).
    func candidates(name: String) -> [EntityID] {
        guard let v = first[NameIndex.normalizedHash(name)] else { return [] }
        return v >= 0 ? [v] : shared[Int(-v - 1)]
    }
}
