/// Grouping and aggregates: each solution is folded into its group as it comes, so a count
/// over a million statements keeps a counter, not a million values.
extension PreparedQuery {
    /// An aggregate row keeps the evidence of its first solutions only: enough for `why`,
    /// and a count over a million statements does not carry a million of them.
    static let evidencePerGroup = 64

    /// The aggregate calls of the projections, then of `order by`, in the order that
    /// `evalAggregated` meets them.
    var aggregateCalls: [(function: AggregateFunction, argument: CompiledExpr?, distinct: Bool, range: Range<Int>)] {
        var calls: [(AggregateFunction, CompiledExpr?, Bool, Range<Int>)] = []
        func walk(_ e: CompiledExpr) {
            switch e {
            case .aggregate(let fn, let arg, let distinct, let range): calls.append((fn, arg, distinct, range))
            case .compare(_, let l, let r, _): walk(l); walk(r)
            case .function(_, let args, _): args.forEach(walk)
            case .field(let inner, _, _), .regex(let inner, _, _): walk(inner)
            case .slot: break
            }
        }
        compiled.projections.forEach { walk($0.expr) }
        compiled.orderBy.forEach { walk($0.expr) }
        return calls
    }

    /// Groups solutions as they come by the non-aggregate columns (or `group by`), keeping
    /// of each group its first row and a running accumulator per aggregate call. An
    /// aggregate query over no rows gives one row (count 0) when nothing groups it.
    func aggregate(_ exec: Execution) throws -> [Collected] {
        let c = compiled
        let keyExprs = c.groupBy.isEmpty ? c.projections.filter { !$0.expr.hasAggregate }.map(\.expr) : c.groupBy
        let calls = aggregateCalls
        var groups = GroupTable(entityCount: keyExprs.count == 1 ? store.entities.count : 0)
        var firstRows: [[Value?]] = []
        var accumulators: [[Accumulator]] = []
        var evidence: [[Evidence]] = []
        let fresh = calls.map { Accumulator(function: $0.function, distinct: $0.distinct, range: $0.range) }
        var key: [Value] = []
        let goals = c.goals
        try exec.solveTop(goals, join: join(exec), reading: readVariables) {
            key.removeAll(keepingCapacity: true)
            for e in keyExprs { key.append(try exec.eval(e)) }
            let g = groups.group(of: key, next: firstRows.count)
            if g == firstRows.count {
                firstRows.append(exec.row)
                accumulators.append(fresh)
                evidence.append([])
            }
            for (i, call) in calls.enumerated() {
                let v = try call.argument.map { try exec.eval($0) } ?? .integer(1)
                if v != .noRecord { try accumulators[g][i].add(v, exec.ops, source) }
            }
            if evidence[g].count < PreparedQuery.evidencePerGroup {
                PreparedQuery.merge(into: &evidence[g], exec.evidence)
            }
        }
        if firstRows.isEmpty && keyExprs.isEmpty {
            firstRows = [Array(repeating: nil, count: c.variables.count)]
            accumulators = [fresh]
            evidence = [[]]
        }
        var out: [Collected] = []
        out.reserveCapacity(firstRows.count)
        for g in firstRows.indices {
            exec.row = firstRows[g]
            let results = try accumulators[g].map { try $0.result(exec.ops, source) }
            let values = try aggregatedProjections(results, exec)
            out.append((exec.row, values, evidence[g], results, -1))
        }
        return out
    }

    /// A group's answer: the projections over its first row and its aggregate results, each
    /// alias set in the row as it is made.
    func aggregatedProjections(_ results: [Value], _ exec: Execution) throws -> [Value] {
        var values: [Value] = []
        var counter = 0
        for (i, p) in compiled.projections.enumerated() {
            let v = try evalAggregated(p.expr, results, &counter, exec)
            values.append(v)
            if let a = compiled.aliasSlots[i] { exec.row[a] = v }
        }
        return values
    }

