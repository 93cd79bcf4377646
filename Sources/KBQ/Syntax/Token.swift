/// One lexical token of the knowledge-base format or the query language (they share a lexer).
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `NSO_Group`, `claims`, `find`: keywords are words, told apart by the parser.
        case word
        /// `` `NSO Group` ``: a name with spaces, resolved like a word.
        case quotedName
        /// `<http://example.org/x>`: an entity named by its IRI.
        case iri
        /// `?who`
        case variable
        /// `$who`: a query parameter, replaced by its value's token before parsing.
        case parameter
        case string
        /// `"true"^^<http://www.w3.org/2001/XMLSchema#boolean>`, `"Bonjour"@fr`: a literal with
        /// a datatype or language tag (`datatype`), as RDF imports them.
        case typedString
        case integer
        case decimal
        /// `2020`, `2020-06`, `2020-07-12` after `@`-free lexing: only forms with a hyphen.
        case date
        /// Punctuation and operators: `( ) [ ] { } , ; : . * + ^ / | = != < <= > >= :=`.
        case symbol
        case endOfInput
    }

    public var kind: Kind
    /// The token's text; for strings and quoted names, the decoded value.
    public var text: String
    /// Byte range in the source.
    public var range: Range<Int>
    /// A `typedString`'s datatype IRI, or `@` and its language tag.
    public var datatype = ""

    public init(_ kind: Kind, _ text: String, _ range: Range<Int>) {
        self.kind = kind
        self.text = text
        self.range = range
    }

    public func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    public func isWord(_ w: String) -> Bool { kind == .word && text == w }

    /// How the token is named in "expected X, found Y".
    public var described: String {
        switch kind {
        case .endOfInput: return "end of input"
        case .string: return "string \"\(text)\""
        case .variable: return "variable '?\(text)'"
        case .parameter: return "parameter '$\(text)'"
        case .quotedName: return "name `\(text)`"
        default: return "'\(text)'"
        }
    }
}
