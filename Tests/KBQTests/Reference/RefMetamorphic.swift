import Foundation

/// A relation between kbq's answer to a derived query and its answers to others of the
/// same batch (indices into the batch).
enum Metamorphic {
    case count(of: Int)                          // count(*) = the number of rows
    case distinct(of: Int)                       // distinct = the rows made unique
    case same(of: Int, why: String)              // permuted conjuncts, constant -> variable
    case union(Int, Int, widthA: Int, widthB: Int)  // (a) or (b) = a's rows and b's rows
    case difference(all: Int, with: Int)         // rest, not g = rest's rows without those of rest, g
    case helper                                  // asked for another check's sake

    var name: String {
        switch self {
        case .count: return "count(*) = rows"
        case .distinct: return "distinct = unique rows"
        case .same(_, let why): return why
        case .union: return "or = union"
        case .difference: return "not = difference"
        case .helper: return "helper"
        }
    }

    func verify(_ got: KBQAnswer, main: (Int) -> KBQAnswer) -> String? {
        func rows(_ a: KBQAnswer) -> [[Cell]]? { if case .rows(let r) = a { return r }; return nil }
        func sorted(_ r: [[Cell]]) -> [[Cell]] { r.sorted { $0.lexicographicallyPrecedes($1) } }
        func show(_ r: [[Cell]]) -> String { sorted(r).prefix(10).map { "(" + $0.map(\.description).joined(separator: ", ") + ")" }.joined(separator: " ") + " [\(r.count) rows]" }
        if case .helper = self { return nil }
        guard let mine = rows(got) else {
            if case .error(let e) = got { return "kbq refused the variant: \(e)" }
            return nil
        }
        switch self {
        case .count(let i):
            guard let base = rows(main(i)) else { return nil }
            return mine.map { $0.map(\.normalised) } == [[Cell.number(String(base.count))]] ? nil : "count(*) gave \(show(mine)), the query \(base.count) rows"
        case .distinct(let i):
            guard let base = rows(main(i)) else { return nil }
            var seen = Set<[Cell]>()
            let want = base.filter { seen.insert($0).inserted }
            return sorted(want) == sorted(mine) ? nil : "distinct gave \(show(mine)), unique rows are \(show(want))"
        case .same(let i, _):
            guard let base = rows(main(i)) else { return nil }
            return sorted(base) == sorted(mine) ? nil : "variant gave \(show(mine)), the query \(show(base))"
        case .union(let a, let b, let wa, let wb):
            guard let ra = rows(main(a)), let rb = rows(main(b)) else { return nil }
            let want = ra.map { $0 + Array(repeating: Cell.null, count: wb) } + rb.map { Array(repeating: Cell.null, count: wa) + $0 }
            return sorted(want) == sorted(mine) ? nil : "or gave \(show(mine)), the union is \(show(want))"
        case .difference(let all, let with):
            guard let ra = rows(main(all)), let rw = rows(main(with)) else { return nil }
            let drop = Set(rw)
            let want = ra.filter { !drop.contains($0) }
            return sorted(want) == sorted(mine) ? nil : "not gave \(show(mine)), the difference is \(show(want))"
        case .helper: return nil
        }
    }
}

/// Derives metamorphic variants of generated queries.
struct Metamorphics {
    var rng: RRandom
    let kb: RKB
    var counter = 0

    /// The variables of a pattern, in the order they are written.
    static func variables(_ p: QPattern) -> [String] {
        var out: [String] = []
        func term(_ t: QTerm) {
            switch t {
            case .variable(let v): out.append(v)
            case .prop(let inner): out += variables(inner)
            default: break
            }
        }
        term(p.s)
        if case .variable(let v) = p.p { out.append(v) }
        term(p.o)
        for q in p.quals { term(q.1) }
        if let v = p.asVar { out.append(v) }
        return out
    }
    static func variables(_ e: QExpr) -> [String] {
        switch e {
        case .term(.variable(let v)): return [v]
        case .field(let x, _): return variables(x)
        case .call(_, let xs): return xs.flatMap(variables)
        case .agg(_, _, let x): return x.map(variables) ?? []
        default: return []
        }
    }
    static func unique(_ vs: [String]) -> [String] { var s = Set<String>(); return vs.filter { s.insert($0).inserted } }

