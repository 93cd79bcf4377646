/// Spreadsheets in (README: "Your own case"). A sheet is read in pass 1; in pass 2, after the
/// text's declarations and any RDF, the entity sheets are imported, then the statement
/// sheets, so a statement can name an entity by the id, label or alias another sheet (or a
/// `.kb` file) gives it. No schema is needed: types, predicates, stances and qualifier keys
/// are declared on first use, and an entity on its first mention.
extension Loader {
    struct CSVColumn {
        /// As the header writes it, trimmed (a qualifier key's name comes from it).
        var title: String
        /// Lower-cased: how the known columns are recognised.
        var name: String
        /// `NAME:string`: every cell is text, however it looks.
        var text: Bool
        var cell: CSVTable.Cell
    }

    /// What an import has resolved already, by the text that named it (a sheet names the
    /// same entities and predicates row after row).
    struct CSVMemo {
        var entities: [String: EntityID] = [:]
        var predicates: [String: (id: PredicateID, stance: Bool)] = [:]
        var documents: [String: EntityID] = [:]
        var sources: [String: EntityID] = [:]
        /// Cells read as text: no entity had that name, and it is not written as one.
        var texts: Set<String> = []
        var types: [String: Int32] = [:]
        /// Names whose reading may have changed since a sheet's cells were read ahead
        /// (`CSVRowResolver`), with when (`stamp`): every name of an entity made by the
        /// import, and a remembered entity's name that reads as a literal when nothing is
        /// remembered for it (`2020`, a subject's name, is an entity in any column after).
        /// A cell read before a name changed is read again. Kept by the name as the name
        /// index compares names (`FactStore.normalize`).
        var changed: [String: Int] = [:]
        /// The same by the names' `NameIndex.normalizedHash`, the latest stamp of any name
        /// of that hash: a cell's bytes are looked up with no String made (names that
        /// share a hash read as changed together, which only costs an in-order reading).
        var changedHashes: [UInt32: Int] = [:]
        /// A bit per hash of the names changed since `recentFrom` (the last snapshot of a
        /// sheet's cells): most cells name none of them, told with no lookup.
        var recentBits = [UInt64](repeating: 0, count: 1 << 10)
        var recentFrom = 0
        var stamp = 0

        mutating func noteChanged(_ name: String) {
            stamp += 1
            changed[FactStore.normalize(name)] = stamp
            let h = NameIndex.normalizedHash(name)
            changedHashes[h] = stamp
            let bit = Int(h) & (recentBits.count * 64 - 1)
            recentBits[bit >> 6] |= 1 << UInt64(bit & 63)
        }

        /// Starts a new `recentBits` (a snapshot is taken: older changes are in it).
        mutating func clearRecent() {
            if recentFrom != stamp { recentBits = [UInt64](repeating: 0, count: recentBits.count) }
            recentFrom = stamp
        }

        /// Whether what `name` reads as may have changed after `stamp`.
        func changed(_ name: String, since stamp: Int) -> Bool {
            !changed.isEmpty && changed[FactStore.normalize(name)].map { $0 > stamp } == true
        }

        /// Whether what sheet cell `k` reads as may have changed after `stamp`: nothing to
        /// look at while no name has changed since (the common case, told inline).
        @inline(__always)
        func changed(_ cells: CSVCells, _ k: Int, since stamp: Int) -> Bool {
            guard self.stamp != stamp else { return false }
            return changedCell(cells, k, since: stamp)
        }

        private func changedCell(_ cells: CSVCells, _ k: Int, since stamp: Int) -> Bool {
            if let t = cells.trimmed(k) { return changed(bytes: t, since: stamp) }
            return changed(CSVTable.unescaped(cells.bytes(k)).trimmingSpaces, since: stamp)
        }

        /// `changed(_:since:)` of a cell's trimmed bytes.
        func changed(bytes: UnsafeBufferPointer<UInt8>, since stamp: Int) -> Bool {
            guard !changed.isEmpty else { return false }
            if let h = NameIndex.normalizedHash(ascii: bytes) {
                let bit = Int(h) & (recentBits.count * 64 - 1)
                if stamp >= recentFrom, recentBits[bit >> 6] & 1 << UInt64(bit & 63) == 0 { return false }
                return changedHashes[h].map { $0 > stamp } == true
            }
            return changed(String(decoding: bytes, as: UTF8.self), since: stamp)
        }
    }

