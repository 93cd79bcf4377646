/// Cuts a file (a script or a knowledge base) into statements.
///
/// A statement ends at `;`, or at the end of a line when it is complete and the next line
/// does not continue it. It continues while it is incomplete (an open bracket, a trailing
/// `,`, `where` with nothing after it), and when the next line begins with a continuation
/// word (`where`, `order`, `and`, ...). Newlines are otherwise plain whitespace to the parser.
public struct StatementSplitter {
    public static let continuationWords: Set<String> = [
        "where", "order", "group", "limit", "offset", "and", "or", "as",
    ]

    public let name: String
    let bytes: [UInt8]
    var position = 0
    var line = 1
    var column = 1

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public enum Piece<R> {
        /// A line starting with `.` at a statement boundary (scripts only).
        case dotCommand(String, SourceText)
        case statement(SourceText, Result<R, Diagnostic>)
    }

    /// The next statement, parsed by `parse`; nil at the end of the file.
    public mutating func next<R>(
        allowDotCommands: Bool = false, parse: (SourceText) -> Result<R, Diagnostic>
    ) -> Piece<R>? {
        skipBlankAndCommentLines()
        guard position < bytes.count else { return nil }
        let start = position
        let startLine = line
        let startColumn = column
        if allowDotCommands && bytes[position] == UInt8(ascii: ".") {
            let end = endOfLine(from: position)
            advance(to: end)
            let text = SourceText(name: name, bytes: Array(bytes[start..<end]), firstLine: startLine, firstColumn: startColumn)
            return .dotCommand(text.text, text)
        }
        var end = segmentEnd(from: position)
        // What is open so far, scanned a line at a time: while a bracket is open or the text
        // ends in `,` or a word that needs more, more lines are taken without parsing (the
        // parse of the whole statement at every line made a statement of n lines cost n^2).
        var open = OpenScan()
        open.feed(bytes, start..<end)
        while true {
            let endedBySemicolon = end < bytes.count && bytes[end] == UInt8(ascii: ";")
            // Taken without a parse: more is surely needed, or the next line continues it.
            if !endedBySemicolon && end < bytes.count && (open.surelyIncomplete(bytes) || nextLineContinues(after: end)) {
                let next = nextContentSegmentEnd(after: end)
                open.feed(bytes, end..<next)
                end = next
                continue
            }
            let chunk = SourceText(name: name, bytes: Array(bytes[start..<end]), firstLine: startLine, firstColumn: startColumn)
            let result = parse(chunk)
            var wantsMore = false
            if case .failure(let d) = result, d.isIncomplete { wantsMore = true }
            if !endedBySemicolon && end < bytes.count && wantsMore {
                let next = nextContentSegmentEnd(after: end)
                open.feed(bytes, end..<next)
                end = next
                continue
            }
            advance(to: endedBySemicolon ? end + 1 : end)
            return .statement(chunk, result)
        }
    }

    /// Brackets left open and the last token of the text scanned so far, outside strings,
    /// quoted names and comments (as `segmentEnd` reads them).
    struct OpenScan {
        var depth = 0
        /// The last byte that is not blank, or the range of the last word when it ended one.
        var last: UInt8 = 0
        var lastWord: Range<Int>? = nil

        /// Words after which a statement cannot end.
        static let needMore: Set<String> = ["where", "and", "or", "not", "optional", "by", "find", "distinct", "as", "rule"]