    /// Evaluates an expression whose aggregate calls take their results, in order, from
    /// `results` (`counter` counts the calls met so far).
    func evalAggregated(_ e: CompiledExpr, _ results: [Value], _ counter: inout Int, _ exec: Execution) throws -> Value {
        switch e {
        case .aggregate:
            let v = counter < results.count ? results[counter] : .noRecord
            counter += 1
            return v
        case .compare(let op, let l, let r, let range) where e.hasAggregate:
            let lv = try evalAggregated(l, results, &counter, exec)
            let rv = try evalAggregated(r, results, &counter, exec)
            return try exec.ops.compare(op, lv, rv, range) ? .integer(1) : .none
        case .function(let function, let args, let range) where e.hasAggregate:
            return try exec.ops.function(function, try evalAggregated(args[0], results, &counter, exec), range)
        case .field(let inner, let field, _) where e.hasAggregate:
            return exec.ops.field(try evalAggregated(inner, results, &counter, exec), field)
        case .regex(let inner, let regex, _) where e.hasAggregate:
            let v = try evalAggregated(inner, results, &counter, exec)
            return v != .noRecord && regex.matches(exec.ops.text(v)) ? .integer(1) : .none
        default:
            return try exec.eval(e)
        }
    }

    static func format(_ d: Double) -> String {
        let scaled = (d * 1000).rounded() / 1000
        var s = String(scaled)
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }
}

/// Group numbers by key. A single entity key is looked up in an array indexed by the
/// entity, the commonest grouping (`count(?s)` per author, per source), without hashing.
struct GroupTable {
    private var byEntity: [Int32]
    private var bySingle: [Value: Int] = [:]
    private var byKey: [[Value]: Int] = [:]

    init(entityCount: Int) { byEntity = Array(repeating: -1, count: entityCount) }

    /// The group of `key`; a new key gets `next`.
    mutating func group(of key: [Value], next: Int) -> Int {
        if key.count == 1 { return group(of: key[0], next: next) }
        if let g = byKey[key] { return g }
        byKey[key] = next
        return next
    }

    /// The group of a one-value key; a new key gets `next`.
    mutating func group(of key: Value, next: Int) -> Int {
        if case .entity(let e) = key, Int(e) < byEntity.count {
            if byEntity[Int(e)] < 0 { byEntity[Int(e)] = Int32(next) }
            return Int(byEntity[Int(e)])
        }
        if let g = bySingle[key] { return g }
        bySingle[key] = next
        return next
    }
}

/// The running value of one aggregate call in one group.
struct Accumulator {
    let function: AggregateFunction
    let distinct: Bool
    let range: Range<Int>
    var count = 0
    /// The exact sum so far, `total / 10^scale`: 128 bits hold any sum of 64-bit integers
    /// a query can reach, and decimals at the precision they are written.
    var total: Int128 = 0
    var scale = 0
    var allIntegers = true
    var best: Value? = nil
    /// With `distinct`: the values seen, reduced at the end.
    var seen: Set<Value> = []

    init(function: AggregateFunction, distinct: Bool, range: Range<Int>) {
        self.function = function
        self.distinct = distinct
        self.range = range
    }

    mutating func add(_ v: Value, _ ops: ValueOps, _ source: SourceText) throws {
        if distinct {
            seen.insert(v)
            return
        }
        count += 1
        switch function {
        case .count: break
        case .min:
            // Two integers: the total order is their order (no Values compared by kind).
            if case .integer(let x) = v, case .integer(let y)? = best { if x < y { best = v } } else if best == nil || ops.sortsBefore(v, best!) { best = v }
        case .max:
            if case .integer(let x) = v, case .integer(let y)? = best { if y < x { best = v } } else if best == nil || ops.sortsBefore(best!, v) { best = v }
        case .sum, .avg: try addNumber(v, ops, source)
        }
    }

