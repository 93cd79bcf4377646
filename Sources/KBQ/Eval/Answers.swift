/// A query's answer rows, kept compactly as they come. A cell is a machine word: a stored
/// term, a predicate or a statement in IDJoin's encoding, or an index into `boxed` for any
/// other value; a row's evidence is statement ids in the same encoding. A row costs a few
/// words instead of two arrays of enums, and a `Value` is made only when a row is read
/// (printed, explained by `why N`). The session keeps the last answer this way.
public final class Answers {
    public let columns: [String]
    let store: FactStore
    private var cells: [UInt64] = []
    private var boxed: [Value] = []
    /// Where each row's evidence ends in `evidenceCells`.
    private var evidenceEnds: [UInt32] = []
    private var evidenceCells: [UInt64] = []
    private var boxedEvidence: [Evidence] = []
    /// Evidence merged into a row after later rows were added (a repeated `distinct` row):
    /// it replaces the row's own list.
    private var mergedEvidence: [Int: [Evidence]] = [:]

    static let boxTag: UInt64 = 4 << 32

    public init(columns: [String], store: FactStore) {
        self.columns = columns
        self.store = store
    }

    public var count: Int { evidenceEnds.count }
    public var isEmpty: Bool { evidenceEnds.isEmpty }

    public subscript(row: Int) -> ResultRow { ResultRow(values: values(row), evidence: evidence(row)) }

    public func values(_ row: Int) -> [Value] {
        let width = columns.count
        return (row * width..<(row + 1) * width).map { decode(cells[$0]) }
    }

    public func evidence(_ row: Int) -> [Evidence] {
        if let merged = mergedEvidence[row] { return merged }
        return evidenceRange(row).map { decodeEvidence(evidenceCells[$0]) }
    }

    /// An answer from the term-id join: the projected variables' bindings and the
    /// statements that matched.
    func append(bindings: [UInt64], variables: [Int], statements: [StatementID]) {
        for v in variables { cells.append(bindings[v]) }
        for s in statements { evidenceCells.append(IDJoin.statementTag | UInt64(UInt32(bitPattern: s))) }
        evidenceEnds.append(UInt32(evidenceCells.count))
    }

    func append(values: [Value], evidence: [Evidence]) {
        for v in values { cells.append(encode(v)) }
        for e in evidence {
            if case .statement(let s) = e {
                evidenceCells.append(IDJoin.statementTag | UInt64(UInt32(bitPattern: s)))
            } else {
                evidenceCells.append(Answers.boxTag | UInt64(boxedEvidence.count))
                boxedEvidence.append(e)
            }
        }
        evidenceEnds.append(UInt32(evidenceCells.count))
    }

    func append(_ row: ResultRow) { append(values: row.values, evidence: row.evidence) }

    /// Adds the statements that `row` lacks to its evidence, while it has fewer than `cap`
    /// pieces (as `PreparedQuery.merge` does for rows kept as arrays).
    func mergeEvidence(row: Int, _ statements: [StatementID], cap: Int) {
        var list = mergedEvidence[row] ?? evidence(row)
        guard list.count < cap else { return }
        for s in statements where !list.contains(.statement(s)) { list.append(.statement(s)) }
        mergedEvidence[row] = list
    }

    /// The number of evidence pieces of `row`.
    func evidenceCount(_ row: Int) -> Int { mergedEvidence[row]?.count ?? evidenceRange(row).count }

    /// Keeps only the rows in `range` (offset and limit applied after a distinct pass).
    func keep(_ range: Range<Int>) {
        guard range != 0..<count else { return }
        let width = columns.count
        cells = Array(cells[range.lowerBound * width..<range.upperBound * width])
        let first = range.isEmpty ? 0 : evidenceRange(range.lowerBound).lowerBound
        let last = range.isEmpty ? 0 : Int(evidenceEnds[range.upperBound - 1])
        evidenceCells = Array(evidenceCells[first..<last])
        evidenceEnds = evidenceEnds[range].map { $0 - UInt32(first) }
        var merged: [Int: [Evidence]] = [:]
        for (row, list) in mergedEvidence where range.contains(row) { merged[row - range.lowerBound] = list }
        mergedEvidence = merged
    }

    private func evidenceRange(_ row: Int) -> Range<Int> {
        (row == 0 ? 0 : Int(evidenceEnds[row - 1]))..<Int(evidenceEnds[row])
    }

    private func encode(_ v: Value) -> UInt64 {
        switch v {
        case .entity(let e): return IDJoin.termTag | UInt64(Term(entity: e).raw)
        case .proposition(let p): return IDJoin.termTag | UInt64(Term(proposition: p).raw)
        case .statement(let s): return IDJoin.statementTag | UInt64(UInt32(bitPattern: s))
        case .predicate(let p): return IDJoin.predicateTag | UInt64(UInt32(bitPattern: p))
        case .noRecord: return 0
        default:
            boxed.append(v)
            return Answers.boxTag | UInt64(boxed.count - 1)
        }
    }

    private func decode(_ b: UInt64) -> Value {
        switch b & ~0xFFFF_FFFF {
        case 0: return .noRecord
        case IDJoin.termTag: return store.value(Term(raw: UInt32(truncatingIfNeeded: b)))
        case IDJoin.predicateTag: return .predicate(PredicateID(bitPattern: UInt32(truncatingIfNeeded: b)))
        case IDJoin.statementTag: return .statement(StatementID(bitPattern: UInt32(truncatingIfNeeded: b)))
        default: return boxed[Int(UInt32(truncatingIfNeeded: b))]
        }
    }

    private func decodeEvidence(_ b: UInt64) -> Evidence {
        if b & ~0xFFFF_FFFF == IDJoin.statementTag { return .statement(StatementID(bitPattern: UInt32(truncatingIfNeeded: b))) }
        return boxedEvidence[Int(UInt32(truncatingIfNeeded: b))]
    }
}
