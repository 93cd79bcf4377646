/// A Turtle 1.1 and 1.2 parser, written to the W3C grammar: prefixes and base (both
/// spellings), relative IRIs resolved against the base, blank nodes, `[ ]` property lists,
/// collections, numeric and boolean shorthands, long strings, language tags with a base
/// direction, triple terms `<<( )>>`, reified triples `<< >>` with `~` reifiers, annotation
/// blocks `{| |}`, and `VERSION`. It gives the triples the document denotes, as the
/// N-Triples parser does (a reifier `r` of `s p o` as `r rdf:reifies <<( s p o )>>`), so the
/// import that follows is the same; errors are diagnostics at the file's line and column.
public struct TurtleParser {
    let source: SourceText
    let b: [UInt8]
    var i = 0
    var line = 1
    var depth = 0
    var base: String
    var prefixes: [String: String] = [:]
    var triples: [RDFTriple] = []
    /// Blank nodes the syntax makes (`[]`, collections, reifiers): named `#N`, which no
    /// label in a document can be, so they never meet one.
    var made = 0

    static let rdf = NTriplesParser.rdf
    static let xsd = "http://www.w3.org/2001/XMLSchema#"

    /// Every triple of the document, or the first error. `base`: the document's own IRI,
    /// against which relative IRIs are resolved until an `@base` says otherwise.
    public static func parse(_ source: SourceText, base: String) throws(Diagnostic) -> [RDFTriple] {
        var p = TurtleParser(source: source, b: source.bytes, base: base)
        try p.document()
        return p.triples
    }

    /// Whether a file is Turtle by its name.
    public static func isTurtle(_ path: String) -> Bool { path.hasSuffix(".ttl") || path.hasSuffix(".turtle") }

    func error(_ message: String, at start: Int, length: Int = 1) -> Diagnostic {
        let s = min(start, b.count)
        return Diagnostic(.error, message, source: source, range: s..<max(s, min(b.count, start + length)))
    }

    func peek(_ k: Int = 0) -> UInt8? { i + k < b.count ? b[i + k] : nil }
    func at(_ text: String) -> Bool {
        let t = text.utf8
        return i + t.count <= b.count && b[i..<(i + t.count)].elementsEqual(t)
    }