    /// Remembers the entity a name resolved to, as `csvValue` reads names.
    mutating func rememberEntity(_ name: String, _ e: EntityID) {
        if csvMemo.entities.updateValue(e, forKey: name) == nil, Loader.readsAsLiteral(name) { csvMemo.noteChanged(name) }
    }

    /// Adds an entity the import makes, its names noted as changed.
    mutating func addCSVEntity(_ entity: Entity) -> EntityID {
        csvMemo.noteChanged(entity.id)
        csvMemo.noteChanged(entity.label)
        return store.addEntity(entity)
    }

    /// Whether a (trimmed) cell of no type reads as a literal before any entity is looked for.
    static func readsAsLiteral(_ s: String) -> Bool {
        s == "unknown" || s == "none" || (Int(s) != nil && !s.hasPrefix("+")) || isDecimal(s) || (s.contains("-") && DateValue(parsing: s) != nil)
    }

    struct CSVSheet {
        enum Kind { case entities, statements }
        var path: String
        var table: CSVTable
        var kind: Kind
        var columns: [CSVColumn]

        func column(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
    }

    static let entityColumns: Set<String> = ["id", "type", "label", "aliases", "description", "paragraphs", "iri"]
    /// A statement sheet's columns that are not qualifier keys of their own.
    static let statementColumns: Set<String> = ["subject", "predicate", "object", "source", "para", "speaker", "stance"]

    mutating func parseCSV(_ path: String, _ source: SourceText) {
        do throws(Diagnostic) {
            let table = try CSVTable.read(source)
            var columns: [CSVColumn] = []
            for cell in table.header {
                let parts = cell.text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let title = String(parts[0]).trimmingSpaces
                var text = false
                if parts.count == 2 {
                    guard String(parts[1]).trimmingSpaces.lowercased() == "string" else {
                        throw error("unknown column type ':\(parts[1])' (':string' makes every cell of a column text)", source, cell.range)
                    }
                    text = true
                }
                guard !title.isEmpty else { throw error("a column with no name in the header", source, cell.range) }
                let name = title.lowercased()
                if let same = columns.first(where: { $0.name == name }) {
                    throw error("column '\(title)' is named twice (first at column \(source.lineAndColumn(of: same.cell.range.lowerBound).column))", source, cell.range)
                }
                columns.append(CSVColumn(title: title, name: name, text: text, cell: cell))
            }
            let names = Set(columns.map(\.name))
            let headerRange = table.header.first!.range.lowerBound..<table.header.last!.range.upperBound
            let kind: CSVSheet.Kind
            if names.isSuperset(of: ["subject", "predicate", "object"]) {
                kind = .statements
                if names.contains("speaker") != names.contains("stance") {
                    throw error("a claim needs both a 'speaker' and a 'stance' column", source, headerRange)
                }
            } else if names.contains("id") {
                kind = .entities
                if let other = columns.first(where: { !Loader.entityColumns.contains($0.name) }) {
                    throw error("an entities sheet has the columns id, type, label, aliases, description, paragraphs and iri: '\(other.title)' is none of them", source, other.cell.range)
                }
            } else {
                throw error("a sheet's first row names its columns: subject, predicate and object for statements, or id for entities (README: \"Your own case\")", source, headerRange)
            }
            csvSheets.append(CSVSheet(path: path, table: table, kind: kind, columns: columns))
        } catch {
            report(error)
        }
    }

