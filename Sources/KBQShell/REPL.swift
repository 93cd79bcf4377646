#if canImport(Glibc)
import Glibc
#endif
import CKBQShim
import KBQ

/// The interactive loop: prompt, read, run, print. Errors never end it; Ctrl-C clears the
/// line (or the unfinished statement) or cancels a running query; Ctrl-D quits.
final class REPL {
    let session: Session
    let knowledgeBase: String
    var editor: LineEditor? = nil
    var buffer: [String] = []

    init(session: Session, knowledgeBase: String) {
        self.session = session
        self.knowledgeBase = knowledgeBase
    }

    func run() -> Int32 {
        // libedit only when both ends are a terminal; answers piped elsewhere (`kbq | less`)
        // get plain line reading, the prompt on stderr.
        if isatty(1) == 1 {
            editor = LineEditor(historyPath: LineEditor.defaultHistoryPath()) { [session] before in
                REPL.completions(before, session: session)
            }
        }
        let name = knowledgeBase.isEmpty ? "(empty)" : knowledgeBase
        session.note("\(KBQMain.version): \(name): \(session.summary)\nEnter a query (e.g. find ?who where ?who claims _), .help for help, Ctrl-D to quit.")
        while true {
            let prompt = buffer.isEmpty ? "kbq> " : REPL.continuationPrompt(buffer.joined(separator: "\n"))
            kbq_clear_interrupt()
            let input = editor.map { $0.readLine(prompt: prompt) } ?? readPlainLine(prompt: prompt)
            switch input {
            case .endOfInput:
                // Ctrl-D in the middle of a statement drops it, says so, and stays: only at
                // an empty prompt does it leave.
                if !buffer.isEmpty {
                    buffer = []
                    session.note("\n(statement discarded; Ctrl-D again to quit)")
                    continue
                }
                try? session.err.write("\n")
                try? session.err.flush()
                return session.exitStatus ?? 0
            case .interrupted:
                if !buffer.isEmpty { session.note("(statement discarded)") }
                buffer = []
                try? session.err.write("\n")
                continue
            case .line(let line):
                if buffer.isEmpty && line.trimmingTrailingWhitespace().isEmpty { continue }
                // `quit`, `exit` and `help` alone on a line, as psql, Python and SWI-Prolog
                // users type them: the commands (no statement is a lone word).
                let word = line.trimmingTrailingWhitespace().drop { $0 == " " || $0 == "\t" }.lowercased()
                let asCommand = buffer.isEmpty && ["quit", "exit", "help"].contains(word) ? "." + word : nil
                if buffer.isEmpty && line.first == "." || asCommand != nil {
                    editor?.remember(line)
                    kbq_clear_interrupt()
                    if session.runDot(asCommand ?? line, source: SourceText(name: "<input>", text: asCommand ?? line)) == .quit {
                        return session.exitStatus ?? 0
                    }
                    continue
                }
                buffer.append(line)
                let text = buffer.joined(separator: "\n")
                if REPL.isIncomplete(text, rules: Set(session.ruleNames)) { continue }
                editor?.remember(text)
                buffer = []
                kbq_clear_interrupt()
                if session.runScript(SourceText(name: "<input>", text: text), keepGoing: true) == .quit { return session.exitStatus ?? 0 }
            }
        }
    }

    /// A line from standard input without libedit; Ctrl-C (EINTR) interrupts it.
    func readPlainLine(prompt: String) -> LineEditor.Input {
        try? session.err.write(prompt)
        try? session.err.flush()
        var bytes: [UInt8] = []
        var c: UInt8 = 0
        while true {
            let n = read(0, &c, 1)
            if n < 0 { return errno == EINTR ? .interrupted : .endOfInput }
            if n == 0 { return bytes.isEmpty ? .endOfInput : .line(String(decoding: bytes, as: UTF8.self)) }
            if c == 0x0A { return .line(String(decoding: bytes, as: UTF8.self)) }
            bytes.append(c)
        }
    }

    /// Whether the last statement of `text` needs more lines.
    static func isIncomplete(_ text: String, rules: Set<String>) -> Bool {
        var splitter = StatementSplitter(name: "<input>", bytes: Array(text.utf8))
        var last: Result<CommandSyntax, Diagnostic>? = nil
        while let piece = splitter.next(allowDotCommands: false, parse: { chunk in
            Result { () throws(Diagnostic) in try Parser.parseCommand(chunk, rules: rules) }
        }) {
            if case .statement(_, let r) = piece { last = r }
        }
        if case .failure(let d)? = last { return d.isIncomplete }
        return false
    }

