import CKBQPrefetch

/// Entities by name (id, label or alias, normalised), in about 10 bytes a name: a 32-bit
/// hash of the name to an entity, or to a chain of entities when several have names that
/// hash alike. Lookups check the candidates' names, so a collision never gives a wrong
/// entity.
///
/// Open addressing over two parallel arrays, not a Dictionary: a load indexes three names
/// an entity, and Swift's hashing of each key cost more than the rest of the insertion.
/// Up to 4/5 full: lookups are rare (names in queries, declarations), memory is not.
struct NameIndex: Sendable {
    /// Per slot, the name's hash (never 0) or 0 when empty; a power of two, at most 4/5 full.
    private var hashes = Column<UInt32>(repeating: 0, count: 16)
    /// An entity (>= 0) or -(the chain's last link + 1).
    private var values = Column<Int32>(repeating: 0, count: 16)
    /// Chains, one link each: an entity and the link before it (-1: none). Eight bytes an
    /// entry where an array apiece cost about sixty (43,000 of them at 1M statements).
    private var linkEntity = Column<EntityID>()
    private var linkBefore = Column<Int32>()
    private(set) var count = 0

    var byteCount: Int { hashes.count * 8 + linkEntity.count * 8 }

    static func hash(_ key: String) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return fold(h)
    }

    /// 32 bits of a 64-bit hash, never 0 (the empty slot).
    private static func fold(_ h: UInt64) -> UInt32 {
        let folded = UInt32(truncatingIfNeeded: h ^ h >> 32)
        return folded == 0 ? 1 : folded
    }

    /// `hash(FactStore.normalize(name))`, for an ASCII name straight from its bytes: no
    /// normalised String is made.
    static func normalizedHash(_ name: String) -> UInt32 {
        var bytes = name
        return bytes.withUTF8(normalizedHash(ascii:)) ?? hash(FactStore.normalize(name))
    }

    /// The slot of hash `h`, or the empty slot where it would go.
    private func slot(_ h: UInt32) -> Int {
        let mask = hashes.count - 1
        var i = Int(h) & mask
        while hashes[i] != 0 && hashes[i] != h { i = (i + 1) & mask }
        return i
    }

    /// Whether the index has outgrown a core's cache (a million slots: 8 MB), so that
    /// fetching slots ahead pays (at 1M statements, 2 MB an array, it cost more than it
    /// saved: entities 0.035 -> 0.044 s; at 10M, 20 MB, 0.64 -> 0.55).
    var outgrowsCache: Bool { hashes.count >= 1 << 20 }

    /// Starts bringing in the slot where `add(hash: h, ...)` will look first (a cache miss
    /// in each array once the index outgrows the caches).
    @inline(__always)
    func prefetch(hash h: UInt32) {
        let i = Int(h) & (hashes.count - 1)
        hashes.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + i) }
        values.withUnsafeBufferPointer { kbq_prefetch($0.baseAddress! + i) }
    }

    /// `normalizedHash` of an ASCII name's bytes; nil when it is not ASCII.
    static func normalizedHash(ascii b: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b {
            if c >= 0x80 { return nil }
            h = (h ^ UInt64(c == 0x5F ? 0x20 : (c >= 0x41 && c <= 0x5A ? c + 0x20 : c))) &* 0x100_0000_01b3
        }
        return fold(h)
    }

    /// Files `e` under a name (any spelling: the name is normalised).
    mutating func add(name: String, _ e: EntityID) {
        add(hash: NameIndex.normalizedHash(name), e)
    }

    /// Files `e` under the name whose `normalizedHash` is `h`.
    mutating func add(hash h: UInt32, _ e: EntityID) {
        let i = slot(h)
        guard hashes[i] == h else {
            hashes[i] = h
            values[i] = e
            count += 1
            if count * 5 > hashes.count * 4 { grow() }
            return
        }
        let existing = values[i]
        if existing >= 0 {
            guard existing != e else { return }
            values[i] = -(link(e, after: link(existing, after: -1)) + 1)
        } else if linkEntity[Int(-existing - 1)] != e {
            // Only the newest link is checked (an id and a label alike come one after the
            // other): a common alias shared by thousands of entities must not be walked at
            // every addition. `chain` drops any repeat further back.
            values[i] = -(link(e, after: -existing - 1) + 1)
        }
    }

    /// Files `e` under the name hashed `h`, unless an entity filed there passes `taken` (its
    /// id is the one being declared): then false, and nothing is filed. The probe that finds
    /// a duplicate is the one that files the name.
    mutating func add(hash h: UInt32, _ e: EntityID, unlessAny taken: (EntityID) -> Bool) -> Bool {
        let i = slot(h)
        if hashes[i] == h, anyInChain(values[i], taken) { return false }
        add(hash: h, e)
        return true
    }

    /// Room for `n` more names without growing (a load declaring a million entities would
    /// otherwise rehash every name several times).
    mutating func reserve(_ n: Int) {
        var size = hashes.count
        while (count + n) * 5 > size * 4 { size *= 2 }
        guard size > hashes.count else { return }
        let (oldHashes, oldValues) = (hashes, values)
        hashes = Column(repeating: 0, count: size)
        values = Column(repeating: 0, count: size)
        for (h, v) in zip(oldHashes, oldValues) where h != 0 {
            let i = slot(h)
            hashes[i] = h
            values[i] = v
        }
    }

    private mutating func link(_ e: EntityID, after: Int32) -> Int32 {
        linkEntity.append(e)
        linkBefore.append(after)
        return Int32(linkEntity.count - 1)
    }

    /// The entities of a slot's value, in the order they were first added.
    private func chain(_ value: Int32) -> [EntityID] {
        guard value < 0 else { return [value] }
        var entities: [EntityID] = []
        var link = -value - 1
        while link >= 0 {
            entities.append(linkEntity[Int(link)])
            link = linkBefore[Int(link)]
        }
        var seen = Set<EntityID>()
        return entities.reversed().filter { seen.insert($0).inserted }
    }

    /// Whether an entity of a slot's value passes `test`, without making the chain.
    private func anyInChain(_ value: Int32, _ test: (EntityID) -> Bool) -> Bool {
        guard value < 0 else { return test(value) }
        var link = -value - 1
        while link >= 0 {
            if test(linkEntity[Int(link)]) { return true }
            link = linkBefore[Int(link)]
        }
        return false
    }

    private mutating func grow() { reserve(hashes.count * 4 / 5 - count + 1) }

    /// The first entity that may have the name, in any spelling, and passes `accept`.
    func first(name: String, where accept: (EntityID) -> Bool) -> EntityID? {
        first(hash: NameIndex.normalizedHash(name), where: accept)
    }

    /// As `first(name:where:)`, given the name's `normalizedHash`.
    func first(hash h: UInt32, where accept: (EntityID) -> Bool) -> EntityID? {
        let i = slot(h)
        guard hashes[i] == h else { return nil }
        let v = values[i]
        if v >= 0 { return accept(v) ? v : nil }
        var found: EntityID? = nil
        // The first added that passes: the walk goes newest first.
        _ = anyInChain(v) { e in
            if accept(e) { found = e }
            return false
        }
        return found
    }

    /// Whether some entity may have a name of this `normalizedHash`.
    func mayHave(hash h: UInt32) -> Bool { hashes[slot(h)] == h }

    /// Entities that may have the name, in any spelling (to be checked by the caller).
    func candidates(name: String) -> [EntityID] {
        let h = NameIndex.normalizedHash(name)
        let i = slot(h)
        guard hashes[i] == h else { return [] }
        return chain(values[i])
    }
}

