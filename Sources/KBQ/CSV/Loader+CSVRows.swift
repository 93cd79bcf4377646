/// A statements sheet's rows, fast: each row's cells resolved ahead on every core
/// (`CSVRowResolver`), then the rows added in order, a row whose cells were all resolved
/// becoming a statement with no String made and no name looked up. A cell the workers could
/// not tell, or whose name changed since they read it, is read in order as the full path
/// reads it (and remembered by its bytes for the rows after). A claim, or a row with
/// anything that is an error, takes the full path, `importStatementRow`, which resolves and
/// reports exactly as it always has. Both paths add a row's statement in row order, so the
/// store is the same either way (a test compares them).
extension Loader {
    /// What taking a resolved cell remembers, written into the memos before anything reads
    /// them in order (`flushCSVEffects`).
    struct CSVEffect {
        var sheet: Int32
        /// The cell (of the sheet's flat list) whose trimmed text is the name.
        var cell: Int
        var term: UInt32
        var source: Bool
    }

    /// Writes what taken cells remembered into the memos, before anything reads them in order.
    mutating func flushCSVEffects() {
        guard !csvEffects.isEmpty else { return }
        for e in csvEffects {
            let s = csvSheets[Int(e.sheet)].table.text(e.cell).trimmingSpaces
            let term = Term(raw: e.term)
            if e.source {
                csvMemo.sources[s] = EntityID(term.index)
            } else if term.kind == Term.entityKind {
                csvMemo.entities[s] = EntityID(term.index)
            } else {
                csvMemo.texts.insert(s)
            }
        }
        csvEffects.removeAll(keepingCapacity: true)
    }

    /// Cells read in order, by their bytes, with the memos' stamp when they were read. A
    /// reading the memos keep (an entity found or made by a subject, a source's Document, a
    /// predicate) holds for every later cell of the same bytes; any other holds unless a
    /// name it depends on has changed since (`stable` false).
    struct CSVCellCache {
        private var table = ByteKeyTable(capacity: 64)
        private var entries: [(word: UInt32, stamp: Int, stable: Bool)] = []

        /// The word read for `bytes` (a term's raw bits, or `csvInOrder` when it failed).
        func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> (index: Int, word: UInt32, stamp: Int, stable: Bool)? {
            guard let i = table.lookup(bytes) else { return nil }
            let e = entries[Int(i)]
            return (Int(i), e.word, e.stamp, e.stable)
        }

        mutating func store(_ bytes: UnsafeBufferPointer<UInt8>, _ word: UInt32, stamp: Int, stable: Bool, replacing index: Int?) {
            if let index {
                entries[index] = (word, stamp, stable)
            } else if !bytes.isEmpty {
                table.insert(distinct: bytes, Int32(entries.count))
                entries.append((word, stamp, stable))
            }
        }
    }

    /// The few cells a walk looks up at nearly every row (predicates a sheet declares
    /// itself, read in order when first named), by their first sixteen bytes and length:
    /// a hit is two loads and three compares, not a hash and a probe. Only readings that
    /// hold for good are kept.
    struct CSVSmallCache {
        private var entries = [(head: UInt64, tail: UInt64, length: Int, word: UInt32)](repeating: (0, 0, -1, 0), count: 64)

