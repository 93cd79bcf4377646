/// A statements sheet's cells resolved ahead, row by row, on every core: each cell read as
/// `csvValue` (or `csvPredicate`, `csvSource`) would read it against the knowledge base and
/// the import's memos as they stood when the workers started (`CSVSnapshot`, which nothing
/// changes while they run), into the term it makes, a literal to intern, or "in order"
/// when only the in-order reading can tell (an error to report, an entity to make).
///
/// The loader then adds the rows in order, taking a resolved cell unless a name it depends
/// on has changed since the snapshot (`CSVMemo.changed`), and reading the others in order;
/// so the store and the errors are those of reading every row in order (a test compares
/// the two). What taking a cell would have remembered (an entity found by a label, a text)
/// is noted (`CSVEffect`) and written into the memos only before something reads them in
/// order: a million-row sheet names a few hundred thousand things, and most loads never
/// read one in order.
///
/// A cell is read from its bytes with no String made when it is an entity's exact id, a
/// plain integer or date, or text no entity may be called by, and no memo holds its name
/// (a bit per memo name says so); anything else takes the String reading, still on the
/// workers.
extension Loader {
    /// How a column's cells are read.
    enum CSVColumnRole: Sendable {
        case value(keyType: ValueType?, text: Bool)
        case source
        case predicate
    }

    /// A resolved cell that only the in-order reading can tell, and a blank one.
    static let csvInOrder = UInt32.max
    static let csvBlank = UInt32.max - 1

    /// What the workers read: the store and the memos as they stand (copies that share the
    /// loader's storage, which it does not change until the workers are done), the entity
    /// ids by their bytes, and a bit per name the memos hold.
    final class CSVSnapshot: @unchecked Sendable {
        let store: FactStore
        let memo: CSVMemo
        let resolver: FastResolver
        let table: CSVTable
        /// The memos' stamp when it was taken: a name changed after it is read in order.
        let stamp: Int
        /// A bit per name a memo holds, but for names remembered as the entity of that id.
        private let memoBits: [UInt64]
        static let memoBitCount = 1 << 16

        init(_ store: FactStore, _ memo: CSVMemo, _ resolver: FastResolver, _ table: CSVTable) {
            (self.store, self.memo, self.resolver, self.table, stamp) = (store, memo, resolver, table, memo.stamp)
            var bits = [UInt64](repeating: 0, count: CSVSnapshot.memoBitCount / 64)
            func note(_ name: String) {
                var s = name
                let h = s.withUTF8 { $0.isEmpty ? 0 : Int(truncatingIfNeeded: ByteKeyTable.hash($0)) & (CSVSnapshot.memoBitCount - 1) }
                bits[h >> 6] |= 1 << UInt64(h & 63)
            }
            // A name remembered as the entity whose id it is reads the same from the ids
            // (a sheet without an entities sheet remembers every subject it makes).
            for (name, e) in memo.entities where store.entities.id(Int(e)) != name { note(name) }
            for (name, e) in memo.sources where store.entities.id(Int(e)) != name { note(name) }
            for name in memo.texts { note(name) }
            memoBits = bits
        }

        /// Whether a memo may hold the name whose bytes hash (`ByteKeyTable.hash`) to `h`
        /// as something else than the entity of that id.
        @inline(__always) func inMemo(_ h: UInt64) -> Bool {
            let i = Int(truncatingIfNeeded: h) & (CSVSnapshot.memoBitCount - 1)
            return memoBits[i >> 6] & 1 << UInt64(i & 63) != 0
        }
    }

