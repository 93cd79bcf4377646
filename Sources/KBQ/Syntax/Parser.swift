/// A hand-written recursive-descent parser, one method per grammar rule (grammar/query.ebnf,
/// grammar/kb.ebnf). Each method opens with its production.
///
/// An error at the end of the input is marked incomplete, so the REPL can ask for another
/// line instead of reporting it (Lua's `incomplete()`).
public struct Parser {
    public static let maxDepth = 256
    /// Words that cannot name an entity or a predicate in a query.
    public static let keywords: Set<String> = [
        "find", "where", "and", "or", "not", "optional", "order", "by", "group", "limit",
        "offset", "asc", "desc", "as", "distinct", "contains", "matches", "in", "rule", "why",
        "unknown", "none",
    ]

    let source: SourceText
    var tokens: [Token]
    var index = 0
    var depth = 0
    /// Open brackets, innermost last, for "'[' opened here" notes.
    var openBrackets: [Token] = []
    /// Rules known so far, so that `name(...)` at the start of a goal reads as a call.
    var ruleNames: Set<String> = []

    public init(_ source: SourceText, parameters: [String: String] = [:]) throws(Diagnostic) {
        self.source = source
        self.tokens = try Lexer.tokenize(source)
        // Each `$name` becomes its value's token, where `$name` stands (so an error in the
        // value points there).
        for (k, t) in tokens.enumerated() where t.kind == .parameter {
            guard let value = parameters[t.text] else {
                throw Diagnostic(.error, "unknown parameter '$\(t.text)'; set it with -p \(t.text)=VALUE or .param set \(t.text) VALUE", source: source, range: t.range)
            }
            var replaced = Parser.parameterToken(value)
            replaced.range = t.range
            tokens[k] = replaced
        }
    }

    /// A parameter's value as the one token it is typed as, like a literal in a query: a
    /// number, a date, a "string", a name (an entity or predicate), a `label`, an <IRI>;
    /// any other text (words with spaces, a keyword) is a string.
    static func parameterToken(_ value: String) -> Token {
        let lexed = try? Lexer.tokenize(SourceText(name: "parameter", text: value))
        if let lexed, lexed.count == 2, let t = lexed.first, t.range == 0..<value.utf8.count {
            switch t.kind {
            case .word where !Parser.keywords.contains(t.text): return t
            case .quotedName, .iri, .string, .integer, .decimal, .date: return t
            default: break
            }
        }
        return Token(.string, value, 0..<0)
    }

    var current: Token { tokens[index] }
    var peekNext: Token { tokens[min(index + 1, tokens.count - 1)] }
    public var atEnd: Bool { current.kind == .endOfInput }

    mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    // MARK: errors

