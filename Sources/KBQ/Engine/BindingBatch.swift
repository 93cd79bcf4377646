/// Rows of a join in progress, a column at a time: one column of bindings per variable (and
/// per origin slot, see BatchJoin.Op) and one column of statements per evidence slot.
///
/// Invariants: every non-empty column has `count` entries; an empty column stands for a
/// column of zeros (a variable unbound in every row) or, for evidence, of `noStatement`.
/// Bindings use JoinPlan's encoding (`JoinPlan.termTag` and the rest; 0 unbound).
struct BindingBatch {
    var count: Int
    var columns: [[UInt64]]
    var evidence: [[StatementID]]

    /// An evidence slot of a row that no statement filled (a branch of `or` not taken, an
    /// `optional` that found nothing). -1 is `JoinPlan.typeEvidence` of entity 0xFFFFFF,
    /// which no store that uses type evidence has (see `JoinPlan.maxEvidenceEntities`).
    static let noStatement: StatementID = -1

    /// One row of unbound variables (as `rows` gives it), shared.
    static let unboundRow = [UInt64](repeating: 0, count: 64)

    init(count: Int, width: Int, slots: Int) {
        self.count = count
        // Not Array(repeating:count:), whose merged generic form looks the element type's
        // metadata up at every call: a batch is made at every step of every small query.
        columns = []
        columns.reserveCapacity(width)
        for _ in 0..<width { columns.append([]) }
        evidence = []
        evidence.reserveCapacity(slots)
        for _ in 0..<slots { evidence.append([]) }
    }

    /// Variable `v`'s column (empty: unbound in every row), or an empty one for no variable.
    func column(_ v: Int?) -> [UInt64] { v.map { columns[$0] } ?? [] }

    /// The rows `rows` of this batch, in that order (a row may repeat).
    func gathered(_ rows: [Int32]) -> BindingBatch {
        var out = BindingBatch(count: rows.count, width: columns.count, slots: evidence.count)
        out.refill(gathering: self, rows)
        return out
    }

    /// Becomes the rows `rows` of `batch` (same shape), in that order, in this batch's own
    /// arrays where it can: `gathered` without making a batch.
    mutating func refill(gathering batch: BindingBatch, _ rows: [Int32]) {
        count = rows.count
        rows.withUnsafeBufferPointer { rows in
            for v in columns.indices {
                if batch.columns[v].isEmpty {
                    columns[v].removeAll(keepingCapacity: true)
                } else {
                    BindingBatch.fill(&columns[v], gathering: batch.columns[v], rows)
                }
            }
            for s in evidence.indices {
                if batch.evidence[s].isEmpty {
                    evidence[s].removeAll(keepingCapacity: true)
                } else {
                    BindingBatch.fill(&evidence[s], gathering: batch.evidence[s], rows)
                }
            }
        }
    }

    /// `target` becomes `column[rows[i]]` for each i, in its own buffer when that is large
    /// enough and not shared.
    @inline(__always) static func fill<T>(_ target: inout [T], gathering column: [T], _ rows: UnsafeBufferPointer<Int32>) {
        target.removeAll(keepingCapacity: true)
        guard rows.count > 0 else { return }
        // Sized first (a fill), then written through a buffer: an append a value checked
        // the capacity at each.
        target.append(contentsOf: repeatElement(column[Int(rows[0])], count: rows.count))
        target.withUnsafeMutableBufferPointer { o in
            column.withUnsafeBufferPointer { c in
                for i in 0..<rows.count { o[i] = c[Int(rows[i])] }
            }
        }
    }

    /// `target` becomes column `j` of `rows` rows kept row by row, `stride` values a row,
    /// in its own buffer when that is large enough and not shared.
    @inline(__always) static func fill<T>(_ target: inout [T], column j: Int, of flat: [T], stride: Int, rows: Int) {
        target.removeAll(keepingCapacity: true)
        guard rows > 0 else { return }
        target.append(contentsOf: repeatElement(flat[j], count: rows))
        target.withUnsafeMutableBufferPointer { o in
            flat.withUnsafeBufferPointer { m in
                for r in 0..<rows { o[r] = m[r * stride + j] }
            }
        }
    }