    /// Some rows' cells in the columns read ahead, as one worker resolved them.
    final class CSVResolvedRows: @unchecked Sendable {
        let rows: Range<Int>
        let width: Int
        /// Row `r`'s cell in column `c` (of the columns resolved) is `words[(r - rows.lowerBound) * width + c]`:
        /// a term's raw bits, `csvInOrder`, `csvBlank`, a predicate's number (a predicate
        /// column), or a literal to intern (`ResolvedLines.pendingKind` above an index into
        /// `literals`).
        let words: UnsafeMutableBufferPointer<UInt32>
        /// Per cell, 1 when taking it remembers its name (an entity found by a label or an
        /// alias, a text, a source's Document).
        let effects: UnsafeMutableBufferPointer<UInt8>
        // Appended to by one worker, then read by the loader alone: no run-time
        // exclusivity checks (the loader reads them at every literal it interns).
        @exclusivity(unchecked) var literals = Scratch<ResolvedLines.PendingLiteral>(capacity: 64)
        /// Values that are not a string of the file, an integer or a date (a decimal, a
        /// cell with a doubled quote): a pending literal of length -1 whose start indexes it.
        @exclusivity(unchecked) var values: [Value] = []

        init(rows: Range<Int>, width: Int) {
            (self.rows, self.width) = (rows, width)
            words = .allocate(capacity: max(1, rows.count * width))
            effects = .allocate(capacity: max(1, rows.count * width))
            effects.initialize(repeating: 0)
        }

        deinit {
            words.deallocate()
            effects.deallocate()
            literals.free()
        }

        @inline(__always) func word(_ r: Int, _ c: Int) -> UInt32 { words[(r - rows.lowerBound) * width + c] }
        @inline(__always) func effect(_ r: Int, _ c: Int) -> Bool { effects[(r - rows.lowerBound) * width + c] != 0 }
    }

    /// Resolves `columns` of every row of the snapshot's table, in parts on every core.
    static func resolveCSVRows(_ columns: [(column: Int, role: CSVColumnRole)], _ snapshot: CSVSnapshot) -> [CSVResolvedRows] {
        let rows = snapshot.table.rowCount
        let parts = rows < 4096 ? 1 : Parallel.cores * 8
        return snapshot.table.withCells { cells in
            Parallel.map(parts) { k in
                var worker = CSVRowWorker(snapshot: snapshot, cells: cells, columns: columns)
                return worker.resolve(rows * k / parts..<rows * (k + 1) / parts)
            }
        }
    }

    /// One worker's reading of cells.
    struct CSVRowWorker {
        let snapshot: CSVSnapshot
        let cells: CSVCells
        let columns: [(column: Int, role: CSVColumnRole)]
        /// The snapshot's entity ids, held here: read through the snapshot, every lookup
        /// retained and released the table's storage.
        let ids: ByteKeyTable
        /// Per entity, whether it is a Document; nil when there is no Document type.
        let isDocument: [Bool]?
        /// Predicates by the bytes of their cells (a sheet names few).
        var predicates = ByteKeyTable(capacity: 64)
        var out: CSVResolvedRows! = nil

        init(snapshot: CSVSnapshot, cells: CSVCells, columns: [(column: Int, role: CSVColumnRole)]) {
            (self.snapshot, self.cells, self.columns) = (snapshot, cells, columns)
            ids = snapshot.resolver.entities
            isDocument = snapshot.resolver.documentType == nil ? nil : snapshot.resolver.isDocument
        }

        mutating func resolve(_ rows: Range<Int>) -> CSVResolvedRows {
            out = CSVResolvedRows(rows: rows, width: columns.count)
            var at = 0
            for r in rows {
                if r + CSVRowWorker.ahead < rows.upperBound { prefetch(r + CSVRowWorker.ahead) }
                for (column, role) in columns {
                    let k = r * cells.width + column
                    switch role {
                    case .predicate: out.words[at] = predicate(k)
                    case .source: out.words[at] = source(k, at)
                    case .value(let keyType, let text): out.words[at] = value(k, at, keyType: keyType, text: text)
                    }
                    at += 1
                }
            }
            defer { out = nil }
            return out
        }

        /// How many rows ahead a row's entity slots are fetched: the id table outgrows the
        /// caches, and a row's lookups would each wait on memory in turn.
        static let ahead = 8