    /// Skips white space and comments, counting lines.
    mutating func skip() {
        while let c = peek() {
            if c == 0x0A { line += 1; i += 1 }
            else if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 }
            else if c == UInt8(ascii: "#") { while let c = peek(), c != 0x0A && c != 0x0D { i += 1 } }
            else { return }
        }
    }

    mutating func expect(_ text: String, _ what: @autoclosure () -> String) throws(Diagnostic) {
        skip()
        guard at(text) else { throw error("expected \(what())", at: i) }
        i += text.utf8.count
    }

    mutating func fresh() -> RDFTerm {
        made += 1
        return .blank("#\(made)")
    }

    mutating func emit(_ s: RDFTerm, _ p: String, _ o: RDFTerm, line: Int) {
        triples.append(RDFTriple(subject: s, predicate: p, object: o, line: line))
    }

    mutating func nest(_ start: Int) throws(Diagnostic) {
        depth += 1
        if depth > Parser.maxDepth { throw error("nested too deep (more than \(Parser.maxDepth) levels)", at: start) }
    }

    // MARK: statements

    mutating func document() throws(Diagnostic) {
        while true {
            skip()
            guard i < b.count else { return }
            try statement()
        }
    }

    /// A character that can continue a name (so `a`, `true`, `PREFIX` are not keywords
    /// when one follows).
    func continuesName(_ k: Int) -> Bool {
        guard let (s, _) = scalar(at: k) else { return false }
        // A '.' continues a name only when more of the name follows it (a name never ends
        // with one: `true.` is `true` and the end of a statement).
        if s == "." { return continuesName(k + 1) }
        return NTriplesParser.isPNChars(s) || s == ":"
    }

    func keyword(_ word: String, caseInsensitive: Bool) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= b.count else { return false }
        for (k, c) in w.enumerated() {
            let d = b[i + k]
            if caseInsensitive ? (d | 0x20) != (c | 0x20) : d != c { return false }
        }
        return !continuesName(i + w.count)
    }

    mutating func statement() throws(Diagnostic) {
        if peek() == UInt8(ascii: "@") {
            for word in ["@prefix", "@base", "@version"] where keyword(word, caseInsensitive: false) {
                i += word.utf8.count
                try directive(word.dropFirst())
                try expect(".", "'.' after the @\(word.dropFirst()) directive")
                return
            }
            throw error("expected @prefix, @base or @version", at: i)
        }
        for word in ["prefix", "base", "version"] where keyword(word, caseInsensitive: true) {
            i += word.utf8.count
            try directive(Substring(word))
            return
        }
        try triplesStatement()
        try expect(".", "'.' at the end of the statement")
    }

    mutating func directive(_ word: Substring) throws(Diagnostic) {
        skip()
        switch word {
        case "prefix":
            let start = i
            guard let name = prefixName() else { throw error("expected a prefix name ending in ':'", at: start) }
            skip()
            guard peek() == UInt8(ascii: "<") else { throw error("expected the prefix's IRI", at: i) }
            prefixes[name] = try iriRef()
        case "base":
            guard peek() == UInt8(ascii: "<") else { throw error("expected the base IRI", at: i) }
            base = try iriRef()
        default:
            guard let q = peek(), q == UInt8(ascii: "\"") || q == UInt8(ascii: "'"), peek(1) != q || peek(2) != q else {
                throw error("expected the version as a string on one line (\"1.2\")", at: i)
            }
            _ = try string()
        }
    }

    /// triples = subject predicateObjectList | blankNodePropertyList predicateObjectList?
    ///         | reifiedTriple predicateObjectList?
    mutating func triplesStatement() throws(Diagnostic) {
        let start = i
        if peek() == UInt8(ascii: "["), !isAnon() {
            let s = try blankNodePropertyList()
            skip()
            if peek() != UInt8(ascii: ".") { try predicateObjectList(s) }
            return
        }
        if at("<<(") { throw error("a triple term cannot be a subject", at: start, length: 3) }
        if at("<<") {
            let s = try reifiedTriple()
            skip()
            if peek() != UInt8(ascii: ".") { try predicateObjectList(s) }
            return
        }
        let s: RDFTerm
        switch peek() {
        case UInt8(ascii: "("): s = try collection()
        case UInt8(ascii: "\""), UInt8(ascii: "'"): throw error("a literal cannot be a subject", at: start)
        default:
            guard let t = try iriOrBlank() else { throw error("expected a subject (an IRI, a blank node or a collection)", at: start) }
            s = t
        }
        try predicateObjectList(s)
    }

    /// predicateObjectList = verb objectList (';' (verb objectList)?)*
    mutating func predicateObjectList(_ s: RDFTerm) throws(Diagnostic) {
        skip()
        try verbObjectList(s)
        while true {
            skip()
            guard peek() == UInt8(ascii: ";") else { return }
            while peek() == UInt8(ascii: ";") { i += 1; skip() }
            guard startsVerb() else { return }
            try verbObjectList(s)
        }
    }

    func startsVerb() -> Bool {
        guard let c = peek() else { return false }
        if c == UInt8(ascii: "<") { return peek(1) != UInt8(ascii: "<") }
        if c == UInt8(ascii: ":") { return true }
        guard let (s, _) = scalar(at: i) else { return false }
        return NTriplesParser.isPNCharsBase(s)
    }

    mutating func verbObjectList(_ s: RDFTerm) throws(Diagnostic) {
        let p = try verb()
        while true {
            skip()
            let objectLine = line
            let o = try object()
            emit(s, p, o, line: objectLine)
            try annotation(s, p, o, line: objectLine)
            skip()
            guard peek() == UInt8(ascii: ",") else { return }
            i += 1
        }
    }

    /// verb = iri | 'a'
    mutating func verb() throws(Diagnostic) -> String {
        skip()
        if peek() == UInt8(ascii: "a"), !continuesName(i + 1) {
            i += 1
            return TurtleParser.rdf + "type"
        }
        let start = i
        guard startsVerb(), case .iri(let p)? = try iriOrBlank() else { throw error("expected a predicate (an IRI or 'a')", at: start) }
        return p
    }

    /// annotation = (reifier | '{|' predicateObjectList '|}')*: a reifier names the
    /// statement `s p o`; a block says things about the reifier before it, or about a
    /// fresh one.
    mutating func annotation(_ s: RDFTerm, _ p: String, _ o: RDFTerm, line: Int) throws(Diagnostic) {
        var pending: RDFTerm? = nil
        while true {
            skip()
            if peek() == UInt8(ascii: "~") {
                let r = try reifier()
                emit(r, TurtleParser.rdf + "reifies", .triple(RDFTriple(subject: s, predicate: p, object: o, line: line)), line: line)
                pending = r
            } else if at("{|") {
                let start = i
                i += 2
                let r: RDFTerm
                if let given = pending { r = given } else {
                    r = fresh()
                    emit(r, TurtleParser.rdf + "reifies", .triple(RDFTriple(subject: s, predicate: p, object: o, line: line)), line: line)
                }
                pending = nil
                try nest(start)
                try predicateObjectList(r)
                depth -= 1
                let column = source.lineAndColumn(of: start).column
                try expect("|}", "'|}' to close the annotation opened at column \(column)")
            } else {
                return
            }
        }
    }

    /// reifier = '~' (iri | BlankNode)?
    mutating func reifier() throws(Diagnostic) -> RDFTerm {
        i += 1
        skip()
        let startsTerm = (peek() == UInt8(ascii: "<") && peek(1) != UInt8(ascii: "<"))
            || (peek() == UInt8(ascii: "_") && peek(1) == UInt8(ascii: ":"))
            || (peek() == UInt8(ascii: "[") && isAnon()) || startsVerb()
        guard startsTerm else { return fresh() }
        let start = i
        guard let r = try iriOrBlank() else { throw error("expected a reifier (an IRI or a blank node) after '~'", at: start) }
        return r
    }

    // MARK: terms

    /// object = iri | BlankNode | collection | blankNodePropertyList | literal | tripleTerm
    ///        | reifiedTriple
    mutating func object() throws(Diagnostic) -> RDFTerm {
        let start = i
        switch peek() {
        case UInt8(ascii: "<"):
            if at("<<(") { return try tripleTerm() }
            if at("<<") { return try reifiedTriple() }
        case UInt8(ascii: "["):
            if !isAnon() { return try blankNodePropertyList() }
        case UInt8(ascii: "("): return try collection()
        case nil: throw error("expected an object, found the end of the file", at: start)
        default: break
        }
        if let l = try literal() { return l }
        guard let t = try iriOrBlank() else { throw error("expected an object", at: start) }
        return t
    }

    /// iri | BlankNode (a label or `[]`); nil when neither starts here.
    mutating func iriOrBlank() throws(Diagnostic) -> RDFTerm? {
        switch peek() {
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "<") { return nil }
            return .iri(try iriRef())
        case UInt8(ascii: "_"):
            if peek(1) == UInt8(ascii: ":") { return .blank(try blankLabel()) }
        case UInt8(ascii: "["):
            if isAnon() {
                i += 1
                skip()
                i += 1
                return fresh()
            }
            return nil
        default: break
        }
        return try prefixedName().map { .iri($0) }
    }

    /// ANON = '[' WS* ']' (comments between count as white space).
    func isAnon() -> Bool {
        var k = i + 1
        while k < b.count {
            switch b[k] {
            case 0x20, 0x09, 0x0D, 0x0A: k += 1
            case UInt8(ascii: "#"): while k < b.count, b[k] != 0x0A, b[k] != 0x0D { k += 1 }
            default: return b[k] == UInt8(ascii: "]")
            }
        }
        return false
    }

    /// '[' predicateObjectList ']': a fresh blank node, what the list says of it.
    mutating func blankNodePropertyList() throws(Diagnostic) -> RDFTerm {
        let start = i
        i += 1
        try nest(start)
        let node = fresh()
        try predicateObjectList(node)
        depth -= 1
        let column = source.lineAndColumn(of: start).column
        try expect("]", "']' to close the '[' at column \(column)")
        return node
    }

    /// '(' object* ')': rdf:first/rdf:rest cells, or rdf:nil.
    mutating func collection() throws(Diagnostic) -> RDFTerm {
        let start = i
        i += 1
        try nest(start)
        var items: [(RDFTerm, Int)] = []
        while true {
            skip()
            if peek() == UInt8(ascii: ")") { i += 1; break }
            guard peek() != nil else { throw error("expected ')' to close the collection", at: start) }
            let itemLine = line
            items.append((try object(), itemLine))
        }
        depth -= 1
        guard !items.isEmpty else { return .iri(TurtleParser.rdf + "nil") }
        let cells = items.map { _ in fresh() }
        for (k, (item, itemLine)) in items.enumerated() {
            emit(cells[k], TurtleParser.rdf + "first", item, line: itemLine)
            emit(cells[k], TurtleParser.rdf + "rest", k + 1 < cells.count ? cells[k + 1] : .iri(TurtleParser.rdf + "nil"), line: itemLine)
        }
        return cells[0]
    }

    /// reifiedTriple = '<<' rtSubject verb rtObject reifier? '>>': the reifier (given or
    /// fresh), which reifies the triple; the triple itself is not asserted.
    mutating func reifiedTriple() throws(Diagnostic) -> RDFTerm {
        let start = i
        let startLine = line
        i += 2
        try nest(start)
        skip()
        let s: RDFTerm
        if at("<<(") { throw error("a triple term cannot be the subject of a reified triple", at: i, length: 3) }
        if at("<<") { s = try reifiedTriple() } else {
            let at = i
            guard let t = try iriOrBlank() else { throw error("expected the subject of the reified triple (an IRI, a blank node or '<<')", at: at) }
            s = t
        }
        let p = try verb()
        skip()
        let o = try innerObject(reified: true)
        skip()
        let r = peek() == UInt8(ascii: "~") ? try reifier() : fresh()
        depth -= 1
        let column = source.lineAndColumn(of: start).column
        try expect(">>", "'>>' to close the reified triple opened at column \(column)")
        emit(r, TurtleParser.rdf + "reifies", .triple(RDFTriple(subject: s, predicate: p, object: o, line: startLine)), line: startLine)
        return r
    }

    /// tripleTerm = '<<(' ttSubject verb ttObject ')>>'
    mutating func tripleTerm() throws(Diagnostic) -> RDFTerm {
        let start = i
        let startLine = line
        i += 3
        try nest(start)
        skip()
        let subjectStart = i
        guard !at("<<"), let s = try iriOrBlank() else {
            throw error("expected the subject of the triple term (an IRI or a blank node)", at: subjectStart)
        }
        let p = try verb()
        skip()
        let o = try innerObject(reified: false)
        depth -= 1
        let column = source.lineAndColumn(of: start).column
        try expect(")>>", "')>>' to close the triple term opened at column \(column)")
        return .triple(RDFTriple(subject: s, predicate: p, object: o, line: startLine))
    }

    /// The object inside `<< >>` or `<<( )>>`: an IRI, blank node, literal or triple term,
    /// and (inside `<< >>` only) a reified triple; never a collection or a property list.
    mutating func innerObject(reified: Bool) throws(Diagnostic) -> RDFTerm {
        let start = i
        if at("<<(") { return try tripleTerm() }
        if at("<<") {
            guard reified else { throw error("a reified triple cannot be inside a triple term", at: start, length: 2) }
            return try reifiedTriple()
        }
        if peek() == UInt8(ascii: "(") || (peek() == UInt8(ascii: "[") && !isAnon()) {
            throw error("a collection or a '[ ]' property list cannot be inside '<<'", at: start)
        }
        if let l = try literal() { return l }
        guard let t = try iriOrBlank() else { throw error("expected an object", at: start) }
        return t
    }

    // MARK: tokens

    /// IRIREF, resolved against the base.
    mutating func iriRef() throws(Diagnostic) -> String {
        let text = try shared { (p) throws(Diagnostic) in try p.iriText() }
        return IRIResolver.resolve(text, against: base)
    }

    /// One of the N-Triples parser's readers, run here: the tokens both languages share
    /// (IRIs, escapes, language tags; none spans lines).
    mutating func shared<T>(_ read: (inout NTriplesParser) throws(Diagnostic) -> T) throws(Diagnostic) -> T {
        var p = NTriplesParser(source)
        p.i = i
        defer { i = p.i }
        return try read(&p)
    }

    func scalar(at k: Int) -> (Unicode.Scalar, Int)? { NTriplesParser.scalar(in: b, at: k) }

    /// PN_PREFIX? ':' (the prefix's name, without the colon); nil when none starts here.
    mutating func prefixName() -> String? {
        let start = i
        var name = ""
        if let (s, w) = scalar(at: i), NTriplesParser.isPNCharsBase(s) {
            name.unicodeScalars.append(s)
            i += w
            while let (s, w) = scalar(at: i), NTriplesParser.isPNChars(s) || s == "." {
                name.unicodeScalars.append(s)
                i += w
            }
        }
        guard !name.hasSuffix("."), peek() == UInt8(ascii: ":") else {
            i = start
            return nil
        }
        i += 1
        return name
    }

    /// PNAME_LN | PNAME_NS, expanded; nil when no prefixed name starts here.
    mutating func prefixedName() throws(Diagnostic) -> String? {
        let start = i
        guard let prefix = prefixName() else { return nil }
        guard let namespace = prefixes[prefix] else { throw error("undeclared prefix '\(prefix):'", at: start, length: prefix.utf8.count + 1) }
        // PN_LOCAL: kept up to its last character that is not a '.', which would end the statement.
        var local = ""
        var kept = (i, "")
        var first = true
        while let (s, w) = scalar(at: i) {
            if s == "%" {
                guard let h1 = peek(1), let h2 = peek(2), UnicodeScalar(h1).properties.isASCIIHexDigit, UnicodeScalar(h2).properties.isASCIIHexDigit else {
                    throw error("'%' in a local name must be followed by two hex digits", at: i, length: 3)
                }
                local += String(decoding: b[i..<(i + 3)], as: UTF8.self)
                i += 3
            } else if s == "\\" {
                guard let e = peek(1), "_~.-!$&'()*+,;=/?#@%".utf8.contains(e) else {
                    throw error("invalid escape in a local name", at: i, length: 2)
                }
                local.unicodeScalars.append(UnicodeScalar(e))
                i += 2
            } else if first ? (NTriplesParser.isPNCharsU(s) || s == ":" || (s.value >= 0x30 && s.value <= 0x39))
                : (NTriplesParser.isPNChars(s) || s == ":" || s == ".")
            {
                local.unicodeScalars.append(s)
                i += w
                if s == "." { first = false; continue }
            } else {
                break
            }
            first = false
            kept = (i, local)
        }
        i = kept.0
        return namespace + kept.1
    }

    /// BLANK_NODE_LABEL = '_:' (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?
    mutating func blankLabel() throws(Diagnostic) -> String {
        let start = i
        i += 2
        var label = ""
        var kept = (i, "")
        while let (s, w) = scalar(at: i) {
            let ok = label.isEmpty
                ? NTriplesParser.isPNCharsU(s) || (s.value >= 0x30 && s.value <= 0x39)
                : NTriplesParser.isPNChars(s) || s == "."
            guard ok else { break }
            label.unicodeScalars.append(s)
            i += w
            if s != "." { kept = (i, label) }
        }
        i = kept.0
        guard !kept.1.isEmpty else { throw error("expected a blank node label after '_:'", at: start, length: 2) }
        return kept.1
    }

    /// RDFLiteral | NumericLiteral | BooleanLiteral; nil when no literal starts here.
    mutating func literal() throws(Diagnostic) -> RDFTerm? {
        guard let c = peek() else { return nil }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            let text = try string()
            if peek() == UInt8(ascii: "@") {
                let (language, direction) = try shared { (p) throws(Diagnostic) in try p.languageTag() }
                return .literal(text, datatype: nil, language: language, direction: direction)
            }
            if peek() == UInt8(ascii: "^"), peek(1) == UInt8(ascii: "^") {
                i += 2
                let start = i
                guard case .iri(let datatype)? = try iriOrBlank(), !at("_:") else { throw error("expected a datatype IRI after '^^'", at: start) }
                if datatype == TurtleParser.rdf + "langString" || datatype == TurtleParser.rdf + "dirLangString" {
                    throw error("<\(datatype)> is given by a language tag, not written as a datatype", at: start, length: i - start)
                }
                return .literal(text, datatype: datatype, language: nil, direction: nil)
            }
            return .literal(text, datatype: nil, language: nil, direction: nil)
        }
        for word in ["true", "false"] where keyword(word, caseInsensitive: false) {
            i += word.utf8.count
            return .literal(word, datatype: TurtleParser.xsd + "boolean", language: nil, direction: nil)
        }
        return try number()
    }

    /// INTEGER | DECIMAL | DOUBLE, as written; nil when no number starts here.
    mutating func number() throws(Diagnostic) -> RDFTerm? {
        let start = i
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        var k = i
        if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") { k += 1 }
        let intStart = k
        while k < b.count, isDigit(b[k]) { k += 1 }
        let intDigits = k - intStart
        var fraction = 0
        var kind = "integer"
        if k < b.count, b[k] == UInt8(ascii: "."), k + 1 < b.count, isDigit(b[k + 1]) {
            k += 1
            while k < b.count, isDigit(b[k]) { k += 1; fraction += 1 }
            kind = "decimal"
        } else if intDigits > 0, k + 1 < b.count, b[k] == UInt8(ascii: "."), b[k + 1] | 0x20 == UInt8(ascii: "e") {
            k += 1  // "1.e5": a double
        }
        guard intDigits + fraction > 0 else { return nil }
        if k < b.count, b[k] | 0x20 == UInt8(ascii: "e") {
            var e = k + 1
            if e < b.count, b[e] == UInt8(ascii: "+") || b[e] == UInt8(ascii: "-") { e += 1 }
            guard e < b.count, isDigit(b[e]) else { throw error("expected the exponent's digits", at: k, length: e - k + 1) }
            while e < b.count, isDigit(b[e]) { e += 1 }
            k = e
            kind = "double"
        }
        i = k
        return .literal(String(decoding: b[start..<k], as: UTF8.self), datatype: TurtleParser.xsd + kind, language: nil, direction: nil)
    }

    /// One of the four string forms; the value with its escapes undone.
    mutating func string() throws(Diagnostic) -> String {
        let start = i
        let q = b[i]
        let long = peek(1) == q && peek(2) == q
        i += long ? 3 : 1
        var value: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string", at: start, length: long ? 3 : 1) }
            if c == q {
                if !long { i += 1; break }
                // The first three quotes in a row close it (a quote in the content is
                // followed by something else: `"""a""""` is `a` and an open string).
                if peek(1) == q && peek(2) == q {
                    i += 3
                    break
                }
                value.append(c)
                i += 1
                continue
            }
            if !long && (c == 0x0A || c == 0x0D) { throw error("unterminated string (use \"\"\" for a string over several lines)", at: start) }
            if c == 0x0A { line += 1 }
            if c == UInt8(ascii: "\\") {
                value.append(contentsOf: try shared { (p) throws(Diagnostic) in try p.escape(in: start) })
                continue
            }
            value.append(c)
            i += 1
        }
        return String(decoding: value, as: UTF8.self)
    }
}
