/// `.explain QUERY`: the plan of a query that has run, step by step in the order the
/// steps run, each with how it ran and its rows, as the planner estimated them and as the
/// run counted them; then what the answer's rows went through.
extension PreparedQuery {
    public func explanation(answers: Int) -> String {
        let c = compiled
        var planner = Planner(store: store, source: source, variables: c.variables)
        planner.limits = .none
        var lines: [(step: String, estimated: String, counted: String, how: String, goal: String)] = []
        let ran = keptJoin?.ops
        func text(_ g: Goal) -> String {
            let r = g.range
            guard r.lowerBound >= 0, r.upperBound <= source.bytes.count, r.lowerBound < r.upperBound else { return "(goal)" }
            return String(decoding: source.bytes[r], as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        }
        func number(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "?" }
            return PreparedQuery.grouped(Int(min(x.rounded(), 1e15)))
        }
        func walk(_ goals: [Goal], _ ops: [BatchJoin.Op]?, _ estimates: [Double?], prefix: String, depth: Int) {
            for (i, g) in goals.enumerated() {
                let op = ops.flatMap { i < $0.count ? $0[i] : nil }
                let step = prefix + "\(i + 1)"
                let indent = String(repeating: "  ", count: depth)
                // The query's first step starts from nothing bound.
                let first = i == 0 && depth == 0
                let how: String
                switch (g, op) {
                case (.pattern, .pattern(let o)?):
                    let way = o.hashed ? o.key.map { "hash join on ?\(c.variables[$0.variable])" } : nil
                    // Its rows are those that later steps' ends checked at its matches
                    // (`PairCheck`) and the filters applied in its scan let through.
                    how = (way ?? (first ? "scan" : "index")) + (o.pairChecks.contains { $0.isBuilt } ? ", later ends checked" : "")
                        + (o.pushed.isEmpty && o.pushedTypes.isEmpty ? "" : ", filtered")
                case (.pattern(let p), .isA?):
                    if case .constant = p.subject { how = "type check" } else { how = first ? "members" : "type check" }
                case (.not, .pattern(let o)?):
                    how = o.decidedByPairs ? "anti-join by pairs"
                        : o.hashed ? "anti-join by hash" + (o.key.map { " on ?\(c.variables[$0.variable])" } ?? "") : "anti-join by index"
                case (.optional, .pattern(let o)?):
                    how = o.hashed ? "left hash join" + (o.key.map { " on ?\(c.variables[$0.variable])" } ?? "") : "left join by index"
                case (.pattern, .path?): how = "path walk"
                case (.pattern, .hashJoin?): how = "hash join on the next filter"
                case (.pattern, _): how = "search"
                case (.filter, .absorbed?): how = "predicates of the step before"
                case (.filter, _): how = "filter"
                case (.not, _): how = "anti-join"
                case (.optional, _): how = "left join"
                case (.or, _): how = "union"
                case (.call, .call?): how = "rule's relation"
                case (.call, _): how = "rule"
                }
                let counted = op.map { PreparedQuery.grouped($0.rowsOut) } ?? "-"
                lines.append((step, number(i < estimates.count ? estimates[i] : nil), counted, how, indent + text(g)))
                switch (g, op) {
                case (.not(let inner, _), .not(let innerOps, _, _)?), (.optional(let inner, _), .optional(let innerOps, _, _)?):
                    walk(inner, innerOps, planner.estimatedRows(inner, rows: nil, bound: []), prefix: step + ".", depth: depth + 1)
                case (.optional, .pattern?), (.not, .pattern?):
                    break
                case (.not(let inner, _), _), (.optional(let inner, _), _):
                    walk(inner, nil, planner.estimatedRows(inner, rows: nil, bound: []), prefix: step + ".", depth: depth + 1)
                case (.or(let branches), let o):
                    var branchOps: [[BatchJoin.Op]]? = nil
                    if case .or(let b, _, _)? = o { branchOps = b }
                    for (n, b) in branches.enumerated() {
                        walk(b, branchOps.map { $0[n] }, planner.estimatedRows(b, rows: nil, bound: []), prefix: step + "." + "\(n + 1).", depth: depth + 1)
                    }
                default: break
                }
            }
        }
        walk(c.goals, ran, planner.estimatedRows(c.goals, rows: 1, bound: []), prefix: "", depth: 0)
        // The relations the calls read, and how their fixpoints ran.
        var shown = Set<Int>()
        for call in keptJoin?.callOps ?? [] where shown.insert(call.step.rule).inserted {
            guard let r = rules.tables[call.step.rule] else { continue }
            let ms = Double(r.nanoseconds) / 1e6
            lines.append(("", "", "", "", "(rule \(r.name): \(PreparedQuery.grouped(r.count)) tuple\(r.count == 1 ? "" : "s"), computed in \(r.rounds) round\(r.rounds == 1 ? "" : "s") of a semi-naive fixpoint, \(PreparedQuery.format(ms)) ms)"))
        }
        if countedFactorized {
            lines.append(("", "", "", "", "(counted without making the answers: each pattern's matches counted once, along the joins' tree; the steps ran only for the evidence)"))
        } else if ran == nil {
            lines.append(("", "", "", "", "(run by the general evaluator, which takes closures, some quoted patterns and calls of rules whose heads name values no statement holds: no counts)"))
        }
        let header = (step: "step", estimated: "rows (estimated)", counted: "rows (counted)", how: "how", goal: "goal")
        let all = [header] + lines
        let w0 = all.map(\.step.count).max() ?? 0
        let w1 = all.map(\.estimated.count).max() ?? 0
        let w2 = all.map(\.counted.count).max() ?? 0
        let w3 = all.map(\.how.count).max() ?? 0
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, w - s.count))
            return right ? fill + s : s + fill
        }
        var out = ""
        for l in all {
            out += [pad(l.step, w0), pad(l.estimated, w1, right: true), pad(l.counted, w2, right: true), pad(l.how, w3), l.goal].joined(separator: "  ")
            out = String(out.reversed().drop { $0 == " " }.reversed()) + "\n"
        }
        var then: [String] = []
        if c.isAggregate { then.append(c.groupBy.isEmpty ? "aggregated" : "grouped by \(c.groupBy.count) key\(c.groupBy.count == 1 ? "" : "s")") }
        if c.distinct { then.append("made distinct") }
        if !c.orderBy.isEmpty { then.append("ordered by \(c.orderBy.count) key\(c.orderBy.count == 1 ? "" : "s")") }
        if let o = c.offset { then.append("offset \(o)") }
        if let l = c.limit { then.append("limit \(l)") }
        then.append("\(PreparedQuery.grouped(answers)) answer\(answers == 1 ? "" : "s")")
        return out + "then: " + then.joined(separator: ", ") + "\n"
    }
}

extension Planner {
    /// The rows each goal is expected to leave, in plan order, by the model of
    /// Planner+Order (nil where it has none: paths, rules, quoted patterns, and what comes
    /// after them). `rows`: the rows reaching the first goal (nil: unknown).
    func estimatedRows(_ goals: [Goal], rows: Double?, bound: Set<Int>) -> [Double?] {
        var rows = rows
        var bound = bound
        var out: [Double?] = []
        for g in goals {
            switch g {
            case .pattern(let p):
                if let r = rows, let f = facts(p) { rows = r * estimate(f, bound: bound).fanout } else { rows = nil }
            case .filter: rows = rows.map { $0 * 0.25 }
            case .not: rows = rows.map { $0 * 0.5 }
            case .optional, .or, .call: rows = nil
            }
            bound.formUnion(Planner.binds(g))
            out.append(rows)
        }
        return out
    }
}

extension PreparedQuery {
    /// 1234567 as "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}