        /// Starts bringing in the id table's slots that row `r`'s cells written as names
        /// will be looked up in.
        private func prefetch(_ r: Int) {
            for (column, role) in columns {
                if case .predicate = role { continue }
                let k = r * cells.width + column
                let b = cells.bytes(k)
                guard let first = b.first, cells.forms[k] != .escaped,
                    (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) || first == UInt8(ascii: "_")
                else { continue }
                ids.prefetch(hash: ByteKeyTable.hash(b))
            }
        }

        private mutating func pending(_ key: LiteralTable.Key, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
            let start = bytes.baseAddress.map { $0 - cells.bytes.baseAddress! } ?? 0
            out.literals.append(ResolvedLines.PendingLiteral(key: key, start: start, length: Int32(bytes.count)))
            return ResolvedLines.pendingKind << 30 | UInt32(out.literals.count - 1)
        }

        /// An integer or a date to intern.
        private mutating func pending(_ key: LiteralTable.Key) -> UInt32 {
            pending(key, UnsafeBufferPointer(start: nil, count: 0))
        }

        private mutating func pending(value v: Value) -> UInt32 {
            out.values.append(v)
            out.literals.append(ResolvedLines.PendingLiteral(key: .integer(0), start: out.values.count - 1, length: -1))
            return ResolvedLines.pendingKind << 30 | UInt32(out.literals.count - 1)
        }

        /// A string literal of cell `k`'s text (all of it, as `csvValue` keeps it).
        private mutating func string(_ k: Int) -> UInt32 {
            if cells.forms[k] == .escaped { return pending(value: .string(snapshot.table.text(k))) }
            let b = cells.bytes(k)
            return pending(.string(b), b)
        }

        private mutating func predicate(_ k: Int) -> UInt32 {
            let b = cells.bytes(k)
            guard cells.forms[k] != .escaped, !b.isEmpty else { return csvInOrder }
            if let known = predicates.lookup(b) { return known < 0 ? csvInOrder : UInt32(known) }
            // As `csvPredicate` finds one, without declaring it (unknown: read in order).
            let text = snapshot.table.text(k).trimmingSpaces
            let store = snapshot.store
            var found: Int32 = -1
            if let known = snapshot.memo.predicates[text] {
                if !known.stance { found = known.id }
            } else if let p = store.predicateID(Loader.csvName(text)) {
                found = p
            }
            if found >= 0, store.predicates[Int(found)].isStance { found = -1 }
            predicates.insert(distinct: b, found)
            return found < 0 ? csvInOrder : UInt32(found)
        }

        private mutating func source(_ k: Int, _ at: Int) -> UInt32 {
            guard cells.forms[k] != .escaped else { return sourceByText(k, at) }
            let content = cells.bytes(k)
            guard let t = cells.trimmed(k), !t.isEmpty else { return csvBlank }
            if t.count == content.count, let isDocument {
                let h = ByteKeyTable.hash(t)
                if !snapshot.inMemo(h), let e = ids.lookup(t, hash: h), isDocument[Int(e)] { return Term(entity: e).raw }
            }
            return sourceByText(k, at)
        }

        private mutating func sourceByText(_ k: Int, _ at: Int) -> UInt32 {
            let s = snapshot.table.text(k).trimmingSpaces
            guard !s.isEmpty else { return csvBlank }
            guard let (document, remembered) = Loader.csvSourceReading(s, snapshot.store, snapshot.memo) else { return csvInOrder }
            if !remembered { out.effects[at] = 1 }
            return Term(entity: document).raw
        }

        private mutating func value(_ k: Int, _ at: Int, keyType: ValueType?, text isText: Bool) -> UInt32 {
            // A blank cell is no qualifier, and an object the in-order reading reads.
            if cells.isBlank(k) { return csvBlank }
            if isText || keyType == .string { return string(k) }
            if cells.forms[k] != .escaped, let t = cells.trimmed(k) {
                if t.isEmpty { return csvBlank }
                if let quick = quickValue(k, t, at, keyType: keyType) { return quick }
            }
            return valueByText(k, at, keyType: keyType)
        }

