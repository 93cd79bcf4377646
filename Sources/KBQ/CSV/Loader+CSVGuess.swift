/// A statements sheet's cells read ahead, on every core: each column's distinct cells
/// (`CSVDistinct`) are read once, against the knowledge base and the import's memos as
/// they stand (`csvReading`, which changes neither), into a guess of what `csvValue` will
/// make of them. The rows are then added in order, and the first time a distinct cell is
/// met its guess is taken, unless a name it depends on has changed since it was made
/// (`CSVMemo.changed`); a cell that only the in-order reading can decide (an error, an
/// entity to make) is read in order, as before. So the store and the errors are those of
/// reading every row in order (a test compares the two).
///
/// What taking a guess would have remembered (an entity or a text by its name, a source's
/// Document) is kept as pending (`csvPending`), and written into the memos before anything
/// reads them in order (`flushCSVPending`): a million-row sheet names a few hundred
/// thousand things, and most loads never read them in order at all.
extension Loader {
    enum CSVGuess {
        /// Only reading it in order can tell (or it was taken already).
        case inOrder
        /// An entity found by the memos (nothing to remember).
        case term(UInt32)
        /// A string (the bytes of the cell's first row), an integer or a date.
        case literal(LiteralTable.Key)
        case value(Value)
        /// An entity found by name, remembered when taken (never a name that reads as a
        /// literal: those are remembered in order, since they change other columns).
        case remember(EntityID)
        /// A string remembered as text when taken.
        case text(LiteralTable.Key)
        /// A source's Document, remembered when taken.
        case document(EntityID)
    }

    /// What taking a guess leaves to write into the memos.
    struct CSVPending {
        enum Kind: UInt8 { case entity, text, source }
        var sheet: Int32
        var kind: Kind
        var entity: EntityID
        /// The cell (of the sheet's flat list) whose trimmed text is the name.
        var cell: Int
    }

    /// How a column's cells are read.
    enum CSVColumnRole {
        case value(keyType: ValueType?, text: Bool)
        case source
        /// Read in order only (predicates and stances: a sheet names few).
        case inOrder
    }

    /// One column of a statements sheet read ahead: its cells' numbers, a guess per number
    /// (made when `stamp` was the memos' stamp), and per number its term once taken.
    struct CSVCellColumn {
        var distinct: CSVDistinct
        var guesses: [CSVGuess]
        var stamp: Int
        /// Shared by copies: written in row order, read by the row writers while the
        /// walk waits (`CSVRowWriter`).
        let terms: CSVTermSlots
        /// Whether reading it in order needs the pending memos written first.
        var readsMemos: Bool

        /// Every number below it has its term (none failed): a row whose cell has such a
        /// number needs nothing read per number. (Numbers come in first-row order, so the
        /// mark moves as the rows are walked; reading `terms` at every row missed the cache
        /// at nearly every one, a column of a few hundred thousand things being megabytes.)
        var termedBelow = 0

        /// Moves the mark past number `g`, just given its term, and past every number after
        /// it termed already (a row that took the full path may have left one unmet).
        mutating func noteTermed(_ g: Int) {
            guard g == termedBelow else { return }
            while termedBelow < distinct.count, terms[termedBelow] < CSVCellColumn.failed { termedBelow += 1 }
        }

        /// Not met yet; and met, but an error (its rows take the full path, which reports it).
        static let unmet = UInt32.max
        static let failed = UInt32.max - 1
    }

