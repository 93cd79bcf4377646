/// The rules of `group by` that are checked before a query runs (grammar/semantics.md):
/// an alias groups by its expression, and every projection of a grouped query is an
/// aggregate or grouped, as in standard SQL, so no column takes an arbitrary row's value.
extension PreparedQuery {
    /// The `group by` expressions with each alias replaced by its projection's expression.
    static func resolveAliases(in q: QuerySyntax, source: SourceText) throws(Diagnostic) -> [ExprSyntax] {
        var result: [ExprSyntax] = []
        for g in q.groupBy {
            guard case .term(.variable(let v, _)) = g, let p = q.projections?.first(where: { $0.alias == v }) else {
                result.append(g)
                continue
            }
            if containsAggregate(p.expr) {
                throw Diagnostic(.error, "cannot group by '?\(v)': it is an aggregate", source: source, range: g.range)
            }
            result.append(p.expr)
        }
        return result
    }

    /// Every projection and ordering key outside its aggregates reads only what is grouped:
    /// a grouped expression itself, or variables that are grouped on their own.
    static func checkGrouped(_ q: QuerySyntax, _ groups: [ExprSyntax], source: SourceText) throws(Diagnostic) {
        let groupedTexts = Set(groups.map { canonicalText($0, source) })
        var groupedVariables = Set<String>()
        for g in groups { if case .term(.variable(let v, _)) = g { groupedVariables.insert(v) } }
        let aliases = Set((q.projections ?? []).compactMap(\.alias))
        func isGrouped(_ e: ExprSyntax) -> Bool {
            if groupedTexts.contains(canonicalText(e, source)) { return true }
            switch e {
            case .term(.variable(let v, _)): return groupedVariables.contains(v) || aliases.contains(v)
            case .term: return true
            case .field(let inner, _): return isGrouped(inner)
            case .call(let fn, let args, _, _, _): return AggregateFunction(rawValue: fn.text) != nil || args.allSatisfy(isGrouped)
            case .compare(_, let l, let r, _): return isGrouped(l) && isGrouped(r)
            }
        }
        for e in (q.projections ?? []).map(\.expr) + q.orderBy.map(\.expr) where !isGrouped(e) {
            let text = canonicalText(e, source)
            throw Diagnostic(
                .error, "'\(text)' is neither grouped nor aggregated: add it to 'group by', or use an aggregate such as min(\(text))",
                source: source, range: e.range)
        }
    }

    static func containsAggregate(_ e: ExprSyntax) -> Bool {
        switch e {
        case .term: return false
        case .field(let inner, _): return containsAggregate(inner)
        case .call(let fn, let args, _, _, _): return AggregateFunction(rawValue: fn.text) != nil || args.contains(where: containsAggregate)
        case .compare(_, let l, let r, _): return containsAggregate(l) || containsAggregate(r)
        }
    }

    /// An expression as written, without spaces: `?s . pred` and `?s.pred` are one key.
    static func canonicalText(_ e: ExprSyntax, _ source: SourceText) -> String {
        String(decoding: source.bytes[e.range].filter { $0 != 32 && $0 != 9 && $0 != 10 && $0 != 13 }, as: UTF8.self)
    }
}
