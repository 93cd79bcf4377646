/// A statements sheet's rows, fast: a sheet names the same entities, predicates, sources
/// and values row after row, so each column's distinct cells are read once, ahead and on
/// every core (`readAhead`), and a row whose cells were read becomes a statement with no
/// String made, no name looked up and no value interned. A cell met for the first time
/// takes its guess, or is read in order as the full path reads it (so entities are made in
/// the same order). A claim, or a row with anything that is an error, takes the full path,
/// `importStatementRow`, which resolves and reports exactly as it always has. Both paths add
/// a row's statement in row order, so the store is the same either way (a test compares
/// them).
extension Loader {
    /// Makes the entities that subjects and speakers name and nothing names yet, in row
    /// order (so that an object naming one of them anywhere in the sheets is that entity,
    /// not text); each distinct cell is looked at once. Returns the subject column read
    /// ahead, its terms known.
    mutating func makeSubjectsAndSpeakers(_ index: Int, _ numbered: [Int: CSVDistinct]) -> CSVCellColumn {
        let sheet = csvSheets[index]
        let table = sheet.table
        var subjects: CSVCellColumn? = nil
        for k in [sheet.column("subject"), sheet.column("speaker")].compactMap({ $0 }) {
            var column = readAhead(index, numbered[k]!, .value(keyType: .entity, text: false))
            for r in 0..<table.rowCount {
                let g = Int(column.distinct.ids[r])
                if g >= 0 {
                    guard column.terms[g] == CSVCellColumn.unmet else { continue }
                    if let t = take(&column, g, sheet: index, table) {
                        column.terms[g] = t
                        continue
                    }
                    // Unless found or made below, its rows take the full path, which reports it.
                    column.terms[g] = CSVCellColumn.failed
                }
                flushCSVPending()
                let c = table.cell(r * table.columns + k)
                let name = c.text.trimmingSpaces
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
                    if named.isEmpty { found = csvEntity(name, c, sheet, table.row(r)) }
                }
                if g >= 0, let found { column.terms[g] = UInt32(found) }
            }
            if k == sheet.column("subject") { subjects = column }
        }
        return subjects!
    }

    /// The columns of a statements sheet that are read ahead: all but para, which is read
    /// row by row.
    static func numberedColumns(_ sheet: CSVSheet) -> [Int] {
        sheet.columns.indices.filter { sheet.columns[$0].name != "para" && sheet.columns[$0].name != "stance" }
    }

    mutating func importStatementRows(_ index: Int, _ c: StatementColumns, subjects: CSVCellColumn, _ numbered: [Int: CSVDistinct]) {
        let sheet = csvSheets[index]
        let table = sheet.table
        let width = table.columns
        var subjects = subjects
        let aheadStart = Clock.nanoseconds()
        var predicates = readAhead(index, numbered[c.predicate]!, .inOrder)
        var objects = readAhead(index, numbered[c.object]!, .value(keyType: nil, text: sheet.columns[c.object].text))
        var sources = c.source.map { readAhead(index, numbered[$0]!, .source) }
        let qualifierColumns = c.onStatement + c.onClaim
        let qualifierTypes = qualifierColumns.map { store.keys[Int($0.key)].valueType }
        var qualifierCells = qualifierColumns.map { k, key in
            let type = store.keys[Int(key)].valueType
            return readAhead(index, numbered[k]!, .value(keyType: type == .any ? nil : type, text: sheet.columns[k].text))
        }
        phases.add("sheets, statements, read ahead", since: aheadStart)
        // The last document's paragraph count.
        var paragraphCount: (document: EntityID, count: Int?)? = nil
        // Fast rows gathered in row order, written at once: before any row the full path
        // adds, and at the end.
        var pending = CSVFastRows(capacity: table.rowCount)
        defer { pending.free() }
        let writer = CSVRowWriter(
            subject: subjects, predicate: predicates, object: objects,
            qualifiers: zip(qualifierColumns, qualifierCells).map { ($0.key, $1) }, file: store.fileID(sheet.path))
        // A row has two qualifiers of one key only when two columns name the same key.
        let keysMayRepeat = Set(qualifierColumns.map(\.key)).count < qualifierColumns.count
        var rowKeys: [Int32] = []
        let useFastPath = fast.enabled
        var sheetDocument: EntityID? = nil
        func writeFastRows() {
            let start = Clock.nanoseconds()
            writer.write(&pending, table, into: &store)
            phases.add("sheets, statements, rows written", since: start)
        }
        let (walkStart, walkCPU) = (Clock.nanoseconds(), Clock.threadNanoseconds())
        defer {
            phases.add("sheets, statements, rows in order", since: walkStart)
            phases.add("sheets, statements, rows in order (its thread's CPU)", seconds: Double(Clock.threadNanoseconds() - walkCPU) / 1e9)
        }
        table.withCells { cells in
            func isBlank(_ k: Int) -> Bool { cells.isBlank(k) }
            /// A paragraph cell of plain digits (trimmed), as a number; nil for anything
            /// else (which the full path reads, or reports).
            func digits(_ k: Int) -> Int? {
                var n = 0
                var seen = 0
                for b in cells.bytes(k) where b != 0x20 && b != 0x09 {
                    guard (0x30...0x39).contains(b), seen < 9 else { return nil }
                    n = n * 10 + Int(b - 0x30)
                    seen += 1
                }
                return seen > 0 ? n : nil
            }

            rows: for r in 0..<table.rowCount {
                let base = r * width
                let line = Int(table.rowNumber[r])
                let claimed = c.speaker.map { !isBlank(base + $0) } == true || c.stance.map { !isBlank(base + $0) } == true
                var made: CSVTable.Row? = nil
                func row() -> CSVTable.Row {
                    if made == nil { made = table.row(r) }
                    return made!
                }
                fast: if useFastPath && !claimed {
                    /// This row's term in a column read ahead: known, its guess taken, or
                    /// read now as the full path reads it (making what a first mention
                    /// makes). Nil, with nothing reported, when reading it is an error (the
                    /// full path then reads the row and reports it where it always has), or
                    /// when the cell is empty or holds a doubled quote.
                    func term(_ column: inout CSVCellColumn, _ resolve: (CSVTable.Row) -> Term?) -> Term? {
                        let g = Int(column.distinct.ids[r])
                        guard g >= 0 else { return nil }
                        let known = column.terms[g]
                        if known == CSVCellColumn.failed { return nil }
                        if known != CSVCellColumn.unmet { return Term(raw: known) }
                        if let t = take(&column, g, sheet: index, table) {
                            column.terms[g] = t
                            return Term(raw: t)
                        }
                        if column.readsMemos { flushCSVPending() }
                        let before = diagnostics
                        guard let t = resolve(row()), diagnostics.items.count == before.items.count, diagnostics.dropped == before.dropped else {
                            diagnostics = before
                            column.terms[g] = CSVCellColumn.failed
                            return nil
                        }
                        column.terms[g] = t.raw
                        return t
                    }
                    /// Whether this row's cell in a column read ahead has a term (`term`),
                    /// with nothing read per number for the numbers below the column's mark.
                    func termed(_ column: inout CSVCellColumn, _ resolve: (CSVTable.Row) -> Term?) -> Bool {
                        let g = Int(column.distinct.ids[r])
                        if g >= 0 && g < column.termedBelow { return true }
                        guard term(&column, resolve) != nil else { return false }
                        column.noteTermed(g)
                        return true
                    }
                    guard termed(&subjects, { row in
                            csvValue(row.cells[c.subject], sheet, row, keyType: .entity, role: "subject").map { store.intern($0) }
                        }),
                        // A stance is read as failing here: its rows take the full path, which
                        // reports it.
                        termed(&predicates, { row in
                            csvPredicate(row.cells[c.predicate], sheet, row, stance: false).flatMap { store.isStance($0) ? nil : Term(raw: UInt32($0)) }
                        }),
                        termed(&objects, { row in
                            csvValue(row.cells[c.object], sheet, row, keyType: nil, text: sheet.columns[c.object].text, role: "object")
                                .map { store.intern($0) }
                        })
                    else { break fast }
                    let document: EntityID
                    var paragraph: Int?
                    if let s = c.source, !isBlank(base + s) {
                        guard let d = term(&sources!, { row in csvSource(row.cells[s], sheet, row).map { Term(entity: $0) } }) else { break fast }
                        document = EntityID(d.raw)
                        if let p = c.para, !isBlank(base + p) {
                            if paragraphCount?.document != document { paragraphCount = (document, store.entities.paragraphs(Int(document))) }
                            let count = paragraphCount!.count
                            guard let n = digits(base + p), n >= 1, n <= count ?? Int.max else { break fast }
                            paragraph = n
                        }
                    } else {
                        // No source: the sheet itself, paragraph = row (a paragraph alone is an error).
                        guard c.para.map({ isBlank(base + $0) }) ?? true else { break fast }
                        if sheetDocument == nil { sheetDocument = self.sheetDocument(sheet) }
                        document = sheetDocument!
                        paragraph = line
                    }
                    // The writer takes a qualifier cell whose term is known (`CSVRowWriter`):
                    // a blank one is never read, so its number's term stays unmet.
                    var qualifierCount = 0
                    rowKeys.removeAll(keepingCapacity: true)
                    for (q, (k, key)) in qualifierColumns.enumerated() where !isBlank(base + k) {
                        let type = qualifierTypes[q]
                        guard termed(&qualifierCells[q], { row in
                            csvValue(row.cells[k], sheet, row, keyType: type == .any ? nil : type, text: sheet.columns[k].text, role: sheet.columns[k].title)
                                .map { store.intern($0) }
                        }) else { break fast }
                        qualifierCount += 1
                        if keysMayRepeat { rowKeys.append(key) }
                    }
                    if keysMayRepeat, Set(rowKeys).count < rowKeys.count { store.noteRepeatedQualifierKeys() }
                    // Its paragraph's number is interned with the rows written (`CSVRowWriter`).
                    let para = paragraph.map { Int32($0) } ?? StatementTable.noParagraph
                    pending.append(row: r, document: document, paragraph: para, qualifiers: qualifierCount)
                    fastSheetRows += 1
                    continue rows
                }
                // The rows before it first: statements are added in row order.
                writeFastRows()
                flushCSVPending()
                _ = importStatementRow(row(), c, sheet)
            }
        }
        writeFastRows()
    }

    /// A sheet's rows that the fast path takes, gathered in row order until they are
    /// written: each row's number, its provenance, and where its qualifiers end (counted
    /// from the first gathered row's). In memory of its own, room for every row of the
    /// sheet made once (appending to four Arrays checked each one's uniqueness and room at
    /// every row); freed by `free()`, after the last write.
    struct CSVFastRows: @unchecked Sendable {
        let rows: UnsafeMutablePointer<Int32>
        let document: UnsafeMutablePointer<EntityID>
        let paragraph: UnsafeMutablePointer<Int32>
        let qualifierEnd: UnsafeMutablePointer<UInt32>
        private(set) var count = 0

        init(capacity: Int) {
            let n = max(capacity, 1)
            (rows, document, paragraph, qualifierEnd) = (.allocate(capacity: n), .allocate(capacity: n), .allocate(capacity: n), .allocate(capacity: n))
        }

        func free() {
            rows.deallocate()
            document.deallocate()
            paragraph.deallocate()
            qualifierEnd.deallocate()
        }

        @inline(__always)
        mutating func append(row: Int, document d: EntityID, paragraph p: Int32, qualifiers: Int) {
            rows[count] = Int32(row)
            document[count] = d
            paragraph[count] = p
            qualifierEnd[count] = (count == 0 ? 0 : qualifierEnd[count - 1]) + UInt32(qualifiers)
            count += 1
        }

        mutating func removeAll() { count = 0 }
    }

    /// Writes gathered fast rows into the store, on every core: by the time a row was
    /// gathered, the term of each of its cells was known (`CSVTermSlots`, which only ever
    /// go from unmet to a term), so a writer reads each row's terms from its cells'
    /// numbers with nothing to resolve, and the statements are those of adding the rows
    /// one by one.
    struct CSVRowWriter: @unchecked Sendable {
        struct Cells {
            let ids: [Int32]
            let terms: CSVTermSlots

            init(_ column: CSVCellColumn) { (ids, terms) = (column.distinct.ids, column.terms) }

            @inline(__always) func term(_ r: Int) -> UInt32 { terms[Int(ids[r])] }

            /// Row r's term when its cell was read: not blank, and no error.
            @inline(__always) func known(_ r: Int) -> UInt32? {
                let g = Int(ids[r])
                guard g >= 0 else { return nil }
                let t = terms[g]
                return t < CSVCellColumn.failed ? t : nil
            }
        }

        let subject: Cells, predicate: Cells, object: Cells
        let qualifiers: [(key: Int32, cells: Cells)]
        let file: Int32

        init(subject: CSVCellColumn, predicate: CSVCellColumn, object: CSVCellColumn, qualifiers: [(Int32, CSVCellColumn)], file: Int32) {
            (self.subject, self.predicate, self.object) = (Cells(subject), Cells(predicate), Cells(object))
            self.qualifiers = qualifiers.map { ($0.0, Cells($0.1)) }
            self.file = file
        }

        /// Below this many rows, one worker: threads would cost more than they give.
        static let parallelRows = 1 << 13

        func write(_ pending: inout CSVFastRows, _ table: borrowing CSVTable, into store: inout FactStore) {
            let n = pending.count
            guard n > 0 else { return }
            let gathered = pending
            store.internParagraphs(UnsafeBufferPointer(start: gathered.paragraph, count: n))
            store.appendAsserted(rows: n, qualifiers: Int(gathered.qualifierEnd[n - 1]), file: file, { slots in
                let parts = n < CSVRowWriter.parallelRows ? 1 : Parallel.cores * 4
                Parallel.forEach(parts) { part in
                    self.write(gathered, n * part / parts..<n * (part + 1) / parts, slots)
                }
            }, provenance: { k in (table.rowNumber[Int(gathered.rows[k])], gathered.document[k], gathered.paragraph[k]) })
            pending.removeAll()
        }

        private func write(_ rows: CSVFastRows, _ range: Range<Int>, _ slots: FactStore.AssertedSlots) {
            var at = range.lowerBound == 0 ? 0 : Int(rows.qualifierEnd[range.lowerBound - 1])
            for k in range {
                let r = Int(rows.rows[k])
                slots.subject[k] = Term(raw: subject.term(r))
                slots.predicate[k] = PredicateID(predicate.term(r))
                slots.object[k] = Term(raw: object.term(r))
                for (key, cells) in qualifiers {
                    guard let t = cells.known(r) else { continue }
                    slots.keys[at] = key
                    slots.values[at] = Term(raw: t)
                    at += 1
                }
                slots.qualifierEnd[k] = UInt32(slots.qualifierBase + at)
            }
        }
    }
}