    static func isPlain(_ q: Query) -> Bool { !q.isAggregate && !q.distinct && q.orderBy.isEmpty && q.limit == nil && q.offset == nil }

    /// Variants of main query `index`; `base` is where the derived queries start in the batch.
    mutating func variants(of q: Query, index: Int, all: [Query], base: Int, next: inout Int) -> [(text: String, check: Metamorphic)] {
        guard Self.isPlain(q) else { return [] }
        var out: [(text: String, check: Metamorphic)] = []
        func add(_ text: String, _ check: Metamorphic) { out.append((text, check)); next += 1 }

        if rng.chance(0.5) { add(Query(projections: [QProjection(expr: .agg("count", distinct: false, nil))], body: q.body).text, .count(of: index)) }
        if rng.chance(0.4) { var d = q; d.distinct = true; add(d.text, .distinct(of: index)) }

        // Permuted conjuncts (what precedes the first optional; the rest stays in place).
        if q.body.contains(where: { $0.count >= 2 }) && rng.chance(0.6) {
            var p = q
            p.body = q.body.map { conj in
                let cut = conj.firstIndex { if case .optional = $0 { return true } else { return false } } ?? conj.count
                return rng.shuffled(Array(conj[..<cut])) + conj[cut...]
            }
            if p.text != q.text { add(p.text, .same(of: index, why: "permuted conjuncts")) }
        }

        // A constant in subject, object or qualifier position = a variable filtered to it.
        if let variant = constantToVariable(q) { add(variant.text, .same(of: index, why: "constant = variable filtered to it")) }

        // (a) or (b) with the next plain query.
        if index + 1 < all.count, Self.isPlain(all[index + 1]), rng.chance(0.4) {
            let b = all[index + 1]
            let u = Query(projections: q.projections + b.projections, body: [[.group(q.body)], [.group(b.body)]])
            add(u.text, .union(index, index + 1, widthA: q.projections.count, widthB: b.projections.count))
        }

        // rest, not g = rest minus what extends to g.
        if q.body.count == 1, let conj = q.body.first {
            let patterns = conj.compactMap { g -> QPattern? in if case .pattern(let p) = g { return p }; return nil }
            let onlyPlain = conj.allSatisfy { g in
                switch g { case .pattern, .filter: return true; default: return false }
            }
            if onlyPlain, patterns.count >= 2, rng.chance(0.5) {
                let g = patterns.last!
                var rest = conj
                rest.remove(at: conj.lastIndex { if case .pattern = $0 { return true }; return false }!)
                let restVars = Self.unique(rest.compactMap { x -> [String]? in if case .pattern(let p) = x { return Self.variables(p) }; return nil }.flatMap { $0 })
                let filterVars = rest.flatMap { x -> [String] in if case .filter(let l, _, let r) = x { return Self.variables(l) + Self.variables(r) }; return [] }
                if !restVars.isEmpty, Set(filterVars).isSubset(of: Set(restVars)) {
                    let proj = restVars.map { QProjection(expr: .term(.variable($0))) }
                    let q1 = Query(projections: proj, body: [rest])
                    let q2 = Query(projections: proj, body: [rest + [.pattern(g)]])
                    let q3 = Query(projections: proj, body: [rest + [.not(.pattern(g))]])
                    let i1 = base + next
                    add(q1.text, .helper)
                    let i2 = base + next
                    add(q2.text, .helper)
                    add(q3.text, .difference(all: i1, with: i2))
                }
            }
        }
        return out
    }

    mutating func constantToVariable(_ q: Query) -> Query? {
        guard let conj = q.body.first else { return nil }
        for (gi, g) in conj.enumerated() {
            guard case .pattern(var p) = g, case .path = p.p else { continue }
            counter += 1
            let v = "kc\(counter)"
            var constant: RV?
            if case .constant(let c) = p.s { constant = c; p.s = .variable(v) }
            else if case .constant(let c) = p.o { constant = c; p.o = .variable(v) }
            else if let k = p.quals.firstIndex(where: { if case .constant = $0.1 { return true }; return false }), case .constant(let c) = p.quals[k].1 {
                constant = c; p.quals[k].1 = .variable(v)
            }
            guard let c = constant else { continue }
            var out = q
            out.body[0][gi] = .pattern(p)
            out.body[0].append(.filter(.term(.variable(v)), "=", .term(.constant(c))))
            return out
        }
        return nil
    }
}