    func error(_ message: String, at range: Range<Int>) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range)
    }

    /// "expected X, found Y", incomplete when Y is the end of the input.
    func expected(_ what: String) -> Diagnostic {
        let t = current
        if t.kind == .endOfInput {
            var d = Diagnostic(
                .error, "expected \(what), found end of input", source: source,
                range: t.range, incomplete: true)
            if let open = openBrackets.last {
                let closer = "'\(Parser.closer(open.text))'"
                d.message = what == closer ? "expected \(closer), found end of input" : "expected \(what) or \(closer), found end of input"
                d.notes = [Diagnostic(.note, "'\(open.text)' opened here", source: source, range: open.range)]
            }
            return d
        }
        return error("expected \(what), found \(t.described)", at: t.range)
    }

    static func closer(_ opener: String) -> String {
        switch opener {
        case "(": return ")"
        case "[": return "]"
        default: return "}"
        }
    }

    mutating func expectSymbol(_ s: String, _ what: String? = nil) throws(Diagnostic) -> Token {
        guard current.isSymbol(s) else { throw expected(what ?? "'\(s)'") }
        return advance()
    }

    mutating func expectWord(_ w: String) throws(Diagnostic) -> Token {
        guard current.isWord(w) else { throw expected("'\(w)'") }
        return advance()
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { _ = advance(); return true }
        return false
    }

    mutating func acceptWord(_ w: String) -> Bool {
        if current.isWord(w) { _ = advance(); return true }
        return false
    }

    /// Opens a bracket, guarding the nesting limit so that deep input gives an error and
    /// never exhausts the stack.
    mutating func open(_ s: String) throws(Diagnostic) -> Token {
        let t = try expectSymbol(s)
        depth += 1
        if depth > Parser.maxDepth {
            throw error("nesting too deep (more than \(Parser.maxDepth) levels)", at: t.range)
        }
        openBrackets.append(t)
        return t
    }

    mutating func close(_ s: String) throws(Diagnostic) -> Token {
        guard current.isSymbol(s) else {
            if current.kind == .endOfInput { throw expected("'\(s)'") }
            var d = expected("'\(s)'")
            if let open = openBrackets.last {
                d.message += " (to close '\(open.text)')"
                d.notes = [Diagnostic(.note, "'\(open.text)' opened here", source: source, range: open.range)]
            }
            throw d
        }
        depth -= 1
        openBrackets.removeLast()
        return advance()
    }

    /// Rejects leftover tokens after a complete statement.
    mutating func expectEnd() throws(Diagnostic) {
        _ = acceptSymbol(";")
        guard atEnd else {
            throw error("unexpected \(current.described) after the end of the statement", at: current.range)
        }
    }

    // MARK: names and terms

    /// name = WORD | QUOTED_NAME  (a word that is not a keyword)
    mutating func name(_ what: String) throws(Diagnostic) -> Name {
        let t = current
        if t.kind == .quotedName || (t.kind == .word && !Parser.keywords.contains(t.text)) {
            _ = advance()
            return Name(t.text, t.range)
        }
        throw expected(what)
    }

    /// term = VARIABLE | '_' | name | STRING | INTEGER | DECIMAL | DATE | 'unknown' | 'none'
    ///      | '[' pattern ']'
    mutating func term(_ what: String = "a term") throws(Diagnostic) -> TermSyntax {
        let t = current
        switch t.kind {
        case .variable: _ = advance(); return .variable(t.text, t.range)
        case .string: _ = advance(); return .string(t.text, t.range)
        case .typedString: _ = advance(); return .typed(t.text, t.datatype, t.range)
        case .integer:
            _ = advance()
            guard let v = Int(t.text) else { throw error("integer out of range", at: t.range) }
            return .integer(v, t.range)
        case .decimal: _ = advance(); return .decimal(t.text, t.range)
        case .date: _ = advance(); return .date(DateValue(parsing: t.text)!, t.range)
        case .quotedName: _ = advance(); return .name(Name(t.text, t.range))
        case .iri: _ = advance(); return .iri(t.text, t.range)
        case .word:
            if t.text == "_" { _ = advance(); return .wildcard(t.range) }
            if t.text == "unknown" { _ = advance(); return .unknown(t.range) }
            if t.text == "none" { _ = advance(); return .none(t.range) }
            if Parser.keywords.contains(t.text) { throw expected(what) }
            _ = advance()
            return .name(Name(t.text, t.range))
        case .symbol where t.text == "[":
            let open = try open("[")
            let p = try pattern(inProposition: true)
            let close = try close("]")
            return .proposition(p, open.range.lowerBound..<close.range.upperBound)
        default:
            throw expected(what)
        }
    }

    // MARK: patterns and paths

    /// pattern = term path term qualifiers? ('as' (VARIABLE | name))?
    mutating func pattern(inProposition: Bool = false) throws(Diagnostic) -> PatternSyntax {
        let subject = try term("a subject")
        return try patternRest(subject: subject, inProposition: inProposition)
    }

    mutating func patternRest(subject: TermSyntax, inProposition: Bool) throws(Diagnostic) -> PatternSyntax {
        let path = try self.path()
        let object = try term("an object")
        var qualifiers: [QualifierSyntax] = []
        if current.isSymbol("{") { qualifiers = try self.qualifiers() }
        var binding: TermSyntax? = nil
        var end = qualifiers.last.map { _ in tokens[index - 1].range.upperBound } ?? object.range.upperBound
        if !inProposition && acceptWord("as") {
            if current.kind == .variable {
                let t = advance()
                binding = .variable(t.text, t.range)
            } else {
                binding = .name(try name("a variable or a statement name after 'as'"))
            }
            end = binding!.range.upperBound
        }
        return PatternSyntax(
            subject: subject, path: path, object: object, qualifiers: qualifiers, binding: binding,
            range: subject.range.lowerBound..<end)
    }

    /// qualifiers = '{' (qualifier (',' qualifier)*)? '}' ;  qualifier = name ':' term
    mutating func qualifiers() throws(Diagnostic) -> [QualifierSyntax] {
        _ = try open("{")
        var result: [QualifierSyntax] = []
        if !current.isSymbol("}") {
            repeat {
                let key = try name("a qualifier key")
                _ = try expectSymbol(":", "':' after qualifier key '\(key.text)'")
                result.append(QualifierSyntax(key: key, value: try term("a qualifier value")))
            } while acceptSymbol(",")
        }
        _ = try close("}")
        return result
    }

    /// path = pathSequence ('|' pathSequence)*
    mutating func path() throws(Diagnostic) -> PathSyntax {
        let first = try pathSequence()
        guard current.isSymbol("|") else { return first }
        var parts = [first]
        while acceptSymbol("|") { parts.append(try pathSequence()) }
        return .alternative(parts, first.range.lowerBound..<parts.last!.range.upperBound)
    }

    /// pathSequence = pathUnary ('/' pathUnary)*
    mutating func pathSequence() throws(Diagnostic) -> PathSyntax {
        let first = try pathUnary()
        guard current.isSymbol("/") else { return first }
        var parts = [first]
        while acceptSymbol("/") { parts.append(try pathUnary()) }
        return .sequence(parts, first.range.lowerBound..<parts.last!.range.upperBound)
    }

    /// pathUnary = '^'? pathPrimary ('*' | '+')?
    mutating func pathUnary() throws(Diagnostic) -> PathSyntax {
        if current.isSymbol("^") {
            let caret = advance()
            depth += 1
            defer { depth -= 1 }
            if depth > Parser.maxDepth { throw error("nesting too deep (more than \(Parser.maxDepth) levels)", at: caret.range) }
            let inner = try pathUnary()
            return .inverse(inner, caret.range.lowerBound..<inner.range.upperBound)
        }
        var p = try pathPrimary()
        // Repeated operators fold into one, as they mean: (p*)* = (p+)* = (p*)+ = p*, and
        // (p+)+ = p+. So `p****...` is no deeper than `p*`, however many there are.
        while current.isSymbol("*") || current.isSymbol("+") {
            let op = advance()
            let r = p.range.lowerBound..<op.range.upperBound
            switch p {
            case .zeroOrMore(let inner, _), .oneOrMore(let inner, _):
                if case .zeroOrMore = p { p = .zeroOrMore(inner, r) }
                else { p = op.text == "*" ? .zeroOrMore(inner, r) : .oneOrMore(inner, r) }
            default:
                p = op.text == "*" ? .zeroOrMore(p, r) : .oneOrMore(p, r)
            }
        }
        return p
    }

    /// pathPrimary = name | VARIABLE | '_' | '(' path ')'
    mutating func pathPrimary() throws(Diagnostic) -> PathSyntax {
        let t = current
        if t.kind == .variable { _ = advance(); return .variable(t.text, t.range) }
        if t.isWord("_") { _ = advance(); return .wildcard(t.range) }
        if t.isSymbol("(") {
            _ = try open("(")
            let inner = try path()
            _ = try close(")")
            return inner
        }
        return .predicate(try name("a predicate"))
    }
}
