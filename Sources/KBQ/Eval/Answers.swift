/// A query's answer rows, kept compactly as they come. A cell is a machine word: a stored
/// term, a predicate or a statement in JoinPlan's encoding, or an index into `boxed` for any
/// other value; a row's evidence is statement ids in the same encoding. A row costs a few
/// words instead of two arrays of enums, and a `Value` is made only when a row is read
/// (printed, explained by `why N`). The session keeps the last answer this way.
public final class Answers {
    public let columns: [String]
    let store: FactStore
    /// The rules whose derivations the evidence may name (see `RuleEngine.derivationWord`),
    /// set by the query that fills the answers.
    var rules: RuleEngine? = nil
    /// The store's literal table, taken once (see `JoinPlan.decode`), when a row is first
    /// read: a copy retains each of its arrays, and a query of a few answers (made at
    /// every run) paid for it whether or not its rows were read.
    private lazy var literals: LiteralTable = store.literals
    // Appended to at every answer, by one thread: no run-time exclusivity checks.
    @exclusivity(unchecked) private var cells: [UInt64] = []
    @exclusivity(unchecked) private var boxed: [Value] = []
    /// Where each row's evidence ends in `evidenceCells`.
    @exclusivity(unchecked) private var evidenceEnds: [UInt32] = []
    @exclusivity(unchecked) private var evidenceCells: [UInt64] = []
    @exclusivity(unchecked) private var boxedEvidence: [Evidence] = []
    /// Repeats of earlier rows (a `distinct` answer met again): the row and the statements
    /// behind the repeat, in the order met; merged into the rows' evidence at the end.
    @exclusivity(unchecked) private var repeatRows: [Int32] = []
    @exclusivity(unchecked) private var repeatEnds: [UInt32] = []
    @exclusivity(unchecked) private var repeatStatements: [StatementID] = []
    /// What `noteRepeat` keeps to drop the repeats a merge would add nothing from: for a
    /// row with repeats and room left, the cells its merged evidence holds so far (its
    /// count as the merge counts them in `repeatState`); rows whose merged evidence is
    /// full; rows whose evidence holds a path's chain (merged by pieces: every repeat kept).
    /// By row: how many cells its merged evidence has so far, or one of the states below;
    /// where its cells start in `repeatCells`, when it has them, and how many they may be
    /// there. A row's room starts small and doubles up to `repeatCap`, its cells moved to
    /// the end: most rows are repeated a few times, and a room of the cap for each of 170,000
    /// answers was 87 MB, written and faulted in at every run.
    @exclusivity(unchecked) private var repeatState: [Int32] = []
    @exclusivity(unchecked) private var repeatSlot: [Int32] = []
    @exclusivity(unchecked) private var repeatRoom: [Int32] = []
    @exclusivity(unchecked) private var repeatCells: [UInt64] = []
    private var repeatCap: Int? = nil
    private static let repeatsUnseen: Int32 = -1, repeatsByPiece: Int32 = -2, repeatsFull: Int32 = -3
    /// `repeatsCounted - n`: a row with no room yet, whose cells and repeats' statements
    /// number n, fewer than the cap (see `noteRepeat`).
    private static let repeatsCounted: Int32 = -4
    /// With a cap: by row, its last repeat logged (-1: none); by repeat, the row's repeat
    /// logged before it. A row's room is made only once its count nears the cap, from
    /// the repeats logged until then.
    @exclusivity(unchecked) private var repeatLast: [Int32] = []
    @exclusivity(unchecked) private var repeatPrevious: [Int32] = []

    static let boxTag: UInt64 = 4 << 32

    /// Rows whose evidence is looked for only when it is asked for (`why N`), by key: a
    /// count made without its answers (FactorizedCount) has none at hand, and finding
    /// them costs a run of the join. Found once, then kept as any row's.
    /// Invariant: such rows have no evidence cells of their own.
    private var deferred: [Int: UInt64] = [:]
    private var findEvidence: ((UInt64, Limits) throws -> [Evidence])? = nil
    private var found: [Int: [Evidence]] = [:]
    /// Every row deferred, its key its cells (`deferEvidenceByCells`).
    private var findByCells: ((ArraySlice<UInt64>, Limits) throws -> [Evidence])? = nil

