/// A statements sheet's rows, fast: a sheet names the same entities, predicates, sources
/// and values row after row, so each column remembers what each distinct cell (by its
/// bytes) resolved to: a row whose cells were met before becomes a statement with no
/// String made, no name looked up and no value interned, and a cell met for the first
/// time is resolved once, in the order the full path resolves a row's cells (so entities
/// are made in the same order). A claim, or a row with anything that is an error, takes
/// the full path, `importStatementRow`, which resolves and reports exactly as it always
/// has. Both paths add a row's statement in row order, so the store is the same either
/// way (a test compares them).
extension Loader {
    /// What the distinct texts of one column resolved to.
    struct CSVCellMemo {
        var keys = ByteKeyTable(capacity: 64)
        var terms: [Term] = []

        func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Term? { keys.lookup(bytes).map { terms[Int($0)] } }

        mutating func remember(_ bytes: UnsafeBufferPointer<UInt8>, _ term: Term) {
            guard keys.lookup(bytes) == nil else { return }
            keys.insert(distinct: bytes, Int32(terms.count))
            terms.append(term)
        }
    }

    /// Makes the entities that subjects and speakers name and nothing names yet, in row
    /// order (so that an object naming one of them anywhere in the sheets is that entity,
    /// not text); each distinct cell is looked at once.
    mutating func makeSubjectsAndSpeakers(_ sheet: CSVSheet) {
        let table = sheet.table
        for k in [sheet.column("subject"), sheet.column("speaker")].compactMap({ $0 }) {
            var seen = ByteKeyTable(capacity: 64)
            table.source.bytes.withUnsafeBufferPointer { bytes in
                for r in 0..<table.rowCount {
                    let cell = r * table.columns + k
                    let escaped = table.cellForm[cell] == .escaped
                    let key = UnsafeBufferPointer(rebasing: bytes[table.content(cell)])
                    if !escaped, key.count > 0 {
                        guard seen.lookup(key) == nil else { continue }
                        seen.insert(distinct: key, 0)
                    }
                    let c = table.cell(cell)
                    let name = c.text.trimmingSpaces
                    guard !name.isEmpty, csvMemo.entities[name] == nil else { continue }
                    let named = store.nameIndex.candidates(name: name).isEmpty ? [] : store.entities(named: name)
                    // One entity: remembered, as `csvEntity` would; none: made; more: left for
                    // the row to report.
                    if named.count == 1 { csvMemo.entities[name] = named[0] }
                    if named.isEmpty { _ = csvEntity(name, c, sheet, table.row(r)) }
                }
            }
        }
    }

    mutating func importStatementRows(_ sheet: CSVSheet, _ c: StatementColumns) {
        let table = sheet.table
        let width = table.columns
        // Subject, object and qualifier columns by their index; predicates and sources apart
        // (a predicate's memo holds its id, a source's its document).
        var memo = [CSVCellMemo](repeating: CSVCellMemo(), count: width)
        var predicates = CSVCellMemo()
        var sources = CSVCellMemo()
        var paragraphCounts: [EntityID: Int?] = [:]
        let qualifierColumns = c.onStatement + c.onClaim
        var qualifiers: [(key: Int32, value: Term)] = []
        let useFastPath = fast.enabled
        var sheetDocument: EntityID? = nil
        table.source.bytes.withUnsafeBufferPointer { bytes in
            /// The bytes of cell `k` of the flat list, inside its quotes; nil when the cell
            /// holds a doubled quote (its text is not its bytes).
            func content(_ k: Int) -> UnsafeBufferPointer<UInt8>? {
                guard table.cellForm[k] != .escaped else { return nil }
                let r = table.content(k)
                return UnsafeBufferPointer(rebasing: bytes[r])
            }
            func isBlank(_ k: Int) -> Bool {
                let r = table.content(k)
                return bytes[r].allSatisfy { $0 == 0x20 || $0 == 0x09 }
            }
            /// A paragraph cell of plain digits (trimmed), as a number; nil for anything
            /// else (which the full path reads, or reports).
            func digits(_ k: Int) -> Int? {
                var n = 0
                var seen = 0
                for b in bytes[table.content(k)] where b != 0x20 && b != 0x09 {
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
                    /// Column `k`'s term for this row's cell: remembered, or resolved now
                    /// (making what a first mention makes) and remembered. Nil, with
                    /// nothing reported, when resolving it is an error: the full path
                    /// then reads the row and reports it where it always has.
                    func term(_ k: Int, _ m: inout CSVCellMemo, _ resolve: (CSVTable.Row) -> Term?) -> Term? {
                        guard let key = content(base + k), key.count > 0 else { return nil }
                        if let t = m.lookup(key) { return t }
                        let before = diagnostics
                        guard let t = resolve(row()), diagnostics.items.count == before.items.count, diagnostics.dropped == before.dropped else {
                            diagnostics = before
                            return nil
                        }
                        m.remember(key, t)
                        return t
                    }
                    guard let subject = term(c.subject, &memo[c.subject], { row in
                            csvValue(row.cells[c.subject], sheet, row, keyType: .entity, role: "subject").map { store.intern($0) }
                        }),
                        let predicate = term(c.predicate, &predicates, { row in
                            csvPredicate(row.cells[c.predicate], sheet, row, stance: false).map { Term(raw: UInt32($0)) }
                        }),
                        !store.isStance(PredicateID(predicate.raw)),
                        let object = term(c.object, &memo[c.object], { row in
                            csvValue(row.cells[c.object], sheet, row, keyType: nil, text: sheet.columns[c.object].text, role: "object")
                                .map { store.intern($0) }
                        })
                    else { break fast }
                    let document: EntityID
                    var paragraph: Int?
                    if let s = c.source, !isBlank(base + s) {
                        guard let d = term(s, &sources, { row in csvSource(row.cells[s], sheet, row).map { Term(entity: $0) } }) else { break fast }
                        document = EntityID(d.raw)
                        if let p = c.para, !isBlank(base + p) {
                            let count = paragraphCounts[document] ?? {
                                let n = store.entities.paragraphs(Int(document))
                                paragraphCounts[document] = n
                                return n
                            }()
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
                    qualifiers.removeAll(keepingCapacity: true)
                    for (k, key) in qualifierColumns where !isBlank(base + k) {
                        let type = store.keys[Int(key)].valueType
                        guard let v = term(k, &memo[k], { row in
                            csvValue(row.cells[k], sheet, row, keyType: type == .any ? nil : type, text: sheet.columns[k].text, role: sheet.columns[k].title)
                                .map { store.intern($0) }
                        }) else { break fast }
                        qualifiers.append((key, v))
                    }
                    store.appendAsserted(
                        subject: subject, predicate: PredicateID(predicate.raw), object: object, qualifiers: qualifiers,
                        file: sheet.path, line: line, document: document, paragraph: paragraph)
                    fastSheetRows += 1
                    continue rows
                }
                _ = importStatementRow(row(), c, sheet)
            }
        }
    }
}