    /// Column `j` of `rows` rows kept row by row, `stride` values a row (a step's made
    /// rows, or a path's evidence slots), as a column of its own.
    static func column<T>(_ flat: [T], _ j: Int, stride: Int, rows: Int) -> [T] {
        flat.withUnsafeBufferPointer { m in
            [T](unsafeUninitializedCapacity: rows) { c, initialized in
                for r in 0..<rows { (c.baseAddress! + r).initialize(to: m[r * stride + j]) }
                initialized = rows
            }
        }
    }

    /// `column[rows[i]]` for each i, through buffers (`map` checked capacity at each).
    @inline(__always) static func gather<T>(_ column: [T], _ rows: UnsafeBufferPointer<Int32>) -> [T] {
        column.withUnsafeBufferPointer { c in
            [T](unsafeUninitializedCapacity: rows.count) { o, initialized in
                for i in 0..<rows.count { (o.baseAddress! + i).initialize(to: c[Int(rows[i])]) }
                initialized = rows.count
            }
        }
    }

    /// Rows taken from several batches of the same shape, `picks[i]` being (batch, row):
    /// how `optional` and `or` put their rows back in their inputs' order.
    static func interleaved(_ sources: [BindingBatch], _ picks: [(source: Int32, row: Int32)]) -> BindingBatch {
        let width = sources[0].columns.count
        let slots = sources[0].evidence.count
        var out = BindingBatch(count: picks.count, width: width, slots: slots)
        for v in 0..<width where sources.contains(where: { !$0.columns[v].isEmpty }) {
            let parts = sources.map { $0.columns[v] }
            out.columns[v] = picks.map { p in parts[Int(p.source)].isEmpty ? 0 : parts[Int(p.source)][Int(p.row)] }
        }
        for s in 0..<slots where sources.contains(where: { !$0.evidence[s].isEmpty }) {
            let parts = sources.map { $0.evidence[s] }
            out.evidence[s] = picks.map { p in parts[Int(p.source)].isEmpty ? noStatement : parts[Int(p.source)][Int(p.row)] }
        }
        return out
    }

    /// Appends the rows of `other` (same shape).
    mutating func append(_ other: BindingBatch) {
        guard other.count > 0 else { return }
        for v in columns.indices where !columns[v].isEmpty || !other.columns[v].isEmpty {
            if columns[v].isEmpty { columns[v] = Array(repeating: 0, count: count) }
            if other.columns[v].isEmpty {
                columns[v].append(contentsOf: repeatElement(0, count: other.count))
            } else {
                columns[v] += other.columns[v]
            }
        }
        for s in evidence.indices where !evidence[s].isEmpty || !other.evidence[s].isEmpty {
            if evidence[s].isEmpty { evidence[s] = Array(repeating: BindingBatch.noStatement, count: count) }
            if other.evidence[s].isEmpty {
                evidence[s].append(contentsOf: repeatElement(BindingBatch.noStatement, count: other.count))
            } else {
                evidence[s] += other.evidence[s]
            }
        }
        count += other.count
    }

    /// The columns `variables` row by row: row r's value of `variables[j]` at
    /// `r * variables.count + j`. A step reads its variables this way, a row at a time.
    func rows(_ variables: [Int]) -> [UInt64] {
        let width = variables.count
        // A query's first step meets one row with nothing bound: no array to make.
        if count == 1, width <= BindingBatch.unboundRow.count, variables.allSatisfy({ columns[$0].isEmpty }) {
            return BindingBatch.unboundRow
        }
        return [UInt64](unsafeUninitializedCapacity: count * width) { o, initialized in
            for (j, v) in variables.enumerated() {
                if columns[v].isEmpty {
                    for r in 0..<count { o[r * width + j] = 0 }
                } else {
                    columns[v].withUnsafeBufferPointer { c in
                        for r in 0..<count { o[r * width + j] = c[r] }
                    }
                }
            }
            initialized = count * width
        }
    }

    @inline(__always) func binding(_ v: Int, _ row: Int) -> UInt64 {
        columns[v].isEmpty ? 0 : columns[v][row]
    }
}