    mutating func importCSV() {
        guard !csvSheets.isEmpty else { return }
        for sheet in csvSheets where sheet.kind == .entities { importEntities(sheet) }
        phases.end("sheets, entities")
        // A case that declares no stances gets the standard ones when a sheet records
        // claims (a sheet without a stance column keeps every predicate name its own).
        if store.predicateID("says") == nil, let path = csvSheets.first(where: { $0.column("stance") != nil })?.path {
            declareStandardStances(path)
        }
        // Every sheet's subjects and speakers first: an object names them in any sheet.
        let statementSheets = csvSheets.indices.filter { csvSheets[$0].kind == .statements }
        let subjects = statementSheets.map { makeSubjectsAndSpeakers($0) }
        phases.end("sheets, subjects and speakers")
        for (k, index) in statementSheets.enumerated() { importStatements(index, subjects: subjects[k]) }
        store.recomputeClosures()
        phases.end("sheets, statements")
    }

    // MARK: statements

    /// The columns a statement sheet gives a statement, found once.
    struct StatementColumns {
        var subject: Int, predicate: Int, object: Int
        var source: Int?, para: Int?, speaker: Int?, stance: Int?
        /// Qualifier columns: on the claim (date, quote: when and how it was said), or on
        /// what is claimed or asserted (every other).
        var onClaim: [(column: Int, key: Int32)] = []
        var onStatement: [(column: Int, key: Int32)] = []
    }

    mutating func importStatements(_ index: Int, subjects: [UInt32]) {
        let sheet = csvSheets[index]
        var c = StatementColumns(
            subject: sheet.column("subject")!, predicate: sheet.column("predicate")!, object: sheet.column("object")!,
            source: sheet.column("source"), para: sheet.column("para"), speaker: sheet.column("speaker"), stance: sheet.column("stance"))
        for (k, column) in sheet.columns.enumerated() where !Loader.statementColumns.contains(column.name) {
            let keyName = Loader.csvName(column.title)
            let key = store.keyID(keyName) ?? store.addKey(KeyInfo(name: keyName, valueType: column.text ? .string : .any))
            if column.name == "date" || column.name == "quote" { c.onClaim.append((k, key)) } else { c.onStatement.append((k, key)) }
        }
        importStatementRows(index, c, subjects: subjects)
    }

    /// One row of a statements sheet, read cell by cell as the README says: a fact, or a
    /// claim with its proposition. False when it had errors (and added nothing).
    mutating func importStatementRow(_ row: CSVTable.Row, _ c: StatementColumns, _ sheet: CSVSheet) -> Bool {
        let (sourceKey, paraKey) = (StatementTable.sourceKey, StatementTable.paraKey)
        let speakerText = c.speaker.map { row.cells[$0].text.trimmingSpaces } ?? ""
        let stanceText = c.stance.map { row.cells[$0].text.trimmingSpaces } ?? ""
        let claimed = !speakerText.isEmpty || !stanceText.isEmpty
        if claimed, speakerText.isEmpty || stanceText.isEmpty {
            let empty = speakerText.isEmpty ? c.speaker! : c.stance!
            report(error("row \(row.number) has a \(speakerText.isEmpty ? "stance but no speaker" : "speaker but no stance"): a claim needs both", sheet.table.source, row.cells[empty].range))
            return false
        }
        let before = diagnostics.errorCount
        guard let subject = csvValue(row.cells[c.subject], sheet, row, keyType: .entity, role: "subject"),
            let predicate = csvPredicate(row.cells[c.predicate], sheet, row, stance: false),
            let object = csvValue(row.cells[c.object], sheet, row, keyType: nil, text: sheet.columns[c.object].text, role: "object"),
            let (document, paragraph) = csvProvenance(row, c, sheet)
        else { return false }
        // What is asserted or claimed, with its own qualifiers; when and how it was said
        // (date, quote) go on the claim, or on the fact when no one is quoted.
        var fact = Statement(
            subject: subject, predicate: predicate, object: object, qualifiers: [], asserted: !claimed, name: nil,
            location: Location(file: sheet.path, line: row.number), document: nil, paragraph: nil)
        for (k, key) in c.onStatement { qualify(&fact, row, k, key, sheet) }
        var asserted = fact
        if claimed {
            guard let speaker = csvValue(row.cells[c.speaker!], sheet, row, keyType: .entity, role: "speaker"),
                let stance = csvPredicate(row.cells[c.stance!], sheet, row, stance: true)
            else { return false }
            asserted = Statement(
                subject: speaker, predicate: stance, object: .proposition(0), qualifiers: [], asserted: true, name: nil,
                location: fact.location, document: nil, paragraph: nil)
        } else if store.predicates[Int(predicate)].isStance {
            report(error("'\(store.predicateName(predicate))' is a stance: what it says is a claim, written with the speaker and stance columns", sheet.table.source, row.cells[c.predicate].range))
            return false
        }
        for (k, key) in c.onClaim { qualify(&asserted, row, k, key, sheet) }
        guard diagnostics.errorCount == before else { return false }
        if claimed { asserted.object = .proposition(store.addStatement(fact)) }
        asserted.document = document
        asserted.paragraph = paragraph
        asserted.qualifiers.append((sourceKey, .entity(document)))
        if let paragraph { asserted.qualifiers.append((paraKey, .integer(paragraph))) }
        _ = store.addStatement(asserted)
        return true
    }

