extension Compiler {

    mutating func compileExpr(_ e: ExprSyntax, allowAggregates: Bool) throws(Diagnostic) -> CompiledExpr {
        switch e {
        case .term(let t):
            if case .proposition(_, let r) = t { throw error("a proposition cannot be used as a value here", r) }
            return .slot(try compileTerm(t, quoted: false))
        case .field(let inner, let name):
            let base = try compileExpr(inner, allowAggregates: allowAggregates)
            if Field(rawValue: name.text) == nil && store.keyID(name.text) == nil {
                let candidates = Field.allCases.map(\.rawValue) + store.keys.map(\.name)
                throw error("unknown field '\(name.text)'\(Suggest.hint(name.text, candidates))", name.range)
            }
            return .field(base, CompiledField(name.text), name.range)
        case .call(let fn, let args, let distinct, let star, let range):
            if let aggregate = AggregateFunction(rawValue: fn.text) {
                guard allowAggregates else {
                    throw error("'\(fn.text)' is an aggregate: use it in 'find' or 'order by', not in 'where'", fn.range)
                }
                if star {
                    guard fn.text == "count" else { throw error("only count takes '*'", range) }
                    return .aggregate(.count, nil, distinct: false, range)
                }
                guard args.count == 1 else { throw error("'\(fn.text)' takes one argument", range) }
                let arg = try compileExpr(args[0], allowAggregates: false)
                return .aggregate(aggregate, arg, distinct: distinct, range)
            }
            guard let function = ValueFunction(rawValue: fn.text) else {
                let all = ValueFunction.allCases.map(\.rawValue) + AggregateFunction.allCases.map(\.rawValue)
                throw error("unknown function '\(fn.text)'\(Suggest.hint(fn.text, all))", fn.range)
            }
            // Every value function takes one argument.
            guard args.count == 1, !star, !distinct else {
                throw error("'\(fn.text)' takes 1 argument", range)
            }
            var compiled: [CompiledExpr] = []
            for a in args { compiled.append(try compileExpr(a, allowAggregates: allowAggregates)) }
            return .function(function, compiled, range)
        case .compare(let op, let l, let r, let opRange):
            let left = try compileExpr(l, allowAggregates: allowAggregates)
            if op == .matches {
                guard case .term(.string(let pattern, let pr)) = r else {
                    throw error("'matches' takes a regular expression in a string", r.range)
                }
                do {
                    return .regex(left, try LinearRegex(pattern), opRange)
                } catch {
                    throw self.error("invalid regular expression: \(error.message)", pr)
                }
            }
            return .compare(op, left, try compileExpr(r, allowAggregates: allowAggregates), opRange)
        }
    }

    /// A column heading: the expression as written, without the '?' of variables.
    func columnName(_ e: ExprSyntax) -> String {
        let text = String(decoding: source.bytes[e.range], as: UTF8.self)
        return String(text.filter { $0 != "?" })
    }
}