// MARK: image

extension NameIndex: ImageCodable {
    func write(to w: inout ImageWriter) {
        w.column(hashes)
        w.column(values)
        w.column(linkEntity)
        w.column(linkBefore)
        w.int(count)
    }

    /// Reads the index and checks that probes end (a power of two of slots, some empty),
    /// that entities are below `r.bounds.entities`, and that every chain runs to older
    /// links only, so a walk ends.
    init(image r: inout ImageReader) throws {
        hashes = try r.view()
        values = try r.view()
        linkEntity = try r.view()
        linkBefore = try r.view()
        count = try r.int(in: 0...hashes.count, "name count")
        try r.check(hashes.count.nonzeroBitCount == 1 && values.count == hashes.count, "name slots")
        try r.check(linkBefore.count == linkEntity.count, "name chains")
        if r.checksColumns { try checkEachSlotAndLink(r) }
    }

    /// The checks that read every slot and link (skipped for a sealed image).
    private func checkEachSlotAndLink(_ r: ImageReader) throws {
        let entities = r.bounds.entities
        let used = hashes.withUnsafeBufferPointer { b in b.reduce(0) { $0 &+ ($1 != 0 ? 1 : 0) } }
        try r.check(count == used && count * 5 <= hashes.count * 4, "name count")
        // Branch-free passes: a check and a throw per slot took longer than mapping the rest.
        let (links, entityLimit) = (Int64(linkEntity.count), Int64(entities))
        let slotsHeld = hashes.withUnsafeBufferPointer { hs in
            values.withUnsafeBufferPointer { vs in
                var bad = false
                for i in hs.indices {
                    let v = Int64(vs[i])
                    bad = bad || (hs[i] != 0 && (v >= 0 ? v >= entityLimit : -v - 1 >= links))
                }
                return !bad
            }
        }
        try r.check(slotsHeld, "name slot")
        try r.check(ImageCheck.allBelow(linkEntity, entities), "name chain entities")
        let linksBack = linkBefore.withUnsafeBufferPointer { b in
            var bad = false
            for k in b.indices { bad = bad || b[k] < -1 || Int(b[k]) >= k }
            return !bad
        }
        try r.check(linksBack, "name chain link")
    }
}