        /// The commonest cells read from their bytes: an entity's exact id, a plain integer
        /// or date, and text that no entity may be called by; nil for anything else.
        private mutating func quickValue(_ k: Int, _ t: UnsafeBufferPointer<UInt8>, _ at: Int, keyType: ValueType?) -> UInt32? {
            guard t.count == cells.bytes(k).count else { return nil }
            switch keyType {
            case .date?:
                // As `csvReading`: a date, or a year of four digits.
                switch Loader.csvNumber(t) {
                case .date(let d)?: return pending(.date(d))
                case .integer(let y)? where t.count == 4 && y >= 0: return pending(.date(DateValue(year: y)))
                default: return nil
                }
            case .integer?:
                guard case .integer(let n)? = Loader.csvNumber(t) else { return nil }
                return pending(.integer(n))
            case nil, .entity?:
                break
            default:
                return nil
            }
            let h = ByteKeyTable.hash(t)
            guard !snapshot.inMemo(h) else { return nil }
            let first = t[0]
            let letter = (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) || first == UInt8(ascii: "_")
            // Ids are names: never a literal, nor `unknown` or `none` (keywords).
            if letter, let e = ids.lookup(t, hash: h) { return Term(entity: e).raw }
            guard let nh = NameIndex.normalizedHash(ascii: t), !snapshot.store.nameIndex.mayHave(hash: nh) else { return nil }
            // No entity is called so, and no memo holds it: an entity to make, or an error.
            if keyType == .entity { return csvInOrder }
            if !letter {
                switch Loader.csvNumber(t) {
                case .integer(let n)?: return pending(.integer(n))
                case .date(let d)?: return pending(.date(d))
                default: return nil
                }
            }
            // Text, unless a keyword literal or written as a name (made in order).
            guard !t.elementsEqual("unknown".utf8), !t.elementsEqual("none".utf8), !t.contains(UInt8(ascii: "-")), !t.contains(UInt8(ascii: ".")),
                !Loader.isASCIIName(t)
            else { return nil }
            out.effects[at] = 1
            return pending(.string(t), t)
        }

        private mutating func valueByText(_ k: Int, _ at: Int, keyType: ValueType?) -> UInt32 {
            let text = snapshot.table.text(k)
            let s = text.trimmingSpaces
            switch Loader.csvReading(text, trimmed: s, keyType: keyType, text: false, snapshot.store, snapshot.memo) {
            case .inOrder:
                return csvInOrder
            case .text:
                out.effects[at] = 1
                return string(k)
            case .foundEntity(let e):
                // A name that reads as a literal changes other cells once remembered: in order.
                if Loader.readsAsLiteral(s) { return csvInOrder }
                out.effects[at] = 1
                return Term(entity: e).raw
            case .value(.entity(let e)):
                return Term(entity: e).raw
            case .value(.string):
                return string(k)
            case .value(.integer(let n)):
                return pending(.integer(n))
            case .value(.date(let d)):
                return pending(.date(d))
            case .value(let v):
                return pending(value: v)
            }
        }
    }

    /// A cell's trimmed bytes when they are a number as `.kb` text writes one bare
    /// (`FastLine.Cursor.number`): an integer (an optional '-' and up to 18 digits, as
    /// `Int` reads one with no '+') or a date (`YYYY-MM`, `YYYY-MM-DD`, as
    /// `DateValue(parsing:)` reads one), and nothing after it.
    static func csvNumber(_ t: UnsafeBufferPointer<UInt8>) -> FastLine.Object? {
        guard !t.isEmpty else { return nil }
        var cursor = FastLine.Cursor(b: t, i: 0)
        guard let number = cursor.number(), cursor.i == t.count else { return nil }
        return number
    }
}
