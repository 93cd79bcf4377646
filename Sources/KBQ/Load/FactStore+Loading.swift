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

    /// Asserted statements of terms interned already, gathered to be added at once (a
    /// sheet's rows, whose cells were resolved once for all the rows that repeat them):
    /// the statements `addStatement` makes of them. Qualifiers leave out the provenance,
    /// given as `document` and `paragraph` (`StatementTable.noParagraph`: none).
    struct AssertedRows {
        var subject: [Term] = [], predicate: [PredicateID] = [], object: [Term] = []
        /// Row k's qualifiers are `keys/values[qualifierEnd[k - 1]..<qualifierEnd[k]]`.
        var qualifierEnd: [Int] = [], keys: [Int32] = [], values: [Term] = []
        var line: [Int32] = [], document: [EntityID] = [], paragraph: [Int32] = []
        var count: Int { subject.count }

        mutating func append(
            subject s: Term, predicate p: PredicateID, object o: Term, qualifiers: [(key: Int32, value: Term)],
            line l: Int32, document d: EntityID, paragraph para: Int32
        ) {
            subject.append(s)
            predicate.append(p)
            object.append(o)
            for q in qualifiers {
                keys.append(q.key)
                values.append(q.value)
            }
            qualifierEnd.append(keys.count)
            line.append(l)
            document.append(d)
            paragraph.append(para)
        }

        mutating func removeAll() {
            subject.removeAll(keepingCapacity: true)
            predicate.removeAll(keepingCapacity: true)
            object.removeAll(keepingCapacity: true)
            qualifierEnd.removeAll(keepingCapacity: true)
            keys.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            line.removeAll(keepingCapacity: true)
            document.removeAll(keepingCapacity: true)
            paragraph.removeAll(keepingCapacity: true)
        }
    }

    /// Adds gathered rows, read from `file` (the table's `fileID`), after the statements
    /// there are. Their paragraphs' numbers are literals interned already (as
    /// `addStatement` interns them: a query can compare with them).
    mutating func append(_ rows: AssertedRows, file: Int32) {
        guard rows.count > 0 else { return }
        let s = uniqueStorage()
        let first = s.table.count
        let qualifierBase = s.table.qualifierKeys.count
        s.table.subject.append(contentsOf: rows.subject)
        s.table.predicate.append(contentsOf: rows.predicate)
        s.table.object.append(contentsOf: rows.object)
        s.table.qualifierKeys.append(contentsOf: rows.keys)
        s.table.qualifierValues.append(contentsOf: rows.values)
        s.table.asserted.append(true, count: rows.count)
        var start = 0
        for k in 0..<rows.count {
            let end = rows.qualifierEnd[k]
            if end - start > 1, !s.table.hasRepeatedQualifierKeys {
                for q in start + 1..<end where rows.keys[start..<q].contains(rows.keys[q]) { s.table.hasRepeatedQualifierKeys = true }
            }
            // Where the row's qualifiers end (as `appendRow` keeps it).
            s.table.qualifierStart.append(UInt32(qualifierBase + end))
            s.table.appendRuns(row: first + k, line: rows.line[k], file: file, document: rows.document[k], paragraph: rows.paragraph[k])
            start = end
        }
        s.assertedTotal += rows.count
        s.version += 1
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
    /// paragraphs' numbers interned already (as `append(_:file:)`). Returns the first
    /// statement's number.
    @discardableResult
    mutating func appendAsserted(
        rows n: Int, qualifiers: Int, file: Int32, _ write: (AssertedSlots) -> Void,
        provenance: (Int) -> (line: Int32, document: EntityID, paragraph: Int32)
    ) -> Int {
        let s = uniqueStorage()
        let first = s.table.count
        guard n > 0 else { return first }
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
        return first
    }

    /// Notes that some statement has two qualifiers of one key (`append(_:file:)` finds it
    /// for the rows it is given).
    mutating func noteRepeatedQualifierKeys() { uniqueStorage().table.hasRepeatedQualifierKeys = true }

    /// Makes room for `n` more literals at once (a sheet's paragraph numbers, one a row).
    mutating func reserveLiterals(_ n: Int) { uniqueStorage().literals.reserve(n) }

    /// Starts bringing in where interning paragraph number `n` will look.
    mutating func prefetchParagraph(_ n: Int32) {
        uniqueStorage().literals.prefetch(LiteralTable.Key.integer(Int(n)))
    }

    /// Interns a paragraph's number (`addStatement` does, for each statement's paragraph).
    mutating func internParagraph(_ n: Int32) {
        _ = uniqueStorage().literals.intern(LiteralTable.Key.integer(Int(n)), text: UnsafeBufferPointer(start: nil, count: 0))
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
