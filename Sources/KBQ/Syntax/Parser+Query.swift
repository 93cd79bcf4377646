extension Parser {
    /// Parses one statement of the query language: the whole text must be used.
    public static func parseCommand(_ source: SourceText, rules: Set<String> = [], parameters: [String: String] = [:]) throws(Diagnostic) -> CommandSyntax {
        var p = try Parser(source, parameters: parameters)
        p.lowercaseCapitalKeywords()
        p.ruleNames = rules
        let c = try p.command()
        try p.expectEnd()
        return c
    }

    /// Keywords and functions in capitals (`FIND ... WHERE`, `COUNT(?x)`), as SQL users
    /// type them, read as the keywords. Only all-capital words: `Group` or `Order` stay
    /// names (a name in capitals that is a keyword is written in backticks).
    mutating func lowercaseCapitalKeywords() {
        for (k, t) in tokens.enumerated() where t.kind == .word && t.text.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) {
            let lower = t.text.lowercased()
            if Parser.keywords.contains(lower) || Parser.valueFunctions.contains(lower) { tokens[k].text = lower }
        }
    }

    /// command = 'why' INTEGER | rule | query
    mutating func command() throws(Diagnostic) -> CommandSyntax {
        if current.isWord("why") {
            let start = advance()
            guard current.kind == .integer, let n = Int(current.text) else {
                throw expected("a row number after 'why'")
            }
            let t = advance()
            return .why(n, range: start.range.lowerBound..<t.range.upperBound)
        }
        if current.isWord("rule") { return .rule(try rule()) }
        // A misspelt leading keyword (`fnd ?x where ...`) reads better as such than as a pattern.
        if current.kind == .word, !Parser.keywords.contains(current.text), peekNext.kind == .variable,
            let near = Suggest.closest(to: current.text, in: ["find", "rule", "why", "where"])
        {
            throw error("unknown keyword '\(current.text)' (did you mean '\(near)'?)", at: current.range)
        }
        return .query(try query())
    }

    /// rule = 'rule' name '(' term (',' term)* ')' ':=' body
    mutating func rule() throws(Diagnostic) -> RuleSyntax {
        let start = try expectWord("rule")
        let name = try self.name("a rule name")
        ruleNames.insert(name.text)
        _ = try open("(")
        var params: [TermSyntax] = []
        repeat { params.append(try term("a rule parameter")) } while acceptSymbol(",")
        _ = try close(")")
        _ = try expectSymbol(":=", "':=' after the rule head")
        let body = try self.body()
        return RuleSyntax(
            name: name, parameters: params, body: body,
            range: start.range.lowerBound..<body.range.upperBound)
    }

    /// query = 'find' 'distinct'? projection (',' projection)* 'where' body modifiers
    ///       | 'where'? body modifiers
    mutating func query() throws(Diagnostic) -> QuerySyntax {
        let start = current.range.lowerBound
        var projections: [ProjectionSyntax]? = nil
        var distinct = false
        if acceptWord("find") {
            distinct = acceptWord("distinct")
            var list: [ProjectionSyntax] = []
            repeat { list.append(try projection()) } while acceptSymbol(",")
            projections = list
            _ = try expectWord("where")
        } else {
            if atEnd { throw expected("a query") }
            _ = acceptWord("where")
        }
        let body = try self.body()
        var q = QuerySyntax(
            projections: projections, distinct: distinct, body: body, groupBy: [], orderBy: [],
            limit: nil, offset: nil, range: start..<start)
        try modifiers(&q)
        q.range = start..<tokens[max(0, index - 1)].range.upperBound
        return q
    }

    /// projection = expr ('as' VARIABLE)?
    mutating func projection() throws(Diagnostic) -> ProjectionSyntax {
        let e = try expr()
        if acceptWord("as") {
            guard current.kind == .variable else { throw expected("a variable after 'as'") }
            return ProjectionSyntax(expr: e, alias: advance().text)
        }
        return ProjectionSyntax(expr: e, alias: nil)
    }

    /// modifiers = ('group' 'by' expr (',' expr)*)? ('order' 'by' order (',' order)*)?
    ///             ('limit' INTEGER)? ('offset' INTEGER)?
    mutating func modifiers(_ q: inout QuerySyntax) throws(Diagnostic) {
        if acceptWord("group") {
            _ = try expectWord("by")
            repeat { q.groupBy.append(try expr()) } while acceptSymbol(",")
        }
        if acceptWord("order") {
            _ = try expectWord("by")
            repeat {
                let e = try expr()
                var descending = false
                if acceptWord("desc") { descending = true } else { _ = acceptWord("asc") }
                q.orderBy.append(OrderSyntax(expr: e, descending: descending))
            } while acceptSymbol(",")
        }
        if acceptWord("limit") { q.limit = try count("limit") }
        if acceptWord("offset") { q.offset = try count("offset") }
    }

    mutating func count(_ after: String) throws(Diagnostic) -> Int {
        guard current.kind == .integer, let n = Int(current.text), n >= 0 else {
            throw expected("a number after '\(after)'")
        }
        _ = advance()
        return n
    }

    /// body = conjunction ('or' conjunction)*
    mutating func body() throws(Diagnostic) -> GoalSyntax {
        let first = try conjunction()
        guard current.isWord("or") else { return first }
        var parts = [first]
        while acceptWord("or") { parts.append(try conjunction()) }
        return .or(parts)
    }

    /// conjunction = goal ((',' | 'and') goal)*
    mutating func conjunction() throws(Diagnostic) -> GoalSyntax {
        var goals = [try goal()]
        while current.isSymbol(",") || current.isWord("and") {
            _ = advance()
            goals.append(try goal())
        }
        return goals.count == 1 ? goals[0] : .and(goals)
    }

    /// goal = 'not' goal | 'optional' '(' body ')' | '(' body ')' | ruleCall | filter | pattern
    mutating func goal() throws(Diagnostic) -> GoalSyntax {
        let t = current
        if t.isWord("not") {
            _ = advance()
            depth += 1
            defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error("nesting too deep (more than \(Parser.maxDepth) levels)", at: t.range) }
            let inner = try goal()
            return .not(inner, range: t.range.lowerBound..<inner.range.upperBound)
        }
        if t.isWord("optional") {
            _ = advance()
            _ = try open("(")
            let inner = try body()
            let close = try close(")")
            return .optional(inner, range: t.range.lowerBound..<close.range.upperBound)
        }
        if t.isSymbol("(") {
            _ = try open("(")
            let inner = try body()
            _ = try close(")")
            return inner
        }
        // `name(` with no space is a rule call, even of a rule defined further on;
        // `Entity (p/q)* ?x`, with a space, is a pattern with a bracketed path.
        // A function of values (`year(?d) = 2020`) starts a filter unless a rule takes its name.
        let next = peekNext
        let isFunction = Parser.valueFunctions.contains(t.text) && !ruleNames.contains(t.text)
        if t.kind == .word && next.isSymbol("(") && !isFunction && (ruleNames.contains(t.text) || next.range.lowerBound == t.range.upperBound) {
            return try ruleCall()
        }
        return try filterOrPattern()
    }

    /// The functions of `expr` (an aggregate in `where` then gets its own error).
    static let valueFunctions: Set<String> = ["lower", "upper", "str", "len", "year", "count", "sum", "min", "max", "avg"]

    /// ruleCall = name '(' term (',' term)* ')'
    mutating func ruleCall() throws(Diagnostic) -> GoalSyntax {
        let name = try self.name("a rule name")
        _ = try open("(")
        var args: [TermSyntax] = []
        repeat { args.append(try term("an argument")) } while acceptSymbol(",")
        let close = try close(")")
        return .call(name, args, range: name.range.lowerBound..<close.range.upperBound)
    }

    /// filter = expr compareOp expr ;  pattern = term path term qualifiers? ('as' VARIABLE)?
    mutating func filterOrPattern() throws(Diagnostic) -> GoalSyntax {
        let left = try operand()
        if let op = compareOp() {
            let opToken = advance()
            let right = try operand()
            return .filter(.compare(op, left, right, opRange: opToken.range))
        }
        guard case .term(let subject) = left else {
            throw expected("a comparison operator after the expression")
        }
        if startsPath(current) {
            return .pattern(try patternRest(subject: subject, inProposition: false))
        }
        if atEnd { throw expected("a predicate") }
        throw expected("a predicate or a comparison")
    }

    func startsPath(_ t: Token) -> Bool {
        switch t.kind {
        case .word: return !Parser.keywords.contains(t.text)
        case .variable, .quotedName, .iri: return true
        case .symbol: return t.text == "^" || t.text == "("
        default: return false
        }
    }

    func compareOp() -> CompareOp? {
        let t = current
        if t.kind == .symbol, let op = CompareOp(rawValue: t.text) { return op }
        if t.kind == .word, ["contains", "matches", "in"].contains(t.text) { return CompareOp(rawValue: t.text) }
        return nil
    }

    /// expr = operand (compareOp operand)?
    mutating func expr() throws(Diagnostic) -> ExprSyntax {
        let left = try operand()
        if let op = compareOp() {
            let opToken = advance()
            return .compare(op, left, try operand(), opRange: opToken.range)
        }
        return left
    }

    /// operand = primary ('.' WORD)* ;  primary = call | term
    /// call = WORD '(' 'distinct'? (expr | '*') (',' expr)* ')'
    mutating func operand() throws(Diagnostic) -> ExprSyntax {
        var e: ExprSyntax
        let t = current
        // A call: a word touching its `(`, or one of the language's functions with a space
        // before it (`count (?x)`, as SQL allows).
        if t.kind == .word && peekNext.isSymbol("(") && !Parser.keywords.contains(t.text)
            && (peekNext.range.lowerBound == t.range.upperBound || (Parser.valueFunctions.contains(t.text) && !ruleNames.contains(t.text)))
        {
            let fn = Name(advance().text, t.range)
            _ = try open("(")
            let distinct = acceptWord("distinct")
            var args: [ExprSyntax] = []
            var star = false
            if acceptSymbol("*") {
                star = true
            } else if !current.isSymbol(")") {
                repeat { args.append(try expr()) } while acceptSymbol(",")
            }
            let close = try close(")")
            e = .call(fn, args, distinct: distinct, star: star, range: t.range.lowerBound..<close.range.upperBound)
        } else {
            e = .term(try term("a term"))
        }
        var fields = 0
        while current.isSymbol(".") {
            // Each field nests the expression once more (and the compiler recurses on it).
            fields += 1
            if fields > Parser.maxDepth { throw error("nesting too deep (more than \(Parser.maxDepth) fields)", at: current.range) }
            _ = advance()
            guard current.kind == .word else { throw expected("a field name after '.'") }
            let f = advance()
            e = .field(e, Name(f.text, f.range))
        }
        return e
    }
}