    /// After rows were kept or reordered (`rows[i]` is now row i), the deferred rows' new numbers.
    private func renumberDeferred(_ rows: some Collection<Int>) {
        guard !deferred.isEmpty || !found.isEmpty else { return }
        let (was, known) = (deferred, found)
        (deferred, found) = ([:], [:])
        for (i, r) in rows.enumerated() {
            if let key = was[r] { deferred[i] = key }
            if let e = known[r] { found[i] = e }
        }
    }

    /// A rule's evidence nests as deep as its derivation (a closure's, as long as its
    /// chain), and freeing such a tree frees it by recursion. The engine keeps every
    /// derivation's tree it made, and frees them from the last made (see its deinit): the
    /// trees held here go first, while it still holds what they rest on.
    deinit {
        boxedEvidence = []
        found = [:]
    }

    public init(columns: [String], store: FactStore) {
        self.columns = columns
        self.store = store
        // Room for a screenful of rows before the first growth.
        cells.reserveCapacity(32 * max(1, columns.count))
        evidenceEnds.reserveCapacity(32)
        evidenceCells.reserveCapacity(64)
    }

    public var count: Int { evidenceEnds.count }
    public var isEmpty: Bool { evidenceEnds.isEmpty }

    public subscript(row: Int) -> ResultRow { ResultRow(values: values(row), evidence: evidence(row)) }

    public func values(_ row: Int) -> [Value] {
        let width = columns.count
        return (row * width..<(row + 1) * width).map { decode(cells[$0]) }
    }

    /// Row `row`'s evidence; a deferred one is looked for with no limits
    /// (`evidence(_:limits:)` takes them).
    public func evidence(_ row: Int) -> [Evidence] {
        (try? evidence(row, limits: .none)) ?? []
    }

    /// Row `row`'s evidence, a deferred one looked for within `limits` (and kept).
    public func evidence(_ row: Int, limits: Limits) throws -> [Evidence] {
        if let find = findByCells {
            if let known = found[row] { return known }
            let width = columns.count
            let evidence = try find(cells[row * width..<(row + 1) * width], limits)
            found[row] = evidence
            return evidence
        }
        guard let key = deferred[row], let find = findEvidence else { return storedEvidence(row) }
        if let known = found[row] { return known }
        let evidence = try find(key, limits)
        found[row] = evidence
        return evidence
    }

    /// Marks row `row` (just appended, with no evidence) as one whose evidence `find`
    /// looks for from `key` when asked (the same `find` for every such row).
    /// Marks every row (appended with no evidence) as one whose evidence `find` looks for,
    /// by the row's cells, when asked: rows keep their keys as they are kept or
    /// reordered, with no table of them made.
    func deferEvidenceByCells(find: @escaping (ArraySlice<UInt64>, Limits) throws -> [Evidence]) {
        precondition(evidenceCells.isEmpty && deferred.isEmpty, "rows deferred by their cells have no evidence of their own")
        findByCells = find
    }

    /// Row `row`'s cell in column `column` as stored (a binding, or a boxed Value's tag).
    func cell(_ row: Int, _ column: Int) -> UInt64 { cells[row * columns.count + column] }

    func deferEvidence(row: Int, key: UInt64, find: @escaping (UInt64, Limits) throws -> [Evidence]) {
        deferred[row] = key
        findEvidence = find
    }