        mutating func feed(_ bytes: [UInt8], _ range: Range<Int>) {
            var j = range.lowerBound
            while j < range.upperBound {
                let c = bytes[j]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    // A string or quoted name: to its end on this line (a language tag after
                    // a string too: `--` in `@ar--rtl` starts no comment).
                    j += 1
                    while j < range.upperBound && bytes[j] != c && bytes[j] != 0x0A {
                        if c == UInt8(ascii: "\"") && bytes[j] == UInt8(ascii: "\\") { j += 1 }
                        j += 1
                    }
                    if c == UInt8(ascii: "\""), j < range.upperBound, bytes[j] == c { j = StatementSplitter.tagEnd(bytes, after: j, range.upperBound) }
                    (last, lastWord) = (c, nil)
                } else if c == UInt8(ascii: "<"), let end = StatementSplitter.iriEnd(bytes, from: j, range.upperBound) {
                    // An IRI: its `#` and `--` start no comment.
                    j = end
                    (last, lastWord) = (UInt8(ascii: "\""), nil)
                } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "-") && j + 1 < range.upperBound && bytes[j + 1] == UInt8(ascii: "-")) {
                    while j < range.upperBound && bytes[j] != 0x0A { j += 1 }
                    continue
                } else if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    (depth, last, lastWord) = (depth + 1, c, nil)
                } else if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                    (depth, last, lastWord) = (max(0, depth - 1), c, nil)
                } else if OpenScan.isWordByte(c) {
                    let s = j
                    while j + 1 < range.upperBound && OpenScan.isWordByte(bytes[j + 1]) { j += 1 }
                    // A variable (`?by`) or a field (`?s.as`) is no keyword.
                    let named = s > 0 && (bytes[s - 1] == UInt8(ascii: "?") || bytes[s - 1] == UInt8(ascii: "."))
                    (last, lastWord) = (c, named ? nil : s..<(j + 1))
                } else if c != 0x20 && c != 0x09 && c != 0x0D && c != 0x0A {
                    (last, lastWord) = (c, nil)
                }
                j += 1
            }
        }

        static func isWordByte(_ c: UInt8) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c >= 0x80
        }

        func surelyIncomplete(_ bytes: [UInt8]) -> Bool {
            // After `,` or a path operator a statement cannot end.
            if depth > 0 || last == UInt8(ascii: ",") || last == UInt8(ascii: "^") || last == UInt8(ascii: "/") || last == UInt8(ascii: "|") { return true }
            guard let w = lastWord, w.count <= 8 else { return false }
            return OpenScan.needMore.contains(String(decoding: bytes[w], as: UTF8.self))
        }
    }

    /// Moves to the start of line `n`, at offset `start`, or to `end` on the current line,
    /// without counting the bytes between (the loader's fast lines, which hold no newline
    /// but their own and whose columns are never reported).
    mutating func jump(toLine n: Int, at start: Int) {
        guard start != position else { return }
        (line, column, position) = (n, 1, start)
    }

    mutating func jump(toEndOfLine end: Int) {
        column += end - position
        position = end
    }

    mutating func advance(to target: Int) {
        while position < target {
            if bytes[position] == 0x0A { line += 1; column = 1 } else if bytes[position] & 0xC0 != 0x80 { column += 1 }
            position += 1
        }
    }

    func endOfLine(from i: Int) -> Int {
        var j = i
        while j < bytes.count && bytes[j] != 0x0A { j += 1 }
        return j
    }

    /// The `>` of an IRI `<scheme:...>` starting at `start` (no space inside); nil when none
    /// starts there (a comparison). The lexer reads IRIs with it too.
    static func iriEnd(_ b: [UInt8], from start: Int, _ limit: Int) -> Int? {
        var j = start + 1
        guard j < limit, (b[j] >= 0x61 && b[j] <= 0x7A) || (b[j] >= 0x41 && b[j] <= 0x5A) else { return nil }
        while j < limit, OpenScan.isWordByte(b[j]) || b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: ".") { j += 1 }
        guard j < limit, b[j] == UInt8(ascii: ":") else { return nil }
        while j < limit, b[j] > 0x20, b[j] != UInt8(ascii: ">"), b[j] != UInt8(ascii: "<"), b[j] != UInt8(ascii: "\"") { j += 1 }
        return j < limit && b[j] == UInt8(ascii: ">") ? j : nil
    }

    /// The last byte of a string's language tag (`"x"@ar--rtl`) when one follows its closing
    /// quote at `quote`, else `quote`.
    static func tagEnd(_ b: [UInt8], after quote: Int, _ limit: Int) -> Int {
        var j = quote + 1
        guard j + 1 < limit, b[j] == UInt8(ascii: "@"), (b[j + 1] | 0x20) >= 0x61 && (b[j + 1] | 0x20) <= 0x7A else { return quote }
        j += 1
        while j < limit, ((b[j] | 0x20) >= 0x61 && (b[j] | 0x20) <= 0x7A) || (b[j] >= 0x30 && b[j] <= 0x39) || b[j] == UInt8(ascii: "-") { j += 1 }
        return j - 1
    }

    /// End of the statement text on this line: the next top-level `;` or the newline.
    func segmentEnd(from i: Int) -> Int {
        var j = i
        var inString = false
        var inName = false
        while j < bytes.count && bytes[j] != 0x0A {
            let c = bytes[j]
            if inString {
                if c == UInt8(ascii: "\\") { j += 1 } else if c == UInt8(ascii: "\"") { inString = false }
            } else if inName {
                if c == UInt8(ascii: "`") { inName = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "`") {
                inName = true
            } else if c == UInt8(ascii: "<"), let end = StatementSplitter.iriEnd(bytes, from: j, bytes.count) {
                j = end + 1
                continue
            } else if c == UInt8(ascii: "@"), j > 0, bytes[j - 1] == UInt8(ascii: "\"") {
                // Past the tag, or past the `@` when none follows (always forward).
                j = max(StatementSplitter.tagEnd(bytes, after: j - 1, bytes.count), j) + 1
                continue
            } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "-") && j + 1 < bytes.count && bytes[j + 1] == UInt8(ascii: "-")) {
                return endOfLine(from: j)
            } else if c == UInt8(ascii: ";") {
                return j
            }
            j += 1
        }
        // A `\` at the very end skipped past it.
        return min(j, bytes.count)
    }

    mutating func skipBlankAndCommentLines() {
        while position < bytes.count {
            var j = position
            while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0D || bytes[j] == UInt8(ascii: ";")) { j += 1 }
            if j < bytes.count && bytes[j] == 0x0A {
                advance(to: j + 1)
            } else if j < bytes.count && isCommentStart(j) {
                let e = endOfLine(from: j)
                advance(to: min(e + 1, bytes.count))
            } else {
                advance(to: j)
                return
            }
        }
    }

    /// The end of the next line's statement text after `end`, blank and comment lines taken
    /// with it in one step: they cannot change whether a statement is complete, and taking
    /// them a line (and a parse or a look-ahead) at a time made n blank lines cost n^2.
    func nextContentSegmentEnd(after end: Int) -> Int {
        var lineStart = end + 1
        var next = segmentEnd(from: lineStart)
        while next < bytes.count && isBlankOrComment(lineStart..<next) {
            lineStart = next + 1
            next = segmentEnd(from: lineStart)
        }
        return next
    }

    func isBlankOrComment(_ r: Range<Int>) -> Bool {
        guard let j = r.first(where: { bytes[$0] != 0x20 && bytes[$0] != 0x09 && bytes[$0] != 0x0D && bytes[$0] != 0x0A }) else { return true }
        return isCommentStart(j)
    }

    func isCommentStart(_ j: Int) -> Bool {
        bytes[j] == UInt8(ascii: "#") || (bytes[j] == UInt8(ascii: "-") && j + 1 < bytes.count && bytes[j + 1] == UInt8(ascii: "-"))
    }

    /// Whether the first non-blank line after `end` begins with a continuation word or symbol.
    func nextLineContinues(after end: Int) -> Bool {
        bytes.withUnsafeBufferPointer { StatementSplitter.nextLineContinues($0, after: end) }
    }

    /// As `nextLineContinues(after:)`, on any bytes (the loader's prescan asks on every core).
    static func nextLineContinues(_ bytes: UnsafeBufferPointer<UInt8>, after end: Int) -> Bool {
        func isCommentStart(_ j: Int) -> Bool {
            bytes[j] == UInt8(ascii: "#") || (bytes[j] == UInt8(ascii: "-") && j + 1 < bytes.count && bytes[j + 1] == UInt8(ascii: "-"))
        }
        var j = end
        while j < bytes.count {
            while j < bytes.count && (bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0D || bytes[j] == 0x0A) { j += 1 }
            guard j < bytes.count else { return false }
            if isCommentStart(j) {
                while j < bytes.count && bytes[j] != 0x0A { j += 1 }
                continue
            }
            break
        }
        guard j < bytes.count else { return false }
        // The continuation symbols `,|/{}])=:`, by a switch (the loader asks at every line).
        switch bytes[j] {
        case UInt8(ascii: ","), UInt8(ascii: "|"), UInt8(ascii: "/"), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "]"), UInt8(ascii: ")"), UInt8(ascii: "="), UInt8(ascii: ":"):
            return true
        default: break
        }
        var k = j
        while k < bytes.count && (bytes[k] >= UInt8(ascii: "a") && bytes[k] <= UInt8(ascii: "z")) { k += 1 }
        guard k > j else { return false }
        if k < bytes.count, bytes[k] == UInt8(ascii: "_") || (bytes[k] >= 0x30 && bytes[k] <= 0x39) || (bytes[k] >= 0x41 && bytes[k] <= 0x5A) { return false }
        // Every continuation word starts with one of these and has at most six letters, so
        // most lines (`entity ...`, a statement) are answered without making a String.
        guard k - j <= 6 else { return false }
        switch bytes[j] {
        case UInt8(ascii: "w"), UInt8(ascii: "o"), UInt8(ascii: "g"), UInt8(ascii: "l"), UInt8(ascii: "a"): break
        default: return false
        }
        return continuationWords.contains(String(decoding: UnsafeBufferPointer(rebasing: bytes[j..<k]), as: UTF8.self))
    }
}