    /// Reads a numbered column of sheet `index` ahead as `role`: its distinct cells
    /// guessed on every core (all read in order when the fast path is off, so that tests
    /// compare the guesses with the in-order reading).
    func readAhead(_ index: Int, _ distinct: CSVDistinct, _ role: CSVColumnRole) -> CSVCellColumn {
        let table = csvSheets[index].table
        let column = distinct.column
        var guesses = [CSVGuess](repeating: .inOrder, count: distinct.count)
        var readsMemos = true
        switch role {
        case .inOrder: readsMemos = false
        case _ where !fast.enabled: break
        case .value, .source:
            let reader = CSVGuesser(table: table, column: column, role: role, store: store, memo: csvMemo, firstRow: distinct.firstRow)
            let parts = distinct.count < 4096 ? 1 : Parallel.cores * 4
            table.withCells { cells in
                guesses.withUnsafeMutableBufferPointer { out in
                    let out = CSVGuesser.Out(buffer: out)
                    Parallel.forEach(parts) { k in
                        for g in distinct.count * k / parts..<distinct.count * (k + 1) / parts { out.buffer[g] = reader.guess(g, cells) }
                    }
                }
            }
        }
        return CSVCellColumn(
            distinct: distinct, guesses: guesses, stamp: csvMemo.stamp,
            terms: CSVTermSlots(count: distinct.count), readsMemos: readsMemos)
    }

