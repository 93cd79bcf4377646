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

    /// Adds an asserted statement of terms interned already, its provenance apart from its
    /// qualifiers (a sheet's rows, whose cells were resolved once for all the rows that
    /// repeat them); the same statement `addStatement` makes of it. `file` is the table's
    /// `fileID`; a paragraph's number is interned unless it is `internedParagraph` (which
    /// the caller keeps from row to row: rows of one paragraph come together).
    mutating func appendAsserted(
        subject: Term, predicate: PredicateID, object: Term, qualifiers: [(key: Int32, value: Term)],
        file: Int32, line: Int32, document: EntityID, paragraph: Int32, internedParagraph: inout Int32
    ) {
        let s = uniqueStorage()
        // As `addStatement`: a paragraph's number is a literal a query can compare with.
        if paragraph != StatementTable.noParagraph, paragraph != internedParagraph {
            _ = s.literals.intern(LiteralTable.Key.integer(Int(paragraph)), text: UnsafeBufferPointer(start: nil, count: 0))
            internedParagraph = paragraph
        }
        for (n, q) in qualifiers.enumerated() {
            if !s.table.hasRepeatedQualifierKeys, qualifiers[..<n].contains(where: { $0.key == q.key }) { s.table.hasRepeatedQualifierKeys = true }
            s.table.qualifierKeys.append(q.key)
            s.table.qualifierValues.append(q.value)
        }
        s.table.appendRow(subject: subject, predicate: predicate, object: object, asserted: true, line: line, file: file, document: document, paragraph: paragraph)
        s.assertedTotal += 1
        s.version += 1
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