    /// The source and paragraph of a row: its `source` and `para` cells, or the sheet
    /// itself (a Document made for it) and the row's number.
    mutating func csvProvenance(_ row: CSVTable.Row, _ c: StatementColumns, _ sheet: CSVSheet) -> (EntityID, Int?)? {
        let sourceText = c.source.map { row.cells[$0].text.trimmingSpaces } ?? ""
        let paraText = c.para.map { row.cells[$0].text.trimmingSpaces } ?? ""
        guard !sourceText.isEmpty else {
            if !paraText.isEmpty {
                report(error("a paragraph with no source", sheet.table.source, row.cells[c.para!].range))
                return nil
            }
            return (sheetDocument(sheet), row.number)
        }
        guard let document = csvSource(row.cells[c.source!], sheet, row) else { return nil }
        // As in .kb text, a source may be given without its paragraph.
        guard !paraText.isEmpty else { return (document, nil) }
        guard let p = Int(paraText), p >= 1 else {
            report(error("para is a whole number of at least 1", sheet.table.source, row.cells[c.para!].range))
            return nil
        }
        if let count = store.entities.paragraphs(Int(document)), p > count {
            report(error("paragraph \(p) of '\(store.entity(document).id)', which has \(count)", sheet.table.source, row.cells[c.para!].range))
            return nil
        }
        return (document, p)
    }

    /// The Document a (non-blank) source cell names, remembered by its text.
    mutating func csvSource(_ cell: CSVTable.Cell, _ sheet: CSVSheet, _ row: CSVTable.Row) -> EntityID? {
        let sourceText = cell.text.trimmingSpaces
        if let known = csvMemo.sources[sourceText] { return known }
        guard let found = csvDocument(sourceText, cell, sheet, row) else { return nil }
        csvMemo.sources[sourceText] = found
        return found
    }

    /// The Document a source cell names when the knowledge base and the memos decide it as
    /// `csvSource` would, with no change to either (nil: an error, or a Document to make).
    /// Read-only, as `csvReading`.
    static func csvSourceReading(_ s: String, _ store: FactStore, _ memo: CSVMemo) -> (EntityID, remembered: Bool)? {
        if let known = memo.sources[s] { return (known, true) }
        let named = store.entities(named: s)
        guard named.count == 1, let document = store.typeID("Document") else { return nil }
        let isDocument = store.entity(named[0]).types.contains { store.typeClosure[Int(document)].contains($0) }
        return isDocument ? (named[0], false) : nil
    }

    /// The Document a source cell names, made (type Document) when nothing has that name.
    mutating func csvDocument(_ sourceText: String, _ cell: CSVTable.Cell, _ sheet: CSVSheet, _ row: CSVTable.Row) -> EntityID? {
        let named = store.entities(named: sourceText)
        switch named.count {
        case 0:
            return addCSVEntity(Entity(
                id: uniqueEntityID(Loader.csvName(sourceText)), types: [documentType()], label: Loader.labelFor(sourceText),
                aliases: [], description: nil, paragraphs: nil, declaredAt: Location(file: sheet.path, line: row.number)))
        case 1:
            let isDocument = store.entity(named[0]).types.contains { store.typeClosure[Int(documentType())].contains($0) }
            guard isDocument else {
                report(error("source '\(store.entity(named[0]).id)' is not a Document", sheet.table.source, cell.range))
                return nil
            }
            return named[0]
        default:
            report(ambiguity(sourceText, cell, sheet))
            return nil
        }
    }

