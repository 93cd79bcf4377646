/// An entities sheet's rows: each as the README says (`importEntities`), and the common
/// row (an id written as a name, ASCII names, no description, paragraphs or IRI) from its
/// bytes, with no String made (`QuickEntities`): the store's own fast entity append, which
/// the text loader's entity lines take. A test compares the two ways.
extension Loader {
    mutating func importEntities(_ sheet: CSVSheet) {
        let columns = EntityColumns(sheet)
        var quick = QuickEntities(sheet)
        // An id and a label a row, filed at once (growing, the index rehashed every name).
        store.entities.reserve(sheet.table.rowCount)
        store.nameIndex.reserve(2 * sheet.table.rowCount)
        sheet.table.withCells { cells in
            for r in 0..<sheet.table.rowCount where !(fast.enabled && quick.add(r, cells, &self)) {
                importEntityRow(sheet.table.row(r), columns, sheet)
            }
        }
    }

    /// An entities sheet's columns, found once.
    struct EntityColumns {
        let id: Int
        let type: Int?, label: Int?, aliases: Int?, description: Int?, paragraphs: Int?, iri: Int?

        init(_ sheet: CSVSheet) {
            (id, type, label, aliases, description, paragraphs, iri) = (
                sheet.column("id")!, sheet.column("type"), sheet.column("label"), sheet.column("aliases"),
                sheet.column("description"), sheet.column("paragraphs"), sheet.column("iri"))
        }
    }

    /// One row of an entities sheet, read cell by cell as the README says.
    mutating func importEntityRow(_ row: CSVTable.Row, _ c: EntityColumns, _ sheet: CSVSheet) {
        func cell(_ k: Int?) -> String { k.map { row.cells[$0].text.trimmingSpaces } ?? "" }
        let idCell = row.cells[c.id]
        let name = idCell.text.trimmingSpaces
        guard !name.isEmpty else {
            report(error("row \(row.number) has no id", sheet.table.source, idCell.range))
            return
        }
        let entityID = Loader.isName(name) ? name : Loader.csvName(name)
        if let existing = store.entityID(exactly: entityID) {
            let at = store.entity(existing).declaredAt
            report(error("entity '\(entityID)' is declared twice (first at \(at.file):\(at.line))", sheet.table.source, idCell.range))
            return
        }
        var count: Int? = nil
        if let k = c.paragraphs, !cell(k).isEmpty {
            guard let n = Int(cell(k)), n >= 1 else {
                report(error("paragraphs is a whole number of at least 1", sheet.table.source, row.cells[k].range))
                return
            }
            count = n
        }
        let typeNames = cell(c.type).split(separator: "|").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        // A sheet names few types, row after row: each text resolved once.
        let types = (typeNames.isEmpty ? ["Thing"] : typeNames).map { name in
            if let known = csvMemo.types[name] { return known }
            let t = csvType(name, sheet, row)
            csvMemo.types[name] = t
            return t
        }
        let given = cell(c.label)
        var entity = Entity(
            id: entityID, types: [], label: given.isEmpty ? Loader.labelFor(name) : given,
            aliases: cell(c.aliases).split(separator: "|").map { String($0).trimmingSpaces }.filter { !$0.isEmpty },
            description: cell(c.description).isEmpty ? nil : cell(c.description), paragraphs: count,
            declaredAt: Location(file: sheet.path, line: row.number))
        if !cell(c.iri).isEmpty { entity.iri = cell(c.iri) }
        let e = store.addEntity(entity)
        store.setEntityTypes(e, types)
    }

    /// The fast way for an entities sheet's common rows: ids, labels and aliases read in
    /// place and hashed as the name index hashes them. A row it does not take (anything
    /// else, or an id that is taken, which the full way reports) is left to `importEntities`.
    struct QuickEntities {
        let sheet: CSVSheet
        let id: Int, type: Int?, label: Int?, aliases: Int?
        /// Columns that must be blank for a row to be taken.
        let blank: [Int]
        /// The types of a type cell, by its bytes (a sheet names few types).
        var types: [[UInt8]: [Int32]] = [:]
        /// The last row's type cell, and its types (rows of one type often come together).
        var lastType: (key: [UInt8], types: [Int32]) = ([0xFF], [])

