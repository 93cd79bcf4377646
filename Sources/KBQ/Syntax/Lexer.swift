/// Turns the bytes of one source text into tokens. Stateless apart from its position, as
/// SQLite's tokenizer: comments and whitespace (newlines included) are skipped, since
/// statement boundaries are found by `StatementSplitter` before lexing.
public struct Lexer {
    let source: SourceText
    let b: [UInt8]
    var i = 0

    public init(_ source: SourceText) {
        self.source = source
        self.b = source.bytes
    }

    /// All tokens, ending with `.endOfInput`.
    public static func tokenize(_ source: SourceText) throws(Diagnostic) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        tokens.reserveCapacity(source.bytes.count / 4 + 1)
        while true {
            let t = try lexer.next()
            tokens.append(t)
            if t.kind == .endOfInput { return tokens }
        }
    }

    func error(_ message: String, _ range: Range<Int>, incomplete: Bool = false) -> Diagnostic {
        Diagnostic(.error, message, source: source, range: range, incomplete: incomplete)
    }

    mutating func skipTrivia() {
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                i += 1
            } else if c == UInt8(ascii: "#")
                || (c == UInt8(ascii: "-") && i + 1 < b.count && b[i + 1] == UInt8(ascii: "-"))
            {
                while i < b.count && b[i] != 0x0A { i += 1 }
            } else {
                return
            }
        }
    }

    /// `?name` or `$name`: the sigil at `start`, then a word.
    mutating func named(_ kind: Token.Kind, _ what: String, from start: Int) throws(Diagnostic) -> Token {
        i += 1
        let nameStart = i
        while i < b.count && isWordByte(b[i]) { i += 1 }
        if i == nameStart { throw error("expected a \(what) name after '\(Character(UnicodeScalar(b[start])))'", start..<i) }
        return Token(kind, text(nameStart, i), start..<i)
    }

    public mutating func next() throws(Diagnostic) -> Token {
        skipTrivia()
        let start = i
        guard i < b.count else { return Token(.endOfInput, "", b.count..<b.count) }
        let c = b[i]
        if isWordStart(c) {
            while i < b.count && isWordByte(b[i]) { i += 1 }
            return Token(.word, text(start, i), start..<i)
        }
        if isDigit(c) { return try number() }
        switch c {
        case UInt8(ascii: "?"): return try named(.variable, "variable", from: start)
        case UInt8(ascii: "$"): return try named(.parameter, "parameter", from: start)
        case UInt8(ascii: "\""):
            return try string()
        case UInt8(ascii: "`"):
            i += 1
            while i < b.count && b[i] != UInt8(ascii: "`") && b[i] != 0x0A { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "`") else {
                throw error("unterminated name: missing closing '`'", start..<start + 1)
            }
            i += 1
            let name = text(start + 1, i - 1)
            if name.isEmpty { throw error("empty name ``", start..<i) }
            return Token(.quotedName, name, start..<i)
        case UInt8(ascii: "-"):
            // A negative number: `-` is no operator of its own.
            if i + 1 < b.count && isDigit(b[i + 1]) {
                i += 1
                return try number(from: start)
            }
        default:
            break
        }
        if c == UInt8(ascii: "<"), let end = iriEnd(from: i) {
            i = end + 1
            return Token(.iri, text(start + 1, end), start..<i)
        }
        for op in Lexer.twoByteSymbols where i + 1 < b.count && b[i] == op.0 && b[i + 1] == op.1 {
            i += 2
            return Token(.symbol, text(start, i), start..<i)
        }
        if Lexer.oneByteSymbols.contains(c) {
            i += 1
            return Token(.symbol, text(start, i), start..<i)
        }
        // One whole character (possibly several bytes), for the message.
        i += 1
        while i < b.count && b[i] & 0xC0 == 0x80 { i += 1 }
        throw error("unexpected character '\(text(start, i))'", start..<i)
    }

    static let twoByteSymbols: [(UInt8, UInt8)] = [
        (UInt8(ascii: ":"), UInt8(ascii: "=")), (UInt8(ascii: "!"), UInt8(ascii: "=")),
        (UInt8(ascii: "<"), UInt8(ascii: "=")), (UInt8(ascii: ">"), UInt8(ascii: "=")),
    ]
    static let oneByteSymbols: Set<UInt8> = Set("()[]{},;:.*+^/|=<>".utf8)

    /// `<scheme:...>` with no space inside: an IRI, not a comparison.
    func iriEnd(from start: Int) -> Int? { StatementSplitter.iriEnd(b, from: start, b.count) }

    func isWordStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0xC0
    }
    func isWordByte(_ c: UInt8) -> Bool { isWordStart(c) || isDigit(c) || (c >= 0x80) }
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
    func text(_ from: Int, _ to: Int) -> String { String(decoding: b[from..<to], as: UTF8.self) }

    /// integer | decimal | date: `42`, `-3`, `1.5`, `2020-06`, `2020-07-12`.
    mutating func number(from start: Int? = nil) throws(Diagnostic) -> Token {
        let start = start ?? i
        while i < b.count && isDigit(b[i]) { i += 1 }
        let digits = i - start
        // A date: four digits, '-', two digits, optionally '-' and two more.
        if digits == 4 && b[start] != UInt8(ascii: "-") && i + 1 < b.count
            && b[i] == UInt8(ascii: "-") && isDigit(b[i + 1])
        {
            i += 1
            let monthStart = i
            while i < b.count && isDigit(b[i]) { i += 1 }
            if i - monthStart != 2 { throw error("malformed date: the month needs two digits", start..<i) }
            if i < b.count && b[i] == UInt8(ascii: "-") {
                i += 1
                let dayStart = i
                while i < b.count && isDigit(b[i]) { i += 1 }
                if i - dayStart != 2 { throw error("malformed date: the day needs two digits", start..<i) }
            }
            if i < b.count && isWordByte(b[i]) { throw error("malformed date '\(text(start, i + 1))'", start..<i + 1) }
            let t = text(start, i)
            if DateValue(parsing: t) == nil { throw error("invalid date '\(t)'", start..<i) }
            return Token(.date, t, start..<i)
        }
        if i + 1 < b.count && b[i] == UInt8(ascii: ".") && isDigit(b[i + 1]) {
            i += 1
            while i < b.count && isDigit(b[i]) { i += 1 }
            return Token(.decimal, text(start, i), start..<i)
        }
        if i < b.count && isWordStart(b[i]) {
            var end = i
            while end < b.count && isWordByte(b[end]) { end += 1 }
            throw error("malformed number '\(text(start, end))'", start..<end)
        }
        return Token(.integer, text(start, i), start..<i)
    }

    /// A string on one line, with escapes `\" \\ \n \t \u{...}`.
    mutating func string() throws(Diagnostic) -> Token {
        let start = i
        i += 1
        var value: [UInt8] = []
        while true {
            guard i < b.count, b[i] != 0x0A else {
                throw error("unterminated string", start..<start + 1)
            }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { throw error("unterminated string", start..<start + 1) }
                let e = b[i + 1]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): value.append(e); i += 2
                case UInt8(ascii: "n"): value.append(0x0A); i += 2
                case UInt8(ascii: "t"): value.append(0x09); i += 2
                case UInt8(ascii: "u"):
                    let escStart = i
                    i += 2
                    guard i < b.count, b[i] == UInt8(ascii: "{") else {
                        throw error("expected '{' after \\u", escStart..<i)
                    }
                    i += 1
                    let hexStart = i
                    while i < b.count && b[i] != UInt8(ascii: "}") && b[i] != 0x0A && i - hexStart < 8 { i += 1 }
                    guard i < b.count, b[i] == UInt8(ascii: "}"),
                        let v = UInt32(text(hexStart, i), radix: 16), let scalar = Unicode.Scalar(v)
                    else { throw error("invalid unicode escape", escStart..<min(i + 1, b.count)) }
                    i += 1
                    value.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw error("unknown escape '\\\(text(i + 1, i + 2))'", i..<i + 2)
                }
                continue
            }
            value.append(c)
            i += 1
        }
        let text = String(decoding: value, as: UTF8.self)
        // Right after the quote, a datatype `^^<IRI>` or a language tag `@en`, `@ar--rtl`.
        if i + 2 < b.count, b[i] == UInt8(ascii: "^"), b[i + 1] == UInt8(ascii: "^"), b[i + 2] == UInt8(ascii: "<"),
            let end = iriEnd(from: i + 2)
        {
            var t = Token(.typedString, text, start..<end + 1)
            t.datatype = self.text(i + 3, end)
            i = end + 1
            return t
        }
        if i + 1 < b.count, b[i] == UInt8(ascii: "@"), isLetter(b[i + 1]) {
            let tagStart = i + 1
            var j = tagStart
            while j < b.count, isLetter(b[j]) || isDigit(b[j]) || b[j] == UInt8(ascii: "-") { j += 1 }
            var t = Token(.typedString, text, start..<j)
            t.datatype = "@" + self.text(tagStart, j)
            i = j
            return t
        }
        return Token(.string, text, start..<i)
    }
}
