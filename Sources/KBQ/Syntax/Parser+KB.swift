extension Parser {
    /// Words that begin a knowledge-base item other than a statement.
    public static let kbKeywords: Set<String> = ["include", "type", "predicate", "stance", "key", "entity", "from", "rule"]

    /// Parses one item of a knowledge-base file: the whole text must be used.
    public static func parseKBItem(_ source: SourceText, rules: Set<String> = []) throws(Diagnostic) -> KBItemSyntax {
        var p = try Parser(source)
        p.ruleNames = rules
        let item = try p.kbItem()
        try p.expectEnd()
        return item
    }

    /// kbItem = include | typeDecl | predicateDecl | stanceDecl | keyDecl | entityDecl
    ///        | fromDirective | rule | statement
    mutating func kbItem() throws(Diagnostic) -> KBItemSyntax {
        let t = current
        guard t.kind == .word, Parser.kbKeywords.contains(t.text) else { return .statement(try kbStatement()) }
        switch t.text {
        case "include":
            _ = advance()
            guard current.kind == .string else { throw expected("a file name in quotes after 'include'") }
            let f = advance()
            return .include(f.text, range: t.range.lowerBound..<f.range.upperBound)
        case "type":
            // typeDecl = 'type' name (':' name (',' name)*)? STRING?
            _ = advance()
            let n = try name("a type name")
            let supers = try supertypes("type")
            let description = optionalString()
            return .type(n, supertypes: supers, description: description, iri: try declaredIRI())
        case "predicate", "stance":
            // predicateDecl = ('predicate' | 'stance') name (':' name (',' name)*)? STRING?
            _ = advance()
            let n = try name("a predicate name")
            let supers = try supertypes("predicate")
            let description = optionalString()
            return .predicate(n, supers: supers, isStance: t.text == "stance", description: description, iri: try declaredIRI())
        case "key":
            // keyDecl = 'key' name (':' name)?
            _ = advance()
            let n = try name("a qualifier key")
            var valueType: Name? = nil
            if acceptSymbol(":") { valueType = try name("a value type (date, string, integer, decimal, entity, any)") }
            return .key(n, valueType: valueType, iri: try declaredIRI())
        case "entity":
            return try entityDecl()
        case "from":
            // fromDirective = 'from' name 'para' INTEGER
            _ = advance()
            let doc = try name("a document id after 'from'")
            _ = try expectWord("para")
            guard current.kind == .integer, let n = Int(current.text) else { throw expected("a paragraph number") }
            let end = advance()
            return .from(document: doc, paragraph: n, range: t.range.lowerBound..<end.range.upperBound)
        default:
            return .rule(try rule())
        }
    }

    mutating func supertypes(_ what: String) throws(Diagnostic) -> [Name] {
        var result: [Name] = []
        if acceptSymbol(":") {
            repeat { result.append(try name("a \(what) name")) } while acceptSymbol(",")
        }
        return result
    }

    mutating func optionalString() -> String? {
        current.kind == .string ? advance().text : nil
    }

    /// `{iri: "..."}` after a type, predicate, stance or key declaration: the IRI that
    /// names it in RDF (nil when there is none).
    mutating func declaredIRI() throws(Diagnostic) -> String? {
        guard current.isSymbol("{") else { return nil }
        _ = advance()
        guard current.kind == .word, current.text == "iri" else { throw expected("'iri:' (a declaration's only property is its IRI)") }
        _ = advance()
        _ = try expectSymbol(":", "':' after 'iri'")
        guard current.kind == .string else { throw expected("the IRI in quotes") }
        let iri = advance().text
        _ = try expectSymbol("}", "'}' after the IRI")
        return iri
    }

    /// entityDecl = 'entity' name (':' name (',' name)*)? STRING? qualifiers?
    mutating func entityDecl() throws(Diagnostic) -> KBItemSyntax {
        let start = try expectWord("entity")
        let id = try name("an entity id")
        var types: [Name] = []
        // No type is allowed (imported RDF has untyped resources), but rare: `entity X "x"`.
        if acceptSymbol(":") {
            repeat { types.append(try name("a type name")) } while acceptSymbol(",")
        } else if current.kind != .string && !current.isSymbol("{") && current.kind != .endOfInput {
            _ = try expectSymbol(":", "':' and the entity's type")
        }
        let label = optionalString()
        var props: [QualifierSyntax] = []
        if current.isSymbol("{") { props = try qualifiers() }
        return .entity(
            id, types: types, label: label, properties: props,
            range: start.range.lowerBound..<tokens[max(0, index - 1)].range.upperBound)
    }

    /// statement = pattern, with names (not variables) throughout
    mutating func kbStatement() throws(Diagnostic) -> PatternSyntax {
        let p = try pattern()
        try checkGround(p)
        return p
    }

    /// A knowledge-base statement states a fact: no variables, wildcards or paths.
    func checkGround(_ p: PatternSyntax) throws(Diagnostic) {
        for t in [p.subject, p.object] {
            switch t {
            case .variable(let v, let r): throw error("variable '?\(v)' in a knowledge-base statement", at: r)
            case .wildcard(let r): throw error("'_' in a knowledge-base statement", at: r)
            case .proposition(let inner, _): try checkGround(inner)
            default: break
            }
        }
        guard case .predicate = p.path else {
            throw error("a knowledge-base statement needs a single predicate, not a path", at: p.path.range)
        }
        for q in p.qualifiers {
            if case .variable(let v, let r) = q.value {
                throw error("variable '?\(v)' in a knowledge-base statement", at: r)
            }
        }
        if case .variable(let v, let r)? = p.binding {
            throw error("a statement is named with a name, not a variable ('?\(v)')", at: r)
        }
    }
}