        init(_ sheet: CSVSheet) {
            self.sheet = sheet
            (id, type, label, aliases) = (sheet.column("id")!, sheet.column("type"), sheet.column("label"), sheet.column("aliases"))
            blank = ["description", "paragraphs", "iri"].compactMap { sheet.column($0) }
        }

        /// Adds row `r` and says so, or leaves it (and the store) alone. The cells are read
        /// in place (`CSVTable.withCells`): read through the table, the row after row of it
        /// copied the table, a retain and a release of each of its arrays.
        mutating func add(_ r: Int, _ cells: CSVCells, _ loader: inout Loader) -> Bool {
            let base = r * cells.width
            func trimmed(_ k: Int) -> UnsafeBufferPointer<UInt8>? { cells.trimmed(base + k) }
            guard let idBytes = trimmed(id), Loader.isASCIIName(idBytes), let idHash = NameIndex.normalizedHash(ascii: idBytes),
                blank.allSatisfy({ trimmed($0)?.isEmpty == true })
            else { return false }
            // No label: the id with `_` read as spaces, which the name index hashes as the id.
            var labelBytes: UnsafeBufferPointer<UInt8>? = nil
            var labelHash = idHash
            if let k = label {
                guard let l = trimmed(k) else { return false }
                if !l.isEmpty {
                    guard let h = NameIndex.normalizedHash(ascii: l) else { return false }
                    (labelBytes, labelHash) = (l, h)
                }
            }
            var aliasBytes: [UnsafeBufferPointer<UInt8>] = []
            var aliasHashes: [UInt32] = []
            if let k = aliases {
                guard let all = trimmed(k) else { return false }
                for part in all.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false) {
                    var a = part[...]
                    while let first = a.first, first == 0x20 || first == 0x09 { a = a.dropFirst() }
                    while let last = a.last, last == 0x20 || last == 0x09 { a = a.dropLast() }
                    guard !a.isEmpty else { continue }
                    let bytes = UnsafeBufferPointer(rebasing: a)
                    guard let h = NameIndex.normalizedHash(ascii: bytes) else { return false }
                    aliasBytes.append(bytes)
                    aliasHashes.append(h)
                }
            }
            if let k = type, cells.forms[base + k] == .escaped { return false }
            let typeCell = type.flatMap { trimmed($0) } ?? UnsafeBufferPointer(start: nil, count: 0)
            if !typeCell.elementsEqual(lastType.key) {
                let key = Array(typeCell)
                lastType = (key, self.types[key] ?? {
                    let row = sheet.table.row(r)
                    let names = String(decoding: key, as: UTF8.self).split(separator: "|").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
                    let resolved = (names.isEmpty ? ["Thing"] : names).map { name in
                        if let known = loader.csvMemo.types[name] { return known }
                        let t = loader.csvType(name, sheet, row)
                        loader.csvMemo.types[name] = t
                        return t
                    }
                    self.types[key] = resolved
                    return resolved
                }())
            }
            let types = lastType.types
            return loader.store.addEntity(
                id: idBytes, idHash: idHash, label: labelBytes, labelHash: labelHash,
                aliases: aliasBytes, aliasHashes: aliasHashes, types: types, file: sheet.path, line: Int(CSVTable.number(ofRow: r)))
        }
    }

    /// Whether ASCII bytes are written as a kbq name (`isName`), looked at in place.
    static func isASCIIName(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = b.first, !(0x30...0x39).contains(first), b.last != UInt8(ascii: "_") || b.count == 1 else { return false }
        var previous: UInt8 = 0
        for c in b {
            let word = (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == UInt8(ascii: "_")
            if !word || (c == UInt8(ascii: "_") && previous == c) { return false }
            previous = c
        }
        // A keyword is a short word of small letters: only such a name is looked up.
        return b.count > longestKeyword || b.contains(where: { !(0x61...0x7A).contains($0) }) || !keywords.contains(String(decoding: b, as: UTF8.self))
    }

    private static let keywords = Parser.keywords.union(Parser.kbKeywords)
    private static let longestKeyword = keywords.map(\.utf8.count).max()!
}