    mutating func qualify(_ s: inout Statement, _ row: CSVTable.Row, _ k: Int, _ key: Int32, _ sheet: CSVSheet) {
        let cell = row.cells[k]
        guard !cell.text.trimmingSpaces.isEmpty else { return }
        let type = store.keys[Int(key)].valueType
        guard let v = csvValue(cell, sheet, row, keyType: type == .any ? nil : type, text: sheet.columns[k].text, role: sheet.columns[k].title) else { return }
        s.qualifiers.append((key, v))
    }

    /// A cell's value. With a key type, the cell must be of that type; without, it is read
    /// as the README says: `unknown`, `none`, an integer, a decimal, an ISO date (year-month
    /// or day; a year alone is an integer, which compares as a date), the entity it names
    /// (by id, label or alias), a new entity when it is written as a name (letters, digits,
    /// `_`), and text otherwise. `text`: the column is `:string`.
    mutating func csvValue(_ cell: CSVTable.Cell, _ sheet: CSVSheet, _ row: CSVTable.Row, keyType: ValueType?, text: Bool = false, role: String) -> Value? {
        let s = cell.text.trimmingSpaces
        switch Loader.csvReading(cell.text, trimmed: s, keyType: keyType, text: text, store, csvMemo) {
        case .value(let v): return v
        case .foundEntity(let e):
            rememberEntity(s, e)
            return .entity(e)
        case .text:
            csvMemo.texts.insert(s)
            return .string(cell.text)
        case .inOrder:
            break
        }
        func fail(_ what: String) -> Value? {
            report(error("the \(role) of row \(row.number) \(what)", sheet.table.source, cell.range))
            return nil
        }
        guard !s.isEmpty else { return fail("is empty") }
        switch keyType {
        case .date?: return fail("is not a date (2020, 2020-06 or 2020-06-14)")
        case .integer?: return fail("is not a whole number")
        case .decimal?: return fail("is not a number")
        default:
            // Named by several entities (reported), or by none and written as a name (made).
            return csvEntity(s, cell, sheet, row).map { .entity($0) }
        }
    }

    /// What `csvValue` reads a cell as, when the knowledge base and the memos decide it
    /// without a change to either: its value; an entity found by name (which the import
    /// remembers); text (remembered as such); or `inOrder`, an error to report or an
    /// entity to make, which only `csvValue` itself does. Read-only: the workers that read
    /// a sheet's cells ahead call it on every core.
    enum CSVReading {
        case value(Value)
        case foundEntity(EntityID)
        case text
        case inOrder
    }

    static func csvReading(_ text: String, trimmed s: String, keyType: ValueType?, text isText: Bool, _ store: FactStore, _ memo: CSVMemo) -> CSVReading {
        if isText || keyType == .string { return .value(.string(text)) }
        guard !s.isEmpty else { return .inOrder }
        switch keyType {
        case .date?:
            if let d = DateValue(parsing: s) { return .value(.date(d)) }
            if s.count == 4, let y = Int(s) { return .value(.date(DateValue(year: y))) }
            return .inOrder
        case .integer?:
            return Int(s).map { .value(.integer($0)) } ?? .inOrder
        case .decimal?:
            return Loader.isDecimal(s) || Int(s) != nil ? .value(.decimal(s)) : .inOrder
        case .entity?:
            if let known = memo.entities[s] { return .value(.entity(known)) }
            let named = store.entities(named: s)
            return named.count == 1 ? .foundEntity(named[0]) : .inOrder
        default:
            break
        }
        if let known = memo.entities[s] { return .value(.entity(known)) }
        if memo.texts.contains(s) { return .value(.string(text)) }
        if s == "unknown" { return .value(.unknown) }
        if s == "none" { return .value(Value.none) }
        if let i = Int(s), !s.hasPrefix("+") { return .value(.integer(i)) }
        if Loader.isDecimal(s) { return .value(.decimal(s)) }
        if s.contains("-"), let d = DateValue(parsing: s) { return .value(.date(d)) }
        // Most text names nothing: the name index's hash says so without a lookup.
        let named = store.nameIndex.candidates(name: s).isEmpty ? [] : store.entities(named: s)
        if named.count == 1 { return .value(.entity(named[0])) }
        if named.count > 1 || Loader.isName(s) { return .inOrder }
        return .text
    }