    /// Per number of a column read ahead, its term once taken (`CSVCellColumn.unmet`
    /// before): storage of its own, so that the loader's writes in row order need no
    /// uniqueness check and the row writers read it on every core with no copy.
    final class CSVTermSlots: @unchecked Sendable {
        let slots: UnsafeMutableBufferPointer<UInt32>

        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: CSVCellColumn.unmet)
        }

        deinit { slots.deallocate() }

        subscript(g: Int) -> UInt32 {
            get { slots[g] }
            set { slots[g] = newValue }
        }
    }

    /// What the workers read: a copy of the store and the memos (which share the loader's
    /// storage, unchanged while they read, and are dropped before the loader changes it).
    private final class CSVGuesser: @unchecked Sendable {
        struct Out: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<CSVGuess> }
        let table: CSVTable
        let column: Int
        let role: CSVColumnRole
        let store: FactStore
        let memo: CSVMemo
        let firstRow: [Int32]

        init(table: CSVTable, column: Int, role: CSVColumnRole, store: FactStore, memo: CSVMemo, firstRow: [Int32]) {
            (self.table, self.column, self.role, self.store, self.memo, self.firstRow) = (table, column, role, store, memo, firstRow)
        }

        func guess(_ g: Int, _ cells: CSVCells) -> CSVGuess {
            let cell = Int(firstRow[g]) * cells.width + column
            if memo.changed.isEmpty, case .value(let keyType, let isText) = role, cells.forms[cell] != .escaped,
                let quick = quickGuess(cells.bytes(cell), keyType: keyType, text: isText)
            {
                return quick
            }
            let text = table.text(cell)
            let s = text.trimmingSpaces
            switch role {
            case .inOrder:
                return .inOrder
            case .source:
                guard let (document, remembered) = Loader.csvSourceReading(s, store, memo) else { return .inOrder }
                return remembered ? .term(UInt32(document)) : .document(document)
            case .value(let keyType, let isText):
                let key = { LiteralTable.Key.string(cells.bytes(cell)) }
                switch Loader.csvReading(text, trimmed: s, keyType: keyType, text: isText, store, memo) {
                case .inOrder: return .inOrder
                case .text: return .text(key())
                case .foundEntity(let e): return Loader.readsAsLiteral(s) ? .inOrder : .remember(e)
                case .value(.entity(let e)): return .term(UInt32(e))
                case .value(.string): return .literal(key())
                case .value(.integer(let n)): return .literal(.integer(n))
                case .value(.date(let d)): return .literal(.date(d))
                case .value(let v): return .value(v)
                }
            }
        }

        /// What `csvReading` says of the commonest cells, read from their bytes without a
        /// String: an entity's exact id, a plain integer, and text that no entity may be
        /// called by; nil for anything else (read as a String). Only while no name has
        /// changed (`CSVMemo.changed`): then a memo can hold an id only for its own entity
        /// (it is filled from the store's names, which only grow), and a name no entity may
        /// have is in no memo but `texts`, which reads as the same string.
        func quickGuess(_ b: UnsafeBufferPointer<UInt8>, keyType: ValueType?, text isText: Bool) -> CSVGuess? {
            if isText || keyType == .string { return .literal(.string(b)) }
            guard let first = b.first, let last = b.last, first != 0x20, first != 0x09, last != 0x20, last != 0x09,
                keyType == nil || keyType == .entity
            else { return nil }
            // `unknown` and `none` are literals (and keywords: no id is either).
            guard !b.elementsEqual("unknown".utf8), !b.elementsEqual("none".utf8) else { return nil }
            let letter = (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) || first == UInt8(ascii: "_")
            if letter, let e = store.entityID(exactlyASCII: b) {
                return keyType == .entity ? .remember(e) : .term(UInt32(e))
            }
            guard keyType == nil, let h = NameIndex.normalizedHash(ascii: b), !store.nameIndex.mayHave(hash: h) else { return nil }
            if !letter {
                // A plain integer (as `Int` reads one, no '+'), else left to the String.
                var n = 0
                let digits = first == UInt8(ascii: "-") ? b.dropFirst() : b[...]
                guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
                for d in digits { n = n * 10 + Int(d - 0x30) }
                return .literal(.integer(first == UInt8(ascii: "-") ? -n : n))
            }
            // Text unless it reads as a literal or is written as a name (made in order).
            guard !b.contains(UInt8(ascii: "-")), !b.contains(UInt8(ascii: ".")), !Loader.isASCIIName(b) else { return nil }
            return .text(.string(b))
        }
    }

    /// The term of number `g` of a column read ahead, met for the first time: its guess
    /// taken, or nil when it must be read in order (the guess says so, or a name it
    /// depends on has changed since).
    /// (`table` is sheet `sheet`'s, passed in: read from `csvSheets` it was copied, its
    /// arrays retained and released, at every call.)
    mutating func take(_ column: inout CSVCellColumn, _ g: Int, sheet: Int, _ table: borrowing CSVTable) -> UInt32? {
        let guess = column.guesses[g]
        if case .inOrder = guess { return nil }
        column.guesses[g] = .inOrder
        let cell = Int(column.distinct.firstRow[g]) * table.columns + column.distinct.column
        if !csvMemo.changed.isEmpty {
            // A doubled quote's cell is read as its String.
            let changed = table.cellForm[cell] == .escaped ? csvMemo.changed(table.text(cell).trimmingSpaces, since: column.stamp)
                : table.source.bytes.withUnsafeBufferPointer { b in
                    csvMemo.changed(bytes: UnsafeBufferPointer(rebasing: b[table.trimmedContent(cell)]), since: column.stamp)
                }
            if changed { return nil }
        }
        func intern(_ key: LiteralTable.Key) -> UInt32 {
            let n = table.source.bytes.withUnsafeBufferPointer { b in
                let text = UnsafeBufferPointer(rebasing: b[table.content(cell)])
                return store.withTableAndLiterals { $1.intern(key, text: text) }
            }
            return Term(literal: n).raw
        }
        switch guess {
        case .inOrder: return nil
        case .term(let t): return t
        case .literal(let key): return intern(key)
        case .value(let v): return store.intern(v).raw
        case .remember(let e):
            csvPending.append(CSVPending(sheet: Int32(sheet), kind: .entity, entity: e, cell: cell))
            return UInt32(e)
        case .text(let key):
            csvPending.append(CSVPending(sheet: Int32(sheet), kind: .text, entity: 0, cell: cell))
            return intern(key)
        case .document(let e):
            csvPending.append(CSVPending(sheet: Int32(sheet), kind: .source, entity: e, cell: cell))
            return UInt32(e)
        }
    }

    /// Writes what taken guesses remembered into the memos, before anything reads them in order.
    mutating func flushCSVPending() {
        guard !csvPending.isEmpty else { return }
        for p in csvPending {
            let s = csvSheets[Int(p.sheet)].table.text(p.cell).trimmingSpaces
            switch p.kind {
            case .entity: csvMemo.entities[s] = p.entity
            case .text: csvMemo.texts.insert(s)
            case .source: csvMemo.sources[s] = p.entity
            }
        }
        csvPending.removeAll(keepingCapacity: true)
    }
}