        @inline(__always)
        private static func slot(_ head: UInt64, _ tail: UInt64, _ length: Int) -> Int {
            Int(truncatingIfNeeded: ((head ^ tail &* 31 ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> 58)
        }

        @inline(__always)
        func lookup(_ b: UnsafeBufferPointer<UInt8>) -> UInt32? {
            guard b.count <= 16 else { return nil }
            let (head, tail) = (ByteKeyTable.word(b, 0, length: b.count), ByteKeyTable.word(b, 8, length: b.count - 8))
            let e = entries[CSVSmallCache.slot(head, tail, b.count)]
            return e.length == b.count && e.head == head && e.tail == tail ? e.word : nil
        }

        mutating func store(_ b: UnsafeBufferPointer<UInt8>, _ word: UInt32) {
            guard b.count <= 16 else { return }
            let (head, tail) = (ByteKeyTable.word(b, 0, length: b.count), ByteKeyTable.word(b, 8, length: b.count - 8))
            entries[CSVSmallCache.slot(head, tail, b.count)] = (head, tail, b.count, word)
        }
    }

    /// Notes what taking a resolved cell remembers.
    mutating func noteCSVEffect(_ e: CSVEffect) {
        if csvEffects.isEmpty { csvEffectsStamp = csvMemo.stamp }
        csvEffects.append(e)
    }

    /// The snapshot the workers read, made once the loader is done changing the store for
    /// now. Effects not yet written must not be missed by the workers: they read the store
    /// for a name no memo holds, which gives what the memo would only while no name has
    /// changed since the first of them was noted.
    mutating func csvSnapshot(_ index: Int) -> CSVSnapshot? {
        guard fast.enabled else { return nil }
        if csvMemo.stamp != csvEffectsStamp { flushCSVEffects() }
        csvMemo.clearRecent()
        return CSVSnapshot(store, csvMemo, FastResolver(store), csvSheets[index].table)
    }

    /// Makes the entities that subjects and speakers name and nothing names yet, in row
    /// order (so that an object naming one of them anywhere in the sheets is that entity,
    /// not text). Returns each row's subject term (`csvInOrder` where the row must report it).
    mutating func makeSubjectsAndSpeakers(_ index: Int) -> [UInt32] {
        let sheet = csvSheets[index]
        let table = sheet.table
        let columns = [sheet.column("subject"), sheet.column("speaker")].compactMap { $0 }
        let start = Clock.nanoseconds()
        var parts: [CSVResolvedRows] = []
        var stamp = csvMemo.stamp
        if let snapshot = csvSnapshot(index) {
            parts = Loader.resolveCSVRows(columns.map { ($0, .value(keyType: .entity, text: false)) }, snapshot)
            stamp = snapshot.stamp
        }
        phases.add("sheets, subjects resolved on every core", since: start)
        var subjects = [UInt32](repeating: Loader.csvInOrder, count: table.rowCount)
        table.withCells { cells in
            for (c, k) in columns.enumerated() {
                // Off with the fast path, so that the full path reads every row itself.
                var cache: CSVCellCache? = parts.isEmpty ? nil : CSVCellCache()
                var part = 0
                for r in 0..<table.rowCount {
                    let cell = r * table.columns + k
                    if !parts.isEmpty {
                        while r >= parts[part].rows.upperBound { part += 1 }
                        let w = parts[part].word(r, c)
                        if w == Loader.csvBlank { continue }
                        if w != Loader.csvInOrder, !csvMemo.changed(cells, cell, since: stamp) {
                            if parts[part].effect(r, c) { noteCSVEffect(CSVEffect(sheet: Int32(index), cell: cell, term: w, source: false)) }
                            if c == 0 { subjects[r] = w }
                            continue
                        }
                    }
                    let bytes = cells.bytes(cell)
                    if let hit = cache?.lookup(bytes) {
                        if c == 0 { subjects[r] = hit.word }
                        continue
                    }
                    flushCSVEffects()
                    let name = table.text(cell).trimmingSpaces
                    guard !name.isEmpty else { continue }
                    var found = csvMemo.entities[name]
                    if found == nil {
                        let named = store.nameIndex.candidates(name: name).isEmpty ? [] : store.entities(named: name)
                        // One entity: remembered, as `csvEntity` would; none: made; more: left for
                        // the row to report.
                        if named.count == 1 {
                            rememberEntity(name, named[0])
                            found = named[0]
                        }
                        if named.isEmpty { found = csvEntity(name, table.cell(cell), sheet, table.row(r)) }
                    }
                    let word = found.map { Term(entity: $0).raw } ?? Loader.csvInOrder
                    // Remembered (found or made), or left to report: either way it holds.
                    cache?.store(bytes, word, stamp: csvMemo.stamp, stable: true, replacing: nil)
                    if c == 0 { subjects[r] = word }
                }
            }
        }
        return subjects
    }

    /// A statements sheet's walk in row order: what it reads, and what it has gathered.
    struct CSVWalk {
        let index: Int
        let c: StatementColumns
        /// The columns read ahead: predicate, object, source (if any), then the qualifiers.
        let columns: [(column: Int, role: CSVColumnRole)]
        let firstQualifier: Int
        let qualifierColumns: [(column: Int, key: Int32)]
        /// A row has two qualifiers of one key only when two columns name the same key.
        let keysMayRepeat: Bool
        let subjects: [UInt32]
        let parts: [CSVResolvedRows]
        /// The memos' stamp when the cells were read ahead.
        let stamp: Int
        let file: Int32
        var part = 0
        var caches: [CSVCellCache]
        /// Predicates read in order, as `caches[0]` holds them, found faster.
        var predicates = CSVSmallCache()
        var batch = CSVRowBatch()
        /// The last document's paragraph count.
        var paragraphCount: (document: EntityID, count: Int?)? = nil
        var sheetDocument: EntityID? = nil
        var rowKeys: [Int32] = []
        /// The columns the rows' fast reading looks at (-1: none), read at every row
        /// without copying `c`.
        let speaker: Int, stance: Int, source: Int, para: Int, predicate: Int
        /// The part of `parts` being walked, through pointers into it (`parts` keeps it):
        /// reached through the object, each row retained and released it.
        var lower = 0, upper = 0
        var words: UnsafeMutablePointer<UInt32>? = nil
        var effects: UnsafeMutablePointer<UInt8>? = nil

        init(
            index: Int, c: StatementColumns, columns: [(column: Int, role: CSVColumnRole)], firstQualifier: Int,
            qualifierColumns: [(column: Int, key: Int32)], subjects: [UInt32], parts: [CSVResolvedRows], stamp: Int, file: Int32,
            sheetDocument: EntityID?
        ) {
            (self.index, self.c, self.columns, self.firstQualifier, self.qualifierColumns) = (index, c, columns, firstQualifier, qualifierColumns)
            keysMayRepeat = Set(qualifierColumns.map(\.key)).count < qualifierColumns.count
            (self.subjects, self.parts, self.stamp, self.file, self.sheetDocument) = (subjects, parts, stamp, file, sheetDocument)
            caches = [CSVCellCache](repeating: CSVCellCache(), count: columns.count)
            (speaker, stance, source, para, predicate) = (c.speaker ?? -1, c.stance ?? -1, c.source ?? -1, c.para ?? -1, c.predicate)
        }

        /// The part that holds row `r` (rows are asked for in order).
        @inline(__always)
        mutating func resolved(_ r: Int) -> CSVResolvedRows {
            if r >= upper { moveTo(r) }
            return parts[part]
        }

        /// Makes the part holding row `r` the one walked (rows are asked for in order).
        @inline(__always)
        mutating func moveTo(_ r: Int) {
            while r >= parts[part].rows.upperBound { part += 1 }
            let p = parts[part]
            (lower, upper, words, effects) = (p.rows.lowerBound, p.rows.upperBound, p.words.baseAddress, p.effects.baseAddress)
        }


        /// Whether row `r` may be taken without the full path: not a claim, and its subject
        /// read (else the full path reports it). Mutating, though it changes nothing: a
        /// plain method was called on a copy of the walk, its arrays retained and released
        /// at every row.
        @inline(__always)
        mutating func mayTake(_ r: Int, _ cells: CSVCells) -> Bool {
            let base = r * cells.width
            return subjects[r] < Loader.csvBlank && (speaker < 0 || cells.isBlank(base + speaker)) && (stance < 0 || cells.isBlank(base + stance))
        }
    }

    /// A resolved word of `part` as a term: a pending literal interned.
    @inline(__always)
    static func csvTerm(_ w: UInt32, _ part: CSVResolvedRows, _ file: UnsafeBufferPointer<UInt8>, _ literals: inout LiteralTable) -> UInt32 {
        guard w >> 30 == ResolvedLines.pendingKind else { return w }
        let literal = part.literals[Int(w & Term.indexMask)]
        if literal.length < 0 { return Term(literal: literals.intern(part.values[literal.start])).raw }
        return Term(literal: literals.intern(literal.key, text: UnsafeBufferPointer(start: file.baseAddress! + literal.start, count: Int(literal.length)))).raw
    }

    mutating func importStatementRows(_ index: Int, _ c: StatementColumns, subjects: [UInt32]) {
        let sheet = csvSheets[index]
        let table = sheet.table
        let width = table.columns
        // The sheet's own Document, made before the rows are read ahead when a row will
        // need it (made later, its names would change under every row read ahead).
        var document: EntityID? = nil
        if c.source.map({ s in table.withCells { cells in (0..<table.rowCount).contains { cells.isBlank($0 * width + s) } } }) ?? true,
            table.rowCount > 0
        {
            document = sheetDocument(sheet)
        }
        let qualifierColumns = c.onStatement + c.onClaim
        var columns: [(column: Int, role: CSVColumnRole)] = [
            (c.predicate, .predicate), (c.object, .value(keyType: nil, text: sheet.columns[c.object].text)),
        ]
        if let s = c.source { columns.append((s, .source)) }
        let firstQualifier = columns.count
        for (k, key) in qualifierColumns {
            let type = store.keys[Int(key)].valueType
            columns.append((k, .value(keyType: type == .any ? nil : type, text: sheet.columns[k].text)))
        }
        let aheadStart = Clock.nanoseconds()
        var parts: [CSVResolvedRows] = []
        var stamp = csvMemo.stamp
        if let snapshot = csvSnapshot(index) {
            parts = Loader.resolveCSVRows(columns, snapshot)
            stamp = snapshot.stamp
        }
        phases.add("sheets, statements resolved on every core", since: aheadStart)
        var walk = CSVWalk(
            index: index, c: c, columns: columns, firstQualifier: firstQualifier, qualifierColumns: qualifierColumns, subjects: subjects,
            parts: parts, stamp: stamp, file: store.fileID(sheet.path), sheetDocument: document)
        walk.batch.reserve(parts.isEmpty ? 0 : table.rowCount)
        defer { walk.batch.free() }
        let (walkStart, walkCPU) = (Clock.nanoseconds(), Clock.threadNanoseconds())
        defer {
            phases.add("sheets, statements, rows in order", since: walkStart)
            phases.add("sheets, statements, rows in order (its thread's CPU)", seconds: Double(Clock.threadNanoseconds() - walkCPU) / 1e9)
        }
        table.withCells { cells in
            for r in 0..<table.rowCount {
                if !parts.isEmpty, walk.mayTake(r, cells), takeResolvedRow(r, cells, &walk) || takeRow(r, cells, &walk) {
                    continue
                }
                // The rows before it first: statements are added in row order.
                writeCSVRows(&walk, cells.bytes)
                flushCSVEffects()
                _ = importStatementRow(table.row(r), c, sheet)
            }
        }
        table.withCells { writeCSVRows(&walk, $0.bytes) }
    }

    mutating func writeCSVRows(_ walk: inout CSVWalk, _ bytes: UnsafeBufferPointer<UInt8>) {
        let start = Clock.nanoseconds()
        walk.batch.write(into: &store, file: walk.file, parts: walk.parts, bytes)
        phases.add("sheets, statements, rows written", since: start)
    }

    /// A paragraph cell of plain digits (trimmed), as a number; nil for anything else
    /// (which the full path reads, or reports).
    static func csvDigits(_ cells: CSVCells, _ k: Int) -> Int? {
        var n = 0
        var seen = 0
        for b in cells.bytes(k) where b != 0x20 && b != 0x09 {
            guard (0x30...0x39).contains(b), seen < 9 else { return nil }
            n = n * 10 + Int(b - 0x30)
            seen += 1
        }
        return seen > 0 ? n : nil
    }

    /// Row `r`'s document and paragraph when the fast path can tell them: its source's
    /// Document (`source`, nil when the source cell is blank) with its para cell, or the
    /// sheet itself (made before the walk when a row needs it) and the row's number; nil
    /// when the full path must read them (a paragraph that is not a number, past the
    /// document's end, or without a source).
    mutating func fastProvenance(
        _ r: Int, source: EntityID?, _ cells: CSVCells, _ w: inout CSVWalk
    ) -> (document: EntityID, paragraph: Int32)? {
        let para = w.para >= 0 && !cells.isBlank(r * cells.width + w.para) ? r * cells.width + w.para : nil
        guard let document = source else {
            guard para == nil, let sheet = w.sheetDocument else { return nil }
            return (sheet, CSVTable.number(ofRow: r))
        }
        guard let k = para else { return (document, StatementTable.noParagraph) }
        if w.paragraphCount?.document != document { w.paragraphCount = (document, store.entities.paragraphs(Int(document))) }
        guard let n = Loader.csvDigits(cells, k), n >= 1, n <= w.paragraphCount!.count ?? Int.max else { return nil }
        return (document, Int32(n))
    }

    /// Takes row `r` (`CSVWalk.mayTake`) as the workers read it when nothing is left to
    /// read in order: no name changed since, every cell read, and nothing that is an
    /// error. False, with nothing changed, otherwise (`takeRow` then looks at it cell by
    /// cell).
    @inline(__always)
    mutating func takeResolvedRow(_ r: Int, _ cells: CSVCells, _ w: inout CSVWalk) -> Bool {
        guard csvMemo.stamp == w.stamp else { return false }
        let base = r * cells.width
        if r >= w.upper { w.moveTo(r) }
        let width = w.columns.count
        let at = (r - w.lower) * width
        let words = UnsafeBufferPointer(start: w.words! + at, count: width)
        guard words[1] < Loader.csvBlank else { return false }
        // A predicate the sheet declares (in order, the first time a row names it) is
        // found by its bytes.
        var predicate = words[0]
        if predicate == Loader.csvInOrder {
            let bytes = cells.bytes(base + w.predicate)
            if let known = w.predicates.lookup(bytes) {
                predicate = known
            } else {
                guard let hit = w.caches[0].lookup(bytes), hit.stable, hit.word != Loader.csvInOrder else { return false }
                predicate = hit.word
                w.predicates.store(bytes, hit.word)
            }
        }
        var source: EntityID? = nil
        if w.source >= 0, words[2] != Loader.csvBlank {
            guard words[2] != Loader.csvInOrder else { return false }
            source = EntityID(Term(raw: words[2]).index)
        }
        guard let (document, paragraph) = fastProvenance(r, source: source, cells, &w) else { return false }
        for q in w.firstQualifier..<width where words[q] == Loader.csvInOrder { return false }
        let effects = w.effects! + at
        for k in 0..<width where effects[k] != 0 {
            noteCSVEffect(CSVEffect(sheet: Int32(w.index), cell: base + w.columns[k].column, term: words[k], source: k == 2 && w.source >= 0))
        }
        if w.keysMayRepeat { w.rowKeys.removeAll(keepingCapacity: true) }
        // Literals are interned when the batch is written.
        for q in w.firstQualifier..<width where words[q] != Loader.csvBlank {
            let key = w.qualifierColumns[q - w.firstQualifier].key
            w.batch.keys.append(key)
            w.batch.values.append(words[q])
            if w.keysMayRepeat { w.rowKeys.append(key) }
        }
        w.batch.append(subject: w.subjects[r], predicate: predicate, object: words[1], line: CSVTable.number(ofRow: r), document: document, paragraph: paragraph, part: w.part)
        if w.keysMayRepeat, Set(w.rowKeys).count < w.rowKeys.count { store.noteRepeatedQualifierKeys() }
        fastSheetRows += 1
        return true
    }

    /// Takes row `r` (`CSVWalk.mayTake`) cell by cell: each as the workers read it unless
    /// a name it depends on changed since, else read in order as the full path reads it
    /// (making what a first mention makes). False when the row must take the full path: a
    /// cell whose reading is an error (the full path then reads the row and reports it
    /// where it always has).
    mutating func takeRow(_ r: Int, _ cells: CSVCells, _ w: inout CSVWalk) -> Bool {
        let c = w.c
        let index = w.index
        let base = r * cells.width
        let resolved = w.resolved(r)
        /// This row's term in column `c` of those read ahead, or nil when reading it is an error.
        func term(_ c: Int, _ resolve: (inout Loader, CSVTable.Row) -> Term?) -> UInt32? {
            let k = base + w.columns[c].column
            let word = resolved.word(r, c)
            if word != Loader.csvInOrder, !csvMemo.changed(cells, k, since: w.stamp) {
                if resolved.effect(r, c) {
                    var source = false
                    if case .source = w.columns[c].role { source = true }
                    noteCSVEffect(CSVEffect(sheet: Int32(w.index), cell: k, term: word, source: source))
                }
                return word
            }
            let bytes = cells.bytes(k)
            let hit = w.caches[c].lookup(bytes)
            if let hit, hit.stable || hit.stamp == csvMemo.stamp || !csvMemo.changed(cells, k, since: hit.stamp) {
                return hit.word == Loader.csvInOrder ? nil : hit.word
            }
            flushCSVEffects()
            let before = diagnostics
            var read = Loader.csvInOrder
            if let t = resolve(&self, csvSheets[index].table.row(r)), diagnostics.items.count == before.items.count, diagnostics.dropped == before.dropped {
                read = t.raw
            } else {
                diagnostics = before
            }
            var stable = false
            switch w.columns[c].role {
            case .source, .predicate: stable = true
            case .value: break
            }
            w.caches[c].store(bytes, read, stamp: csvMemo.stamp, stable: stable, replacing: hit?.index)
            return read == Loader.csvInOrder ? nil : read
        }
        // A stance is read as failing here: its rows take the full path, which reports it.
        let predicateWord = resolved.word(r, 0)
        guard let p = predicateWord != Loader.csvInOrder ? predicateWord : term(0, { loader, row in
                let sheet = loader.csvSheets[index]
                return loader.csvPredicate(row.cells[c.predicate], sheet, row, stance: false).flatMap { loader.store.isStance($0) ? nil : Term(raw: UInt32($0)) }
            }),
            resolved.word(r, 1) != Loader.csvBlank,
            let o = term(1, { loader, row in
                let sheet = loader.csvSheets[index]
                return loader.csvValue(row.cells[c.object], sheet, row, keyType: nil, text: sheet.columns[c.object].text, role: "object").map { loader.store.intern($0) }
            })
        else { return false }
        var source: EntityID? = nil
        if let s = c.source, resolved.word(r, 2) != Loader.csvBlank {
            guard let d = term(2, { loader, row in loader.csvSource(row.cells[s], loader.csvSheets[index], row).map { Term(entity: $0) } }) else { return false }
            source = EntityID(Term(raw: d).index)
        }
        // No source: the sheet itself, paragraph = row (a paragraph alone is an error).
        guard let (document, paragraph) = fastProvenance(r, source: source, cells, &w) else { return false }
        let qualifierStart = w.batch.keys.count
        w.rowKeys.removeAll(keepingCapacity: true)
        for (q, (k, key)) in w.qualifierColumns.enumerated() where resolved.word(r, w.firstQualifier + q) != Loader.csvBlank {
            guard let v = term(w.firstQualifier + q, { loader, row in
                let type = loader.store.keys[Int(key)].valueType
                let sheet = loader.csvSheets[index]
                return loader.csvValue(row.cells[k], sheet, row, keyType: type == .any ? nil : type, text: sheet.columns[k].text, role: sheet.columns[k].title)
                    .map { loader.store.intern($0) }
            }) else {
                w.batch.keys.count = qualifierStart
                w.batch.values.count = qualifierStart
                return false
            }
            w.batch.keys.append(key)
            w.batch.values.append(v)
            if w.keysMayRepeat { w.rowKeys.append(key) }
        }
        if w.keysMayRepeat, Set(w.rowKeys).count < w.rowKeys.count { store.noteRepeatedQualifierKeys() }
        w.batch.append(subject: w.subjects[r], predicate: p, object: o, line: CSVTable.number(ofRow: r), document: document, paragraph: paragraph, part: w.part)
        fastSheetRows += 1
        return true
    }

    /// A sheet's rows that the fast path takes, gathered in row order until they are
    /// written (before any row the full path adds, and at the end), their terms final.
    struct CSVRowBatch {
        var subject = Scratch<UInt32>(capacity: 1024)
        var predicate = Scratch<UInt32>(capacity: 1024)
        var object = Scratch<UInt32>(capacity: 1024)
        /// Where each row's qualifiers end, counted from the batch's first.
        var qualifierEnd = Scratch<UInt32>(capacity: 1024)
        var keys = Scratch<Int32>(capacity: 1024)
        var values = Scratch<UInt32>(capacity: 1024)
        var line = Scratch<Int32>(capacity: 1024)
        var document = Scratch<EntityID>(capacity: 1024)
        var paragraph = Scratch<Int32>(capacity: 1024)
        /// The part whose literals a row's pending words index (`ResolvedLines.pendingKind`).
        var part = Scratch<Int32>(capacity: 1024)

        /// How many rows ahead the literal table's slots are brought in when interning.
        static let ahead = 12

        /// Room for `rows` rows and as many qualifiers, before any growth.
        mutating func reserve(_ rows: Int) {
            subject.reserve(rows)
            predicate.reserve(rows)
            object.reserve(rows)
            qualifierEnd.reserve(rows)
            keys.reserve(rows)
            values.reserve(rows)
            line.reserve(rows)
            document.reserve(rows)
            paragraph.reserve(rows)
            part.reserve(rows)
        }

        @inline(__always)
        mutating func append(subject s: UInt32, predicate p: UInt32, object o: UInt32, line l: Int32, document d: EntityID, paragraph n: Int32, part k: Int) {
            part.append(Int32(k))
            subject.append(s)
            predicate.append(p)
            object.append(o)
            qualifierEnd.append(UInt32(keys.count))
            line.append(l)
            document.append(d)
            paragraph.append(n)
        }

        /// Adds the gathered rows to the store (their columns copied on every core) and
        /// empties the batch: first their literals interned, in row order, one access to
        /// the store for them all.
        mutating func write(into store: inout FactStore, file: Int32, parts: [CSVResolvedRows], _ bytes: UnsafeBufferPointer<UInt8>) {
            let n = subject.count
            guard n > 0 else { return }
            let pendingKind = ResolvedLines.pendingKind
            store.withTableAndLiterals { _, literals in
                // Room for every literal the batch may add, its paragraphs' too, at once:
                // growing as they came rehashed the table at each doubling.
                var pending = 0
                for i in 0..<n where object[i] >> 30 == pendingKind { pending += 1 }
                for q in 0..<keys.count where values[q] >> 30 == pendingKind { pending += 1 }
                literals.reserve(pending + n)
                // The parts' pending literals by pointer (taking a part retains it).
                let pendingLiterals = parts.map(\.literals.base)
                /// Starts bringing in the slot where pending word `w` of row `i` is looked up.
                func prefetch(_ w: UInt32, _ i: Int) {
                    if w >> 30 == pendingKind { literals.prefetch(pendingLiterals[Int(part[i])][Int(w & Term.indexMask)].key) }
                }
                var q = 0
                for i in 0..<n {
                    // The table outgrows the caches: each probe would wait on memory in turn.
                    let ahead = i + CSVRowBatch.ahead
                    if ahead < n {
                        prefetch(object[ahead], ahead)
                        for k in (ahead == 0 ? 0 : Int(qualifierEnd[ahead - 1]))..<Int(qualifierEnd[ahead]) { prefetch(values[k], ahead) }
                    }
                    let end = Int(qualifierEnd[i])
                    // (The part only for a word to intern: taking it retains it.)
                    while q < end {
                        if values[q] >> 30 == pendingKind { values.base[q] = Loader.csvTerm(values[q], parts[Int(part[i])], bytes, &literals) }
                        q += 1
                    }
                    if object[i] >> 30 == pendingKind { object.base[i] = Loader.csvTerm(object[i], parts[Int(part[i])], bytes, &literals) }
                }
            }
            let rows = Shared(self)
            store.internParagraphs(paragraph.buffer)
            store.appendAsserted(rows: n, qualifiers: keys.count, file: file, { slots in
                let parts = n < 1 << 13 ? 1 : Parallel.cores * 4
                Parallel.forEach(parts) { k in
                    let range = n * k / parts..<n * (k + 1) / parts
                    let b = rows.batch
                    for i in range {
                        slots.subject[i] = Term(raw: b.subject[i])
                        slots.predicate[i] = PredicateID(b.predicate[i])
                        slots.object[i] = Term(raw: b.object[i])
                        slots.qualifierEnd[i] = UInt32(slots.qualifierBase) + b.qualifierEnd[i]
                    }
                    let q = (range.isEmpty ? 0..<0 : Int(range.lowerBound == 0 ? 0 : b.qualifierEnd[range.lowerBound - 1])..<Int(b.qualifierEnd[range.upperBound - 1]))
                    for j in q {
                        slots.keys[j] = b.keys[j]
                        slots.values[j] = Term(raw: b.values[j])
                    }
                }
            }, provenance: { k in (rows.batch.line[k], rows.batch.document[k], rows.batch.paragraph[k]) })
            (subject.count, predicate.count, object.count, qualifierEnd.count) = (0, 0, 0, 0)
            (keys.count, values.count, line.count, document.count, paragraph.count, part.count) = (0, 0, 0, 0, 0, 0)
        }

        func free() {
            subject.free()
            predicate.free()
            object.free()
            qualifierEnd.free()
            keys.free()
            values.free()
            line.free()
            document.free()
            paragraph.free()
            part.free()
        }

        /// The batch as the writers read it (its storage is not changed while they run).
        private struct Shared: @unchecked Sendable {
            let batch: CSVRowBatch
            init(_ batch: CSVRowBatch) { self.batch = batch }
        }
    }
}