    /// `...> ` with what is still open: `[( ...> `.
    static func continuationPrompt(_ text: String) -> String {
        var open: [Character] = []
        var inString = false
        var inComment = false
        var previous: Character = " "
        for c in text {
            if inComment { if c == "\n" { inComment = false }; previous = c; continue }
            if inString {
                if c == "\"" && previous != "\\" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "#" || (c == "-" && previous == "-") {
                inComment = true
            } else if "([{".contains(c) {
                open.append(c)
            } else if ")]}".contains(c), !open.isEmpty {
                open.removeLast()
            }
            previous = c
        }
        let shown = String(open.suffix(4))
        return DisplayWidth.pad(shown, to: 4, right: true) + "...> "
    }

    static let keywords = ["find", "where", "and", "or", "not", "optional", "order", "by", "group", "limit",
                           "offset", "asc", "desc", "as", "distinct", "contains", "matches", "in", "rule", "why",
                           "unknown", "none", "count", "sum", "min", "max", "avg"]

    /// Candidates for the word before the cursor.
    static func completions(_ before: String, session: Session) -> [String] {
        let word = Completion.currentWord(before)
        let trimmed = before.drop { $0 == " " }
        if trimmed.hasPrefix(".read ") || trimmed.hasPrefix(".load ") || trimmed.hasPrefix(".output ") || trimmed.hasPrefix(".once ") {
            return fileCompletions(word)
        }
        // A setting's values after its command, not every name of the knowledge base.
        let settings: [String: [String]] = [
            ".mode ": OutputMode.allCases.map(\.rawValue), ".headers ": ["on", "off"], ".timer ": ["on", "off"],
            ".timeout ": ["off"], ".nullvalue ": ["off"], ".param ": ["set", "unset", "clear"],
            ".help ": Session.dotCommands.map { String($0.name.dropFirst()) },
        ]
        if let (_, values) = settings.first(where: { trimmed.hasPrefix($0.key) }) {
            return values.filter { $0.hasPrefix(word) && $0 != word }.sorted()
        }
        if trimmed.first == ".", !trimmed.contains(" ") {
            return Session.dotCommandNames.filter { $0.hasPrefix(word) }.sorted()
        }
        let store = session.store
        if word.hasPrefix("?"), let dot = word.lastIndex(of: ".") {
            let base = word[..<dot]
            let fields = ["label", "id", "description", "type", "source", "para", "subject", "pred", "object", "line", "file"]
            return Array(Set((fields + store.keys.map(\.name)).map { base + "." + $0 }.filter { $0.hasPrefix(word) })).sorted()
        }
        if word.hasPrefix("?") {
            var vars: [String] = []
            var current = ""
            for c in before + " " {
                if c == "?" { current = "?" } else if !current.isEmpty && (c.isLetter || c.isNumber || c == "_") { current.append(c) } else {
                    if current.count > 1 && current != word && !vars.contains(current) { vars.append(current) }
                    current = ""
                }
            }
            return vars.filter { $0.hasPrefix(word) }
        }
        if word.hasPrefix("`") {
            let labels = store.entities.indices.flatMap(store.entities.labelAndAliases).map { "`\($0)`" }
            return Array(Set(labels.filter { $0.lowercased().hasPrefix(word.lowercased()) })).sorted()
        }
        // Inside `{...}` where a key goes (after `{` or `,`, before its `:`): the keys only.
        if let brace = before.lastIndex(of: "{"), !before[brace...].contains("}") {
            let sinceKey = before[before.index(after: brace)...].split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            if !sinceKey.contains(":") {
                return store.keys.map { $0.name + ":" }.filter { $0.hasPrefix(word) && $0 != word }.sorted()
            }
        }
        var words = keywords + store.predicates.map(\.name) + store.entities.ids + store.types.map(\.name)
        words += session.ruleNames
        return Array(Set(words.filter { $0.hasPrefix(word) && $0 != word })).sorted()
    }

    /// File names as a shell takes them: typed with `\ ` for spaces, inserted so.
    static func fileCompletions(_ typed: String) -> [String] {
        let word = typed.replacing("\\ ", with: " ")
        return plainFileCompletions(word).map { $0.replacing(" ", with: "\\ ") }
    }

    static func plainFileCompletions(_ word: String) -> [String] {
        let dir: String
        let prefix: String
        if let slash = word.lastIndex(of: "/") {
            dir = String(word[...slash])
            prefix = String(word[word.index(after: slash)...])
        } else {
            dir = ""
            prefix = word
        }
        return FileSystem.list(dir.isEmpty ? "." : dir)
            .filter { $0.hasPrefix(prefix) && ($0.first != "." || prefix.first == ".") }
            .map { dir + $0 + (FileSystem.isDirectory(dir + $0) ? "/" : "") }
    }
}
