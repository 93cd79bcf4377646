/// An error or warning about user text: the one error type of every phase (lexing, parsing,
/// loading, evaluation), rendered in one place, compiler style.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var source: SourceText?
    /// Byte range in `source` to underline.
    public var range: Range<Int>
    /// True when the text ended before the statement did: the REPL asks for another line.
    public var isIncomplete: Bool
    /// Further lines printed after the caret (e.g. "'[' opened here").
    public var notes: [Diagnostic]
    /// Set when the error is a stop asked for (Ctrl-C, the time limit) before evaluation
    /// began, while a query was being planned.
    public var interruption: Interruption?

    public init(
        _ severity: Severity = .error, _ message: String, source: SourceText?, range: Range<Int>,
        incomplete: Bool = false, notes: [Diagnostic] = [], interruption: Interruption? = nil
    ) {
        self.interruption = interruption
        self.severity = severity
        self.message = message
        self.source = source
        self.range = range
        self.isIncomplete = incomplete
        self.notes = notes
    }

    /// A diagnostic about no particular text (I/O errors, usage).
    public static func plain(_ message: String, name: String = "kbq") -> Diagnostic {
        Diagnostic(.error, message, source: SourceText(name: name, text: ""), range: 0..<0)
    }

    /// A message with every quoted name of more than 60 characters cut to its start: an
    /// unknown name of 16 MB is not repeated whole.
    static func shortened(_ message: String) -> String {
        guard message.count > 120 else { return message }
        var out = ""
        var quoted = ""
        var inQuote = false
        for c in message {
            if c == "'" {
                if inQuote {
                    // A name has no space (an apostrophe in prose does not start one), or is long.
                    let cut = quoted.count > 200 || (quoted.count > 60 && !quoted.contains(" "))
                    out += cut ? String(quoted.prefix(50)) + "… (\(quoted.count) characters)" : quoted
                    quoted = ""
                }
                inQuote.toggle()
                out.append(c)
            } else if inQuote {
                quoted.append(c)
            } else {
                out.append(c)
            }
        }
        return out + quoted
    }

    /// `file:line:col: error: message`, the source line, and a caret under the range.
    public var description: String { render(color: false) }

    public func render(color: Bool) -> String {
        var out = ""
        let bold = color ? "\u{1B}[1m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        let tint: String
        switch severity {
        case .error: tint = color ? "\u{1B}[1;31m" : ""
        case .warning: tint = color ? "\u{1B}[1;35m" : ""
        case .note: tint = color ? "\u{1B}[1;36m" : ""
        }
        guard let source, !(source.bytes.isEmpty && range.isEmpty) else {
            let name = source?.name ?? "kbq"
            return "\(bold)\(name):\(reset) \(tint)\(severity.rawValue):\(reset) \(Display.visible(Diagnostic.shortened(message)))\n"
        }
        let (line, column) = source.lineAndColumn(of: range.lowerBound)
        out += "\(bold)\(source.name):\(line):\(column):\(reset) \(tint)\(severity.rawValue):\(reset) "
        out += "\(Display.visible(Diagnostic.shortened(message)))\n"
        // Offsets are bytes of the source, which may not be valid UTF-8 (the error may be
        // about that): the line's end is found in the bytes, never from decoded text, whose
        // replacement characters are longer than the bytes they replace.
        let at = min(max(0, range.lowerBound), source.bytes.count)
        let (_, lineStart) = source.lineText(containing: at)
        var lineEnd = at
        while lineEnd < source.bytes.count && source.bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        // A CRLF line's CR is its end, not a character to show.
        if lineEnd > at, source.bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        if lineEnd > lineStart {
            var before = Display.visible(String(decoding: source.bytes[lineStart..<at], as: UTF8.self))
            let end = max(at, min(range.upperBound, lineEnd))
            var under = Display.visible(String(decoding: source.bytes[at..<end], as: UTF8.self))
            var after = Display.visible(String(decoding: source.bytes[end..<lineEnd], as: UTF8.self))
            // A very long line is shown as a window around the caret.
            if before.count > 60 { before = "…" + String(before.suffix(50)) }
            if under.count > 60 { under = String(under.prefix(60)) }
            if after.count > 60 { after = String(after.prefix(50)) + "…" }
            let lineText = before + under + after
            let pad = String(repeating: " ", count: DisplayWidth.of(expandTabs(before)))
            let width = max(1, DisplayWidth.of(under))
            out += "  \(expandTabs(lineText))\n"
            out += "  \(pad)\(tint)^\(String(repeating: "~", count: width - 1))\(reset)\n"
        }
        for note in notes { out += note.render(color: color) }
        return out
    }

    private func expandTabs(_ s: String) -> String {
        s.replacingTabs()
    }
}

extension String {
    func replacingTabs() -> String {
        guard contains("\t") else { return self }
        return String(map { $0 == "\t" ? " " : $0 })
    }
}

/// Collects diagnostics up to a cap, so that one bad file does not flood the terminal.
public struct DiagnosticList: Error, Sendable {
    public var items: [Diagnostic] = []
    public var dropped = 0
    public static let cap = 50

    public init() {}
    public init(_ one: Diagnostic) { items = [one] }

    public mutating func append(_ d: Diagnostic) {
        if items.count < Self.cap { items.append(d) } else { dropped += 1 }
    }

    public var isEmpty: Bool { items.isEmpty }
    public var errorCount: Int { items.filter { $0.severity == .error }.count + dropped }

    public func render(color: Bool) -> String {
        var out = items.map { $0.render(color: color) }.joined()
        if dropped > 0 { out += "kbq: note: \(dropped) more errors not shown\n" }
        return out
    }
}