    /// `total / 10^scale / count` to three decimals, rounded half away from zero, written as
    /// a decimal: digits, a point and up to three more (trailing zeros dropped, none for a
    /// whole number), never an exponent, never `-0`. Exact in 128 bits; past them (a sum
    /// near 2^127), through a Double, written the same way.
    static func average(_ total: Int128, scale: Int, count: Int) -> String {
        var denominator = UInt128(count)
        var exact = true
        for _ in 0..<scale {
            let (d, o) = denominator.multipliedReportingOverflow(by: 10)
            exact = exact && !o
            denominator = d
        }
        let (numerator, o) = total.magnitude.multipliedReportingOverflow(by: 1000)
        var thousandths: UInt128
        if exact && !o {
            thousandths = numerator / denominator
            let remainder = numerator % denominator
            if remainder >= denominator - remainder { thousandths += 1 }
        } else {
            var d = Double(total.magnitude) / Double(count)
            for _ in 0..<scale { d /= 10 }
            thousandths = UInt128((d * 1000).rounded())
        }
        var text = String(thousandths / 1000)
        let fraction = Int(thousandths % 1000)
        if fraction != 0 {
            var digits = String(fraction)
            while digits.count < 3 { digits = "0" + digits }
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return (total < 0 && thousandths != 0 ? "-" : "") + text
    }

    func overflow(_ source: SourceText) -> Diagnostic {
        Diagnostic(.error, "'\(function.rawValue)' overflows: the total does not fit a 64-bit integer", source: source, range: range)
    }

    /// `count` integers whose sum is `sum`, added as `add` adds them one by one (a sum or
    /// an average, not distinct): counted, and the sum taken at the total's scale. The one
    /// difference: a total that would pass 128 bits only on the way, and come back, is
    /// no overflow here.
    mutating func addIntegers(_ sum: Int128, count n: Int, _ source: SourceText) throws {
        precondition(!distinct && (function == .sum || function == .avg))
        count += n
        try addAtScale(sum, source)
    }

    /// Adds a whole number to the total at the total's scale.
    private mutating func addAtScale(_ whole: Int128, _ source: SourceText) throws {
        var m = whole
        for _ in 0..<scale {
            let (t, o) = m.multipliedReportingOverflow(by: 10)
            if o { throw overflow(source) }
            m = t
        }
        let (t, o) = total.addingReportingOverflow(m)
        if o { throw overflow(source) }
        total = t
    }

    mutating func addNumber(_ v: Value, _ ops: ValueOps, _ source: SourceText) throws {
        if case .integer(let n) = v {
            // The common case without the digit arrays of ExactNumber: n at the sum's scale.
            try addAtScale(Int128(n), source)
            return
        }
        guard let n = ExactNumber(v) else {
            throw Diagnostic(.error, "'\(function.rawValue)' needs numbers, found \(ops.kindName(v))", source: source, range: range)
        }
        if case .decimal = v { allIntegers = false }
        if n.fraction.count > scale {
            // Rescale what is summed so far to the finer precision.
            for _ in scale..<n.fraction.count {
                let (t, o) = total.multipliedReportingOverflow(by: 10)
                if o { throw overflow(source) }
                total = t
            }
            scale = n.fraction.count
        }
        guard let m = n.scaled(to: scale) else { throw overflow(source) }
        let (t, o) = total.addingReportingOverflow(m)
        if o { throw overflow(source) }
        total = t
    }

    func result(_ ops: ValueOps, _ source: SourceText) throws -> Value {
        if distinct {
            // No order is needed: a count is the set's size, min and max fold in any order,
            // and sums are exact, so the order of adding cannot change them.
            if function == .count { return .integer(seen.count) }
            var plain = Accumulator(function: function, distinct: false, range: range)
            for v in seen { try plain.add(v, ops, source) }
            return try plain.result(ops, source)
        }
        switch function {
        case .count: return .integer(count)
        case .min, .max: return best ?? .noRecord
        case .sum:
            if allIntegers {
                guard let n = Int(exactly: total) else { throw overflow(source) }
                return .integer(n)
            }
            return .decimal(ExactNumber.decimalText(total, scale: scale))
        case .avg:
            if count == 0 { return .noRecord }
            return .decimal(Accumulator.average(total, scale: scale, count: count))
        }
    }
}