    /// An answer from the batch executor: the projected variables' bindings and the
    /// statements that matched.
    func append(bindings: [UInt64], variables: [Int], statements: [StatementID]) {
        for v in variables { cells.append(bindings[v]) }
        for s in statements { evidenceCells.append(JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))) }
        evidenceEnds.append(UInt32(evidenceCells.count))
    }

    /// Rows `rows` of a join's batch: the projected variables' bindings and the statements
    /// behind each row, in slot order.
    func append(_ batch: BindingBatch, rows: some Collection<Int>, variables: [Int], evidence: Bool = true) {
        if !evidence {
            let columns = variables.map { batch.columns[$0] }
            for r in rows {
                for column in columns { cells.append(column.isEmpty ? 0 : column[r]) }
                evidenceEnds.append(UInt32(evidenceCells.count))
            }
            return
        }
        if rows.count <= 16 {
            // A few rows (a small query's answer): read in place, no arrays made.
            for r in rows {
                for v in variables { cells.append(batch.binding(v, r)) }
                for s in batch.evidence.indices where !batch.evidence[s].isEmpty && batch.evidence[s][r] != BindingBatch.noStatement {
                    evidenceCells.append(JoinPlan.statementTag | UInt64(UInt32(bitPattern: batch.evidence[s][r])))
                }
                evidenceEnds.append(UInt32(evidenceCells.count))
            }
            return
        }
        let filled = batch.evidence.filter { !$0.isEmpty }
        let columns = variables.map { batch.columns[$0] }
        for r in rows {
            for column in columns { cells.append(column.isEmpty ? 0 : column[r]) }
            for column in filled where column[r] != BindingBatch.noStatement {
                evidenceCells.append(JoinPlan.statementTag | UInt64(UInt32(bitPattern: column[r])))
            }
            evidenceEnds.append(UInt32(evidenceCells.count))
        }
    }

    func append(values: [Value], evidence: [Evidence]) {
        for v in values { cells.append(encode(v)) }
        append(evidence)
    }

    /// A row whose cells `value` gives one by one (no array of Values on the way).
    func append(_ width: Int, _ value: (Int) throws -> Value, evidence: [Evidence]) rethrows {
        for i in 0..<width { cells.append(encode(try value(i))) }
        append(evidence)
    }

    private func append(_ evidence: [Evidence]) {
        for e in evidence {
            if case .statement(let s) = e {
                evidenceCells.append(JoinPlan.statementTag | UInt64(UInt32(bitPattern: s)))
            } else {
                evidenceCells.append(Answers.boxTag | UInt64(boxedEvidence.count))
                boxedEvidence.append(e)
            }
        }
        evidenceEnds.append(UInt32(evidenceCells.count))
    }

    /// Whether `noteRepeat` with a cap drops every later repeat of `row` (its evidence is
    /// full): a caller then need not gather the repeat's statements at all.
    @inline(__always) func repeatsDropped(_ row: Int) -> Bool {
        row < repeatState.count && repeatState[row] == Answers.repeatsFull
    }

    /// Notes that `row` was met again with `statements` behind it; see `mergeRepeats`.
    /// With `cap` (the one `mergeRepeats` will be given), a repeat the merge would add
    /// nothing from is not kept: the merge adds a repeat's statements only while its row
    /// has fewer than `cap` pieces of evidence, so once a row has them (counted here as the
    /// merge counts them) its later repeats are dropped. A `distinct` answer of a few rows
    /// met tens of thousands of times kept every repeat.
    func noteRepeat(of row: Int, _ statements: [StatementID], cap: Int? = nil) {
        if let cap, cap == repeatCap ?? cap {
            repeatCap = cap
            while repeatState.count <= row {
                repeatState.append(Answers.repeatsUnseen)
                repeatSlot.append(-1)
                repeatRoom.append(0)
                repeatLast.append(-1)
            }
            let state = repeatState[row]
            if state == Answers.repeatsFull { return }
            if state != Answers.repeatsByPiece {
                if statements.contains(where: { JoinPlan.pathLength($0) != nil }) {
                    // A path's chain is merged as one piece: such a row keeps every repeat.
                    repeatState[row] = Answers.repeatsByPiece
                } else if state == Answers.repeatsUnseen, evidenceCells[evidenceRange(row)].contains(where: { Answers.chainLength($0) != nil }) {
                    repeatState[row] = Answers.repeatsByPiece
                } else {
                    var count = Int(state)
                    if state == Answers.repeatsUnseen || state <= Answers.repeatsCounted {
                        // While the row's cells and its repeats' number fewer than the cap,
                        // its merged evidence cannot be full: they are only counted (most
                        // rows are repeated a few times, and a room apiece cost more than
                        // the rest of a distinct answer).
                        let own = evidenceRange(row).count
                        let cells = (state == Answers.repeatsUnseen ? own : Int(Answers.repeatsCounted - state)) + statements.count
                        if cells < cap {
                            repeatState[row] = Answers.repeatsCounted - Int32(cells)
                            logRepeat(row, statements)
                            return
                        }
                        // Counted exactly from here: its own cells, then the repeats so far.
                        let ownCells = evidenceRange(row)
                        count = ownCells.count
                        if count >= cap {
                            repeatState[row] = Answers.repeatsFull
                            return
                        }
                        let room = min(cap, max(8, 2 * count))
                        repeatSlot[row] = Int32(repeatCells.count)
                        repeatRoom[row] = Int32(room)
                        repeatCells.append(contentsOf: evidenceCells[ownCells])
                        repeatCells.append(contentsOf: repeatElement(0, count: room - count))
                        for n in loggedRepeats(of: row) {
                            addToRoom(row, self.statements(ofRepeat: n), &count, cap: cap)
                        }
                    }
                    addToRoom(row, statements, &count, cap: cap)
                    repeatState[row] = count >= cap ? Answers.repeatsFull : Int32(count)
                }
            }
        }
        logRepeat(row, statements)
    }

    /// Adds the cells of a repeat's `statements` that row `row`'s room lacks, counting
    /// them in `count`, as the merge counts them: the row's own cells as they are, then
    /// each cell a repeat adds that the row lacks. Past the cap the count only has to say
    /// so (the row is then full).
    private func addToRoom(_ row: Int, _ statements: some Collection<StatementID>, _ count: inout Int, cap: Int) {
        var base = Int(repeatSlot[row])
        for s in statements {
            let cell = JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))
            guard count < cap else { break }
            if !repeatCells[base..<base + count].contains(cell) {
                if count == Int(repeatRoom[row]) {
                    // Full room: the cells so far moved to one twice its size.
                    let kept = Array(repeatCells[base..<base + count])
                    let room = min(cap, 2 * count)
                    base = repeatCells.count
                    repeatSlot[row] = Int32(base)
                    repeatRoom[row] = Int32(room)
                    repeatCells.append(contentsOf: kept)
                    repeatCells.append(contentsOf: repeatElement(0, count: room - count))
                }
                repeatCells[base + count] = cell
                count += 1
            }
        }
    }

    /// The statements behind logged repeat `n`.
    private func statements(ofRepeat n: Int) -> ArraySlice<StatementID> {
        repeatStatements[(n == 0 ? 0 : Int(repeatEnds[n - 1]))..<Int(repeatEnds[n])]
    }

    private func logRepeat(_ row: Int, _ statements: [StatementID]) {
        // (A repeat logged without a cap is in no row's list: a row's room then counts
        // fewer cells than the merge will, and keeps repeats the merge may drop, never
        // the other way round.)
        if row < repeatLast.count {
            repeatPrevious.append(repeatLast[row])
            repeatLast[row] = Int32(repeatRows.count)
        } else {
            repeatPrevious.append(-1)
        }
        repeatRows.append(Int32(row))
        repeatStatements.append(contentsOf: statements)
        repeatEnds.append(UInt32(repeatStatements.count))
    }

    /// The repeats of `row` logged so far, in the order met.
    private func loggedRepeats(of row: Int) -> [Int] {
        var out: [Int] = []
        var n = Int(repeatLast[row])
        while n >= 0 {
            out.append(n)
            n = Int(repeatPrevious[n])
        }
        return out.reversed()
    }

    /// Adds to each repeated row, repeat by repeat in the order met, the statements it
    /// lacks while it has fewer than `cap` pieces of evidence (as `PreparedQuery.merge`
    /// does for rows kept as arrays). One pass that rebuilds the evidence columns.
    func mergeRepeats(cap: Int) {
        guard !repeatRows.isEmpty else { return }
        // The repeats of each row, in the order met (a counting sort by row).
        var firstRepeat = [Int32](repeating: 0, count: count + 1)
        for r in repeatRows { firstRepeat[Int(r) + 1] += 1 }
        for i in 0..<count { firstRepeat[i + 1] += firstRepeat[i] }
        var next = firstRepeat
        var order = [Int32](repeating: 0, count: repeatRows.count)
        for (n, r) in repeatRows.enumerated() {
            order[Int(next[Int(r)])] = Int32(n)
            next[Int(r)] += 1
        }
        var cells: [UInt64] = []
        cells.reserveCapacity(evidenceCells.count + repeatStatements.count)
        var ends: [UInt32] = []
        ends.reserveCapacity(count)
        let cell = { (s: StatementID) in JoinPlan.statementTag | UInt64(UInt32(bitPattern: s)) }
        // A path's marker and chain are one piece of evidence: merged whole, and counted
        // once, wherever a chain is (a row's own cells, or a repeat's: a path in one branch
        // of an `or` is in some rows and not in others).
        let chains = repeatStatements.contains { JoinPlan.pathLength($0) != nil } || evidenceCells.contains { Answers.chainLength($0) != nil }
        for row in 0..<count {
            let start = cells.count
            for i in evidenceRange(row) { cells.append(evidenceCells[i]) }
            var units = chains ? Answers.units(cells[start...]) : []
            for k in Int(firstRepeat[row])..<Int(firstRepeat[row + 1]) where (chains ? units.count : cells.count - start) < cap {
                let n = Int(order[k])
                let statements = self.statements(ofRepeat: n)
                guard chains else {
                    for s in statements where !cells[start...].contains(cell(s)) { cells.append(cell(s)) }
                    continue
                }
                for unit in Answers.units(ArraySlice(statements.map(cell))) where !units.contains(unit) {
                    units.append(unit)
                    cells += unit
                }
            }
            ends.append(UInt32(cells.count))
        }
        evidenceCells = cells
        evidenceEnds = ends
        repeatRows = []
        repeatEnds = []
        repeatStatements = []
        (repeatState, repeatSlot, repeatRoom, repeatCells, repeatCap) = ([], [], [], [], nil)
        (repeatLast, repeatPrevious) = ([], [])
    }

    /// The chain length of an evidence cell that is a path's marker; nil for any other.
    static func chainLength(_ b: UInt64) -> Int? {
        b & ~0xFFFF_FFFF == JoinPlan.statementTag ? JoinPlan.pathLength(StatementID(bitPattern: UInt32(truncatingIfNeeded: b))) : nil
    }

    /// Evidence cells split into pieces of evidence: a path's marker with its chain, or one cell.
    static func units(_ cells: ArraySlice<UInt64>) -> [ArraySlice<UInt64>] {
        var out: [ArraySlice<UInt64>] = []
        var i = cells.startIndex
        while i < cells.endIndex {
            let b = cells[i]
            let n = chainLength(b) ?? 0
            let end = min(cells.endIndex, i + 1 + n)
            out.append(cells[i..<end])
            i = end
        }
        return out
    }

    /// Row `row`'s value in column `column`.
    func value(_ row: Int, _ column: Int) -> Value { decode(cells[row * columns.count + column]) }

    /// The entity in row `row`'s column `column`, if it holds one (read from its cell).
    func entity(_ row: Int, _ column: Int) -> Int32? {
        let b = cells[row * columns.count + column]
        let t = Term(raw: UInt32(truncatingIfNeeded: b))
        return b & ~0xFFFF_FFFF == JoinPlan.termTag && t.kind == Term.entityKind ? Int32(t.index) : nil
    }

    /// Column `column`'s cells as words that order them as kbq's total order does, when one
    /// kind of word does for every row: all entities (their ranks, `entityRanks`), all
    /// integers or all dates (`LiteralTable.orderWord`). Nil for any other column (mixed
    /// kinds, strings, no record), which is ordered by its Values.
    func orderWords(_ column: Int, entityRanks: () -> [UInt32]) -> [UInt64]? {
        let width = columns.count
        guard count > 0 else { return [] }
        var words = [UInt64]()
        words.reserveCapacity(count)
        let first = Term(raw: UInt32(truncatingIfNeeded: cells[column]))
        guard cells[column] & ~0xFFFF_FFFF == JoinPlan.termTag else { return nil }
        if first.kind == Term.entityKind {
            let ranks = entityRanks()
            for r in 0..<count {
                guard let e = entity(r, column) else { return nil }
                words.append(UInt64(ranks[Int(e)]))
            }
            return words
        }
        guard first.kind == Term.literalKind, let kind = literals.orderWord(Int(first.index))?.isDate else { return nil }
        let table = literals
        for r in 0..<count {
            let b = cells[r * width + column]
            let t = Term(raw: UInt32(truncatingIfNeeded: b))
            guard b & ~0xFFFF_FFFF == JoinPlan.termTag, t.kind == Term.literalKind,
                let (isDate, word) = table.orderWord(Int(t.index)), isDate == kind
            else { return nil }
            words.append(word)
        }
        return words
    }

    /// Keeps the rows `rows`, in that order (an ordered answer's page).
    func select(_ rows: some Collection<Int>) {
        renumberDeferred(rows)
        let width = columns.count
        var kept: [UInt64] = []
        kept.reserveCapacity(rows.count * width)
        var keptEvidence: [UInt64] = []
        var ends: [UInt32] = []
        ends.reserveCapacity(rows.count)
        for r in rows {
            kept.append(contentsOf: cells[r * width..<(r + 1) * width])
            keptEvidence.append(contentsOf: evidenceCells[evidenceRange(r)])
            ends.append(UInt32(keptEvidence.count))
        }
        (cells, evidenceCells, evidenceEnds) = (kept, keptEvidence, ends)
    }

    /// Keeps only the rows in `range` (offset and limit applied after a distinct pass).
    func keep(_ range: Range<Int>) {
        guard range != 0..<count else { return }
        renumberDeferred(range)
        let width = columns.count
        cells = Array(cells[range.lowerBound * width..<range.upperBound * width])
        let first = range.isEmpty ? 0 : evidenceRange(range.lowerBound).lowerBound
        let last = range.isEmpty ? 0 : Int(evidenceEnds[range.upperBound - 1])
        evidenceCells = Array(evidenceCells[first..<last])
        evidenceEnds = evidenceEnds[range].map { $0 - UInt32(first) }
    }

    private func evidenceRange(_ row: Int) -> Range<Int> {
        (row == 0 ? 0 : Int(evidenceEnds[row - 1]))..<Int(evidenceEnds[row])
    }

    private func encode(_ v: Value) -> UInt64 {
        switch v {
        case .entity(let e): return JoinPlan.termTag | UInt64(Term(entity: e).raw)
        case .proposition(let p): return JoinPlan.termTag | UInt64(Term(proposition: p).raw)
        case .statement(let s): return JoinPlan.statementTag | UInt64(UInt32(bitPattern: s))
        case .predicate(let p): return JoinPlan.predicateTag | UInt64(UInt32(bitPattern: p))
        case .noRecord: return 0
        default:
            boxed.append(v)
            return Answers.boxTag | UInt64(boxed.count - 1)
        }
    }

    private func decode(_ b: UInt64) -> Value {
        switch b & ~0xFFFF_FFFF {
        case 0: return .noRecord
        case Answers.boxTag: return boxed[Int(UInt32(truncatingIfNeeded: b))]
        case JoinPlan.termTag where Term(raw: UInt32(truncatingIfNeeded: b)).kind == Term.entityKind:
            // No literal table for an entity: reading the lazy table copies it (a retain
            // and a release of each of its arrays), which was most of printing a list of
            // entities.
            return .entity(EntityID(Term(raw: UInt32(truncatingIfNeeded: b)).index))
        default: return JoinPlan.decode(b, literals)
        }
    }

    /// Row `row`'s evidence cells as Evidence: a path's marker and the chain after it (see
    /// `JoinPlan.pathMarker`) as one `.path`.
    private func storedEvidence(_ row: Int) -> [Evidence] {
        let range = evidenceRange(row)
        let isStatement = { (b: UInt64) in b & ~0xFFFF_FFFF == JoinPlan.statementTag }
        guard range.contains(where: { isStatement(evidenceCells[$0]) }) else { return range.map { decodeEvidence(evidenceCells[$0]) } }
        var out: [Evidence] = []
        var statements: [StatementID] = []
        func flush() {
            out += JoinPlan.evidence(list: statements, rules: rules)
            statements.removeAll()
        }
        for i in range {
            let b = evidenceCells[i]
            if isStatement(b) {
                statements.append(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)))
            } else {
                flush()
                out.append(decodeEvidence(b))
            }
        }
        flush()
        return out
    }

    private func decodeEvidence(_ b: UInt64) -> Evidence {
        if b & ~0xFFFF_FFFF == JoinPlan.statementTag { return JoinPlan.evidence(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)), rules: rules) }
        return boxedEvidence[Int(UInt32(truncatingIfNeeded: b))]
    }
}