    /// Digits, one '.', digits, after an optional '-' (and '+' with `plus`): a decimal as
    /// `.kb` text and Turtle write one bare.
    static func isDecimal(_ s: String, plus: Bool = false) -> Bool {
        let body = s.hasPrefix("-") || (plus && s.hasPrefix("+")) ? s.dropFirst() : Substring(s)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The entity `name` names (by id, label or alias), or a new one (type Thing) when none does.
    mutating func csvEntity(_ name: String, _ cell: CSVTable.Cell, _ sheet: CSVSheet, _ row: CSVTable.Row) -> EntityID? {
        if let known = csvMemo.entities[name] { return known }
        let named = store.entities(named: name)
        if named.count == 1 {
            rememberEntity(name, named[0])
            return named[0]
        }
        if named.count > 1 {
            report(ambiguity(name, cell, sheet))
            return nil
        }
        let e = addCSVEntity(Entity(
            id: uniqueEntityID(Loader.csvName(name)), types: [], label: Loader.labelFor(name), aliases: [],
            description: nil, paragraphs: nil, declaredAt: Location(file: sheet.path, line: row.number)))
        store.setEntityTypes(e, [csvType("Thing", sheet, row)])
        rememberEntity(name, e)
        return e
    }

    func ambiguity(_ name: String, _ cell: CSVTable.Cell, _ sheet: CSVSheet) -> Diagnostic {
        let ids = store.entities(named: name).map { store.entity($0).id }
        return error("'\(name)' names \(ids.count) entities (\(ids.prefix(5).joined(separator: ", "))): use an id", sheet.table.source, cell.range)
    }

    /// The predicate (or, with `stance`, the stance) a cell names, declared on first use.
    /// A new stance is a sub-stance of `says`.
    mutating func csvPredicate(_ cell: CSVTable.Cell, _ sheet: CSVSheet, _ row: CSVTable.Row, stance: Bool) -> PredicateID? {
        let text = cell.text.trimmingSpaces
        guard !text.isEmpty else {
            report(error("row \(row.number) has no \(stance ? "stance" : "predicate")", sheet.table.source, cell.range))
            return nil
        }
        if let known = csvMemo.predicates[text], known.stance == stance { return known.id }
        let name = Loader.csvName(text)
        if let p = store.predicateID(name) {
            if stance, !store.predicates[Int(p)].isStance {
                report(error("'\(name)' is a predicate, not a stance (what someone says, claims, denies...)", sheet.table.source, cell.range))
                return nil
            }
            csvMemo.predicates[text] = (p, stance)
            return p
        }
        let supers = stance ? store.predicateID("says").map { [$0] } ?? [] : []
        let p = store.addPredicate(PredicateInfo(name: name, supers: supers, isStance: stance, description: nil, declaredAt: Location(file: sheet.path, line: row.number)))
        store.recomputeClosures()
        csvMemo.predicates[text] = (p, stance)
        return p
    }

    mutating func declareStandardStances(_ path: String) {
        for (name, parent, description) in Loader.standardStances where store.predicateID(name) == nil {
            let supers = parent.flatMap { store.predicateID($0) }.map { [$0] } ?? []
            _ = store.addPredicate(PredicateInfo(name: name, supers: supers, isStance: true, description: description, declaredAt: Location(file: path, line: 0)))
        }
        store.recomputeClosures()
    }

    /// The stances of kbq's standard schema (kb/schema.kb's, which a test keeps them equal
    /// to): a case of one's own can record claims without declaring any.
    static let standardStances: [(String, String?, String)] = [
        ("says", nil, "expresses a proposition"), ("claims", "says", "asserts that something is so"),
        ("alleges", "claims", "accuses, without proof in hand"), ("argues", "claims", "puts forward as an argument"),
        ("maintains", "claims", "keeps asserting, against doubt"), ("cites", "says", "invokes an allegation made by others"),
        ("denies", "says", "asserts that something is not so"), ("disputes", "says", "contests a finding or claim"),
        ("rules", "says", "decides as a court"), ("finds", "rules", "concludes as a court, on the evidence"),
        ("states", "says", "declares"), ("reports", "says", "relates what others said or did"),
        ("condemns", "says", "denounces"), ("welcomes", "says", "approves of"), ("demands", "says", "calls for"),
        ("lacks_evidence_that", nil, "has not shown, with evidence, that"),
    ]

    mutating func csvType(_ name: String, _ sheet: CSVSheet, _ row: CSVTable.Row) -> Int32 {
        let n = Loader.csvName(name)
        if let t = store.typeID(n) { return t }
        let t = store.addType(TypeInfo(name: n, supertypes: [], description: nil, declaredAt: Location(file: sheet.path, line: row.number)))
        store.recomputeClosures()
        return t
    }

    mutating func documentType() -> Int32 {
        if let t = store.typeID("Document") { return t }
        let t = store.addType(TypeInfo(name: "Document", supertypes: [], description: nil, declaredAt: Location(file: "", line: 0)))
        store.recomputeClosures()
        return t
    }

    /// The Document that stands for a sheet, made the first time a row has no source.
    mutating func sheetDocument(_ sheet: CSVSheet) -> EntityID {
        if let known = csvMemo.documents[sheet.path] { return known }
        let iri = "file:" + FileSystem.canonical(sheet.path)
        if let e = store.entity(iri: iri) {
            csvMemo.documents[sheet.path] = e
            return e
        }
        var e = Entity(
            id: uniqueEntityID(Loader.csvName(sheet.path.split(separator: "/").last.map(String.init) ?? sheet.path)), types: [],
            label: sheet.path, aliases: [], description: "an imported spreadsheet; paragraph = row", paragraphs: nil,
            declaredAt: Location(file: sheet.path, line: 0))
        e.iri = iri
        let id = addCSVEntity(e)
        store.setEntityTypes(id, [documentType()])
        csvMemo.documents[sheet.path] = id
        return id
    }

    /// A kbq name for a cell's text: letters, digits and `_` kept, anything else `_` (runs
    /// of it one), not starting with a digit, never a keyword.
    static func csvName(_ text: String) -> String {
        var name = ""
        for ch in text.trimmingSpaces {
            if ch.isLetter || ch.isNumber || ch == "_" { name.append(ch) } else if !name.hasSuffix("_") { name.append("_") }
        }
        while name.hasSuffix("_") && name.count > 1 { name.removeLast() }
        while name.hasPrefix("_") && name.count > 1 && !text.hasPrefix("_") { name.removeFirst() }
        if name.isEmpty { name = "x" }
        if let first = name.first, first.isNumber { name = "n" + name }
        if Parser.keywords.contains(name) || Parser.kbKeywords.contains(name) { name += "_" }
        return name
    }

    /// Whether `s` is written as a kbq name (`csvName(s) == s`), ASCII looked at byte by byte.
    static func isName(_ s: String) -> Bool {
        let bytes = s.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return csvName(s) == s }
        guard let first = bytes.first, !(0x30...0x39).contains(first), bytes.last != UInt8(ascii: "_") || s == "_" else { return false }
        var previous: UInt8 = 0
        for b in bytes {
            let word = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == UInt8(ascii: "_")
            if !word || (b == UInt8(ascii: "_") && previous == b) { return false }
            previous = b
        }
        // What csvName leaves as it is, but for a keyword (which it suffixes).
        return !Parser.keywords.contains(s) && !Parser.kbKeywords.contains(s)
    }

    /// A label for an entity named by `text`: as written, or a name's `_` read as spaces.
    static func labelFor(_ text: String) -> String {
        isName(text) ? String(text.map { $0 == "_" ? " " : $0 }) : text
    }
}
