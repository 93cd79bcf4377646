/// A streaming N-Triples 1.1 / 1.2 parser (triple terms, language direction), written to
/// the W3C grammar; errors are diagnostics with the file's line and column, like the
/// knowledge-base format's.
public struct NTriplesParser {
    let source: SourceText
    let b: [UInt8]
    var i = 0
    var line = 1
    var depth = 0

    public init(_ source: SourceText) {
        self.source = source
        self.b = source.bytes
    }

    /// Every triple of the document, or the first error.
    public static func parse(_ source: SourceText) throws(Diagnostic) -> [RDFTriple] {
        var p = NTriplesParser(source)
        var triples: [RDFTriple] = []
        while let t = try p.next() { triples.append(t) }
        return triples
    }

    func error(_ message: String, at start: Int, length: Int = 1) -> Diagnostic {
        let end = min(b.count, start + length)
        return Diagnostic(.error, message, source: source, range: min(start, b.count)..<max(end, min(start, b.count)))
    }

    func peek(_ k: Int = 0) -> UInt8? { i + k < b.count ? b[i + k] : nil }

    /// Skips spaces and tabs (and a comment, which runs to the end of the line).
    mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x09 { i += 1 }
        if peek() == UInt8(ascii: "#") { while let c = peek(), c != 0x0A && c != 0x0D { i += 1 } }
    }

    mutating func skipBlankLines() {
        while true {
            skipSpace()
            guard let c = peek(), c == 0x0A || c == 0x0D else { return }
            if c == 0x0A { line += 1 }
            i += 1
        }
    }

    /// statement = subject predicate object '.' (then the end of the line)
    public mutating func next() throws(Diagnostic) -> RDFTriple? {
        skipBlankLines()
        guard i < b.count else { return nil }
        let startLine = line
        let t = try triple(startLine)
        skipSpace()
        guard peek() == UInt8(ascii: ".") else { throw error("expected '.' at the end of the triple", at: i) }
        i += 1
        skipSpace()
        if let c = peek(), c != 0x0A && c != 0x0D { throw error("expected the end of the line after '.'", at: i) }
        return t
    }

    mutating func triple(_ line: Int) throws(Diagnostic) -> RDFTriple {
        skipSpace()
        let subject = try self.subject()
        skipSpace()
        guard peek() == UInt8(ascii: "<") else { throw error("expected a predicate IRI", at: i) }
        let predicate = try iri()
        skipSpace()
        let object = try self.object()
        return RDFTriple(subject: subject, predicate: predicate, object: object, line: line)
    }

    /// subject = IRIREF | BLANK_NODE_LABEL
    mutating func subject() throws(Diagnostic) -> RDFTerm {
        switch peek() {
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "<") { throw error("a triple term can only be an object", at: i, length: 3) }
            return .iri(try iri())
        case UInt8(ascii: "_"): return .blank(try blankNode())
        case nil: throw error("expected a subject, found the end of the file", at: i)
        default: throw error("expected a subject (an IRI or a blank node)", at: i)
        }
    }

    /// object = IRIREF | BLANK_NODE_LABEL | literal | tripleTerm
    mutating func object() throws(Diagnostic) -> RDFTerm {
        switch peek() {
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "<") { return try tripleTerm() }
            return .iri(try iri())
        case UInt8(ascii: "_"): return .blank(try blankNode())
        case UInt8(ascii: "\""): return try literal()
        case nil: throw error("expected an object, found the end of the file", at: i)
        default: throw error("expected an object (an IRI, a blank node, a literal or a triple term)", at: i)
        }
    }

    /// tripleTerm = '<<(' subject predicate object ')>>'
    mutating func tripleTerm() throws(Diagnostic) -> RDFTerm {
        let start = i
        guard peek(2) == UInt8(ascii: "(") else { throw error("expected '<<(' to open a triple term", at: i, length: 3) }
        i += 3
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth { throw error("triple terms nested too deep (more than \(Parser.maxDepth))", at: start, length: 3) }
        let t = try triple(line)
        skipSpace()
        guard peek() == UInt8(ascii: ")"), peek(1) == UInt8(ascii: ">"), peek(2) == UInt8(ascii: ">") else {
            throw error("expected ')>>' to close the triple term opened at column \(source.lineAndColumn(of: start).column)", at: i)
        }
        i += 3
        return .triple(t)
    }

    /// IRIREF = '<' ([^#x00-#x20<>"{}|^`\] | UCHAR)* '>', and absolute
    mutating func iri() throws(Diagnostic) -> String {
        let start = i
        let text = try iriText()
        guard NTriplesParser.hasScheme(text) else { throw error("relative IRI <\(text)>: N-Triples needs absolute IRIs", at: start, length: i - start) }
        return text
    }

    /// An IRIREF's text, its escapes undone (Turtle's too, which then resolves it).
    mutating func iriText() throws(Diagnostic) -> String {
        let start = i
        i += 1
        var value: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated IRI", at: start) }
            if c == UInt8(ascii: ">") { i += 1; break }
            if c == UInt8(ascii: "\\") {
                let scalar = try uchar()
                if NTriplesParser.forbiddenInIRI(scalar.value) { throw error("character U+\(String(scalar.value, radix: 16, uppercase: true)) is not allowed in an IRI", at: i - 1) }
                value.append(contentsOf: Array(String(Character(scalar)).utf8))
                continue
            }
            if c < 0x80 && NTriplesParser.forbiddenInIRI(UInt32(c)) {
                throw error("character '\(c < 0x21 ? "U+" + String(c, radix: 16) : String(UnicodeScalar(c)))' is not allowed in an IRI", at: i)
            }
            value.append(c)
            i += 1
        }
        return String(decoding: value, as: UTF8.self)
    }

    static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

    static func forbiddenInIRI(_ v: UInt32) -> Bool {
        switch v {
        case 0...0x20, 0x3C, 0x3E, 0x22, 0x7B, 0x7D, 0x7C, 0x5E, 0x60, 0x5C: return true  // <>"{}|^`\
        default: return false
        }
    }

    static func hasScheme(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon > s.startIndex else { return false }
        let scheme = s[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// UCHAR = '\u' HEX HEX HEX HEX | '\U' HEX{8}
    mutating func uchar() throws(Diagnostic) -> Unicode.Scalar {
        let start = i
        guard let kind = peek(1), kind == UInt8(ascii: "u") || kind == UInt8(ascii: "U") else {
            throw error("invalid escape in an IRI: only \\u and \\U are allowed", at: start, length: 2)
        }
        let n = kind == UInt8(ascii: "u") ? 4 : 8
        guard i + 2 + n <= b.count else { throw error("incomplete \\\(String(UnicodeScalar(kind))) escape", at: start, length: 2) }
        let hex = String(decoding: b[(i + 2)..<(i + 2 + n)], as: UTF8.self)
        guard hex.allSatisfy(\.isHexDigit), let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
            throw error("invalid escape '\\\(String(UnicodeScalar(kind)))\(hex)'", at: start, length: 2 + n)
        }
        i += 2 + n
        return scalar
    }

    /// BLANK_NODE_LABEL = '_:' (PN_CHARS_U | [0-9]) ((PN_CHARS | '.')* PN_CHARS)?
    mutating func blankNode() throws(Diagnostic) -> String {
        let start = i
        guard peek(1) == UInt8(ascii: ":") else { throw error("expected '_:' to start a blank node", at: i, length: 2) }
        i += 2
        var label: [Unicode.Scalar] = []
        while let (scalar, width) = decodeScalar(at: i) {
            let ok = label.isEmpty
                ? NTriplesParser.isPNCharsU(scalar) || (scalar.value >= 0x30 && scalar.value <= 0x39)
                : NTriplesParser.isPNChars(scalar) || scalar == "."
            guard ok else { break }
            label.append(scalar)
            i += width
        }
        // A label cannot end with '.': that dot ends the statement.
        while label.last == "." {
            label.removeLast()
            i -= 1
        }
        guard !label.isEmpty else { throw error("expected a blank node label after '_:'", at: start, length: 2) }
        var s = ""
        s.unicodeScalars.append(contentsOf: label)
        return s
    }

    func decodeScalar(at k: Int) -> (Unicode.Scalar, Int)? { NTriplesParser.scalar(in: b, at: k) }

    /// The scalar at byte `k` of `b` and its width (the text is valid UTF-8: the loader
    /// checks it before parsing).
    static func scalar(in b: [UInt8], at k: Int) -> (Unicode.Scalar, Int)? {
        guard k < b.count else { return nil }
        let c = b[k]
        if c < 0x80 { return (Unicode.Scalar(c), 1) }
        let n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2
        guard k + n <= b.count else { return nil }
        var v = UInt32(c) & (n == 4 ? 0x07 : n == 3 ? 0x0F : 0x1F)
        for j in 1..<n { v = v << 6 | UInt32(b[k + j] & 0x3F) }
        return Unicode.Scalar(v).map { ($0, n) }
    }

    static func isPNCharsBase(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x41...0x5A, 0x61...0x7A, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D, 0x37F...0x1FFF,
            0x200C...0x200D, 0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFFD,
            0x10000...0xEFFFF:
            return true
        default: return false
        }
    }

    static func isPNCharsU(_ s: Unicode.Scalar) -> Bool { isPNCharsBase(s) || s == "_" }

    static func isPNChars(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x2D, 0x30...0x39, 0xB7, 0x300...0x36F, 0x203F...0x2040: return true
        default: return isPNCharsU(s)
        }
    }

    /// literal = STRING_LITERAL_QUOTE ('^^' IRIREF | LANG_DIR)?
    mutating func literal() throws(Diagnostic) -> RDFTerm {
        let start = i
        i += 1
        var value: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string", at: start) }
            if c == 0x0A || c == 0x0D { throw error("unterminated string (a string ends on its line)", at: start) }
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c == UInt8(ascii: "\\") {
                value.append(contentsOf: try escape(in: start))
                continue
            }
            value.append(c)
            i += 1
        }
        let text = String(decoding: value, as: UTF8.self)
        if peek() == UInt8(ascii: "^") {
            guard peek(1) == UInt8(ascii: "^"), peek(2) == UInt8(ascii: "<") else { throw error("expected '^^<' and a datatype IRI", at: i, length: 2) }
            i += 2
            let datatypeStart = i
            let datatype = try iri()
            // These two are given by a language tag, never written as a datatype.
            if datatype == NTriplesParser.rdf + "langString" || datatype == NTriplesParser.rdf + "dirLangString" {
                throw error("<\(datatype)> is given by a language tag, not written as a datatype", at: datatypeStart, length: i - datatypeStart)
            }
            return .literal(text, datatype: datatype, language: nil, direction: nil)
        }
        if peek() == UInt8(ascii: "@") {
            let (language, direction) = try languageTag()
            return .literal(text, datatype: nil, language: language, direction: direction)
        }
        return .literal(text, datatype: nil, language: nil, direction: nil)
    }

    /// ECHAR | UCHAR in a string opened at `start`: the bytes it stands for (Turtle's too).
    mutating func escape(in start: Int) throws(Diagnostic) -> [UInt8] {
        guard let e = peek(1) else { throw error("unterminated string", at: start) }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "t"): 0x09, UInt8(ascii: "b"): 0x08, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D,
            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "\""): 0x22, UInt8(ascii: "'"): 0x27, UInt8(ascii: "\\"): 0x5C,
        ]
        if let v = simple[e] {
            i += 2
            return [v]
        }
        if e == UInt8(ascii: "u") || e == UInt8(ascii: "U") { return Array(String(Character(try uchar())).utf8) }
        throw error("invalid escape '\\\(String(UnicodeScalar(e)))' in a string", at: i, length: 2)
    }

    /// LANG_DIR = '@' [a-zA-Z]+ ('-' [a-zA-Z0-9]+)* ('--' [a-zA-Z]+)?
    mutating func languageTag() throws(Diagnostic) -> (String, String?) {
        let start = i
        i += 1
        func run(_ allowDigits: Bool) -> String {
            var s = ""
            while let c = peek(), (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (allowDigits && c >= 0x30 && c <= 0x39) {
                s.unicodeScalars.append(UnicodeScalar(c))
                i += 1
            }
            return s
        }
        var tag = run(false)
        guard !tag.isEmpty else { throw error("expected a language tag after '@'", at: start) }
        guard tag.count <= 8 else { throw error("language subtag '\(tag)' is longer than 8 letters", at: start + 1, length: tag.count) }
        var direction: String? = nil
        while peek() == UInt8(ascii: "-") {
            if peek(1) == UInt8(ascii: "-") {
                i += 2
                let d = run(false)
                guard d == "ltr" || d == "rtl" else { throw error("a base direction is --ltr or --rtl", at: i - d.count - 2, length: d.count + 2) }
                direction = d
                break
            }
            i += 1
            let sub = run(true)
            guard sub.count <= 8 else { throw error("language subtag '\(sub)' is longer than 8 characters", at: i - sub.count, length: sub.count) }
            guard !sub.isEmpty else { throw error("expected a subtag after '-' in the language tag", at: i - 1) }
            tag += "-" + sub
        }
        return (tag, direction)
    }
}
