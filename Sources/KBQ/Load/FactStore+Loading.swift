/// The store's bulk appends, for the loaders' fast paths (text lines read from their bytes,
/// sheet rows resolved once per distinct cell): each reaches the storage once for what
/// `addEntity` and `addStatement` do through several accessors, and takes what a loader
/// has already worked out (hashes, interned terms).
extension FactStore {
    /// Adds an entity from the bytes of a line (the loader's fast path), its names in ASCII
    /// and hashed already (`NameIndex.normalizedHash`); false when the id is taken (the
    /// caller then takes the full path, which reports it). `label` nil: the id with `_`
    /// read as spaces.
    mutating func addEntity(
        id: UnsafeBufferPointer<UInt8>, idHash: UInt32, label: UnsafeBufferPointer<UInt8>?, labelHash: UInt32,
        aliases: [UnsafeBufferPointer<UInt8>], aliasHashes: [UInt32], types: [Int32], file: String, line: Int
    ) -> Bool {
        let s = uniqueStorage()
        let e = EntityID(s.entities.count)
        guard s.nameIndex.add(hash: idHash, e, unlessAny: { s.entities.idEquals(Int($0), bytes: id) }) else { return false }
        _ = s.entities.append(id: id, label: label, aliases: aliases, types: types, file: file, line: line)
        s.nameIndex.add(hash: labelHash, e)
        for h in aliasHashes { s.nameIndex.add(hash: h, e) }
        for t in types { s.typeMembers[Int(t)].append(e) }
        s.version += 1
        return true
    }

    /// Where `appendAsserted` has the caller write `rows` statements and `qualifiers`
    /// qualifiers: per row its subject, predicate, object, and where its qualifiers end
    /// (counted from `keys` and `values`, as `qualifierStart` counts them).
    struct AssertedSlots: @unchecked Sendable {
        let subject: UnsafeMutablePointer<Term>
        let predicate: UnsafeMutablePointer<PredicateID>
        let object: UnsafeMutablePointer<Term>
        let qualifierEnd: UnsafeMutablePointer<UInt32>
        let keys: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Term>
        /// The table's qualifiers before these (the first row's qualifiers start there).
        let qualifierBase: Int
    }

    /// Adds `rows` asserted statements after those there are, `write` filling every slot
    /// of them (on as many threads as it likes, all done when it returns); then their
    /// provenance runs, row by row from `provenance(k)`: (line, document, paragraph), the
    /// paragraphs' numbers interned already (as `addStatement` interns them: a query can
    /// compare with them).
    mutating func appendAsserted(
        rows n: Int, qualifiers: Int, file: Int32, _ write: (AssertedSlots) -> Void,
        provenance: (Int) -> (line: Int32, document: EntityID, paragraph: Int32)
    ) {
        guard n > 0 else { return }
        let s = uniqueStorage()
        let first = s.table.count
        let qualifierBase = s.table.qualifierKeys.count
        let slots = AssertedSlots(
            subject: s.table.subject.appendSlots(n), predicate: s.table.predicate.appendSlots(n), object: s.table.object.appendSlots(n),
            qualifierEnd: s.table.qualifierStart.appendSlots(n), keys: s.table.qualifierKeys.appendSlots(qualifiers),
            values: s.table.qualifierValues.appendSlots(qualifiers), qualifierBase: qualifierBase)
        write(slots)
        s.table.asserted.append(true, count: n)
        for k in 0..<n {
            let (line, document, paragraph) = provenance(k)
            s.table.appendRuns(row: first + k, line: line, file: file, document: document, paragraph: paragraph)
        }
        s.assertedTotal += n
        s.version += 1
    }

    /// Notes that some statement has two qualifiers of one key (the caller of
    /// `appendAsserted` looks, as `addStatement` does for its own).
    mutating func noteRepeatedQualifierKeys() { uniqueStorage().table.hasRepeatedQualifierKeys = true }

    /// Interns paragraph numbers in bulk, as `addStatement` interns a statement's (a query
    /// can compare with them); `StatementTable.noParagraph` is skipped.
    mutating func internParagraphs(_ numbers: UnsafeBufferPointer<Int32>) {
        uniqueStorage().literals.internIntegers(numbers, skipping: StatementTable.noParagraph)
    }

    /// The table's number for a file's name (`StatementTable.fileID`).
    mutating func fileID(_ name: String) -> Int32 { uniqueStorage().table.fileID(name) }

    /// Calls `body` with the statement table and the literals, changed in place: one
    /// access for a batch of appends, not one per column per statement.
    mutating func withTableAndLiterals<R>(_ body: (inout StatementTable, inout LiteralTable) -> R) -> R {
        let s = uniqueStorage()
        return body(&s.table, &s.literals)
    }

}
