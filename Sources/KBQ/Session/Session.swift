#if canImport(Glibc)
import Glibc
#endif

/// One user's session over a knowledge base: what the REPL and the script runner share.
/// It runs statements and dot-commands, writes answers to `out` and diagnostics to `err`,
/// and never ends on an error; the caller decides whether an error stops a script.
public final class Session {
    public enum Outcome: Equatable { case ok, error, interrupted, quit }

    public private(set) var store: FactStore
    /// Rules typed in this session (rules from files live in the store).
    public private(set) var sessionRules: [StoredRule] = []
    public var mode: OutputMode
    public var headers = true
    public var timer = false
    public var color = false
    /// `--color=always`: colour even where the output is not a terminal.
    public var colorAlways = false

    func colored(_ output: TextOutput) -> Bool { color && (colorAlways || output.isTerminal) }
    /// Time limit per query, in seconds.
    public var timeLimit: Double? = nil
    /// Resident bytes at which a query stops with an error (`--memory-limit`).
    public var memoryLimit: Int? = Limits.defaultMemoryLimit
    public var out: TextOutput
    public let stdout: TextOutput
    public let err: TextOutput
    /// `.once FILE`: the next result only goes there.
    var onceOutput: TextOutput? = nil
    /// Answers of the last query, for `why N`.
    public private(set) var lastAnswers: Answers?
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Whether the reader of standard output has gone (a pipe closed by `head`).
    public var outputClosed: @Sendable () -> Bool = { false }
    /// A script or `-e` run ends, quietly, when its output's reader has gone; an
    /// interactive session only ends that answer.
    public var endOnClosedOutput = false
    /// `--to-sparql`: print each query as SPARQL instead of running it.
    public var translateToSPARQL = false
    var cachedRules: (version: Int, count: Int, engine: RuleEngine)? = nil
    /// Where the knowledge base came from (its files, and the image it was read from), for `.info`.
    public var origin: String? = nil
    /// Query parameters (`-p name=value`, `.param set`): `$name` in a query is the value,
    /// typed as a literal would be.
    public var parameters: [String: String] = [:]
    /// Given a name no entity has, a note on where it might be (the program sets it when
    /// the files named leave out the bundled case, which has the name).
    public var unknownNameHint: ((String) -> String?)? = nil
    /// `--safe` (a script from someone else): no commands run, no files written, no file
    /// read outside this folder (the knowledge base's) by `include`, `.load` or `.read`.
    public var safeRoot: String? = nil
    /// The pager an answer taller than the terminal goes through (`.pager`; nil: none).
    public var pager: String? = nil
    /// The terminal's height in rows; nil when not known. The program sets it.
    public var terminalRows: () -> Int? = { nil }
    /// `.once |CMD`: the command the next answer goes to, started only then (started at
    /// `.once`, it fought the line editor for the terminal until the answer came).
    var oncePipe: String? = nil
    /// What no record shows as (`.nullvalue`); nil: each mode's own.
    public var nullValue: String? = nil
    /// The terminal's width in columns, asked at each answer (so a resize between queries
    /// is followed); nil when not known. The program sets it.
    public var terminalWidth: () -> Int? = { nil }
    /// The status `.quit N` asked for.
    public var exitStatus: Int32? = nil
    /// Where `.output` sends answers (nil: standard output), for `.show`.
    var outputTarget: String? = nil

    public init(store: FactStore = FactStore(), stdout: TextOutput, stderr: TextOutput, mode: OutputMode) {
        self.store = store
        self.stdout = stdout
        self.out = stdout
        self.err = stderr
        self.mode = mode
    }

    // MARK: diagnostics

    public func report(_ d: Diagnostic) {
        var d = d
        if let hint = unknownNameHint, d.message.hasPrefix("unknown entity '"),
            let name = d.message.dropFirst("unknown entity '".count).split(separator: "'").first, let note = hint(String(name))
        {
            d.notes.append(Diagnostic(.note, note, source: nil, range: 0..<0))
        }
        try? err.write(d.render(color: colored(err)))
        try? err.flush()
    }

    public func report(_ list: DiagnosticList) {
        try? err.write(list.render(color: colored(err)))
        try? err.flush()
    }

    public func note(_ text: String) {
        try? err.write(text + "\n")
        try? err.flush()
    }

    // MARK: loading

    /// Loads files, all or nothing: on any error the store is unchanged.
    @discardableResult
    public func load(files: [String]) -> Outcome {
        // Named files too: `.load` in a script from others reads nothing outside.
        if let refusal = outsideSafeRoot(files) {
            report(Diagnostic(.error, refusal, source: nil, range: 0..<0))
            return .error
        }
        let outcome = adopt(Loader.load(files: files, into: store, includesConfinedTo: safeRoot))
        // A file of no kind kbq knows was read as .kb text: say so, once, after its errors.
        if outcome == .error, let odd = files.first(where: { !Loader.isKnowledgeBase($0) }) {
            note("kbq: note: '\(odd)' was read as knowledge-base text; kbq reads .kb text, .nt or .ntriples N-Triples, .ttl Turtle, .csv and .tsv sheets and .kbqi images (scripts end in .kbq)")
        }
        return outcome
    }

    /// Under `--safe`, why the first of `paths` outside the knowledge base's folder may
    /// not be read; nil when all may (or without `--safe`).
    func outsideSafeRoot(_ paths: [String]) -> String? {
        guard let root = safeRoot else { return nil }
        let inside = FileSystem.canonical(root)
        guard let f = paths.first(where: { !FileSystem.isInside(FileSystem.canonical($0), inside) }) else { return nil }
        return "--safe: '\(f)' is outside \(root), the folder of the knowledge base opened"
    }

    /// Takes a store made elsewhere (read from an image), as a load's result is taken.
    public func use(_ loaded: FactStore, origin: String) -> Outcome {
        let outcome = adopt(.success(loaded))
        if outcome == .ok { self.origin = origin }
        return outcome
    }

    /// Loads knowledge-base text that is not in a file.
    public func load(text: SourceText) -> Outcome {
        adopt(Loader.load(text: text, into: store))
    }

    /// Takes a loaded store only when its rules (with the session's) compile.
    func adopt(_ loaded: Result<FactStore, DiagnosticList>) -> Outcome {
        let newStore: FactStore
        switch loaded {
        case .failure(let list):
            report(list)
            return .error
        case .success(let s):
            newStore = s
        }
        do {
            _ = try RuleEngine(store: newStore, rules: newStore.rules + sessionRules)
        } catch {
            report(error)
            return .error
        }
        store = newStore
        cachedRules = nil
        return .ok
    }

    func ruleEngine() throws(Diagnostic) -> RuleEngine {
        if let c = cachedRules, c.version == store.version, c.count == sessionRules.count { return c.engine }
        let engine = try RuleEngine(store: store, rules: store.rules + sessionRules)
        cachedRules = (store.version, sessionRules.count, engine)
        return engine
    }

    public var ruleNames: [String] {
        Array(Set((store.rules + sessionRules).map(\.syntax.name.text))).sorted()
    }

    // MARK: statements

    /// Parses and runs one statement of the query language.
    public func run(_ source: SourceText) -> Outcome {
        let command: CommandSyntax
        do {
            command = try Parser.parseCommand(source, rules: Set(ruleNames), parameters: parameters)
        } catch {
            report(error)
            return .error
        }
        if translateToSPARQL { return sparql(command, source: source) }
        switch command {
        case .why(let n, let range): return why(n, source: source, range: range)
        case .rule(let r): return define(r, source: source)
        case .query(let q): return query(q, source: source)
        }
    }

    /// An answer kept for the pager: through it when taller than the terminal, else as it is.
    func show(_ bytes: [UInt8]) {
        let lines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        if let command = pager, let rows = terminalRows(), lines >= rows - 1,
            let through = try? TextOutput.pipe(to: command)
        {
            try? through.write(String(decoding: bytes, as: UTF8.self))
            through.close()  // waits for the pager to end
            return
        }
        try? stdout.write(String(decoding: bytes, as: UTF8.self))
        try? stdout.flush()
    }

    /// How answers to `target` are written: tables fit the terminal when they go to it.
    func writerOptions(for target: TextOutput) -> Formatters.Options {
        var o = Formatters.Options()
        o.headers = headers
        o.color = colored(target)
        o.nullValue = nullValue
        o.width = target === stdout && target.isTerminal ? terminalWidth() : nil
        o.isCancelled = isCancelled
        return o
    }

    func define(_ r: RuleSyntax, source: SourceText) -> Outcome {
        // A clause given again (a script run twice, a line recalled) adds nothing to the
        // relation: kept once, the relation is not computed again.
        let text = Session.clauseText(source.text)
        if (store.rules + sessionRules).contains(where: { Session.clauseText($0.source.text) == text }) {
            note("rule \(r.name.text)/\(r.parameters.count) unchanged: this clause is defined already")
            return .ok
        }
        let candidate = sessionRules + [StoredRule(syntax: r, source: source)]
        do {
            _ = try RuleEngine(store: store, rules: store.rules + candidate)
        } catch {
            report(error)
            return .error
        }
        sessionRules = candidate
        cachedRules = nil
        note("rule \(r.name.text)/\(r.parameters.count) defined")
        return .ok
    }

    /// A rule's text with its spacing made plain and no closing `;`: two clauses that read
    /// alike are one.
    static func clauseText(_ text: String) -> String {
        var words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while words.last == ";" || words.last == " " { words.removeLast() }
        return words
    }

    func query(_ q: QuerySyntax, source: SourceText) -> Outcome {
        let started = Clock.nanoseconds()
        let prepared: PreparedQuery
        let deadline = timeLimit.flatMap { Limits.deadline(after: $0, from: started) }
        let limits = Limits(isCancelled: isCancelled, deadline: deadline, memoryLimit: memoryLimit)
        do {
            prepared = try PreparedQuery(q, source: source, store: store, rules: try ruleEngine(), limits: limits)
        } catch {
            if error.interruption == .cancelled && outputClosed() { return endOnClosedOutput ? .quit : .ok }
            if error.interruption == .cancelled {
                note("kbq: query cancelled while planning")
                return .interrupted
            }
            report(error)
            return .error
        }
        if let command = oncePipe {
            oncePipe = nil
            do throws(FileSystem.IOError) { onceOutput = try TextOutput.pipe(to: command) } catch {
                report(Diagnostic(.error, error.message, source: source, range: q.range))
                return .error
            }
        }
        // An answer to the terminal with a pager set is kept in memory, then shown through
        // the pager when taller than the terminal (a short one is written as it is).
        let paged = onceOutput == nil && out === stdout && pager != nil && stdout.isTerminal
        let target = onceOutput ?? (paged ? TextOutput.memory(asTerminal: true) : out)
        defer {
            if let once = onceOutput {
                once.close()
                onceOutput = nil
            }
            if paged { show(target.contents) }
        }
        let writer = DeferredHeaderWriter(Formatters.make(mode, out: target, store: store, options: writerOptions(for: paged ? stdout : target)))
        let answers = Answers(columns: prepared.columns, store: store)
        var outcome = Outcome.ok
        do {
            try writer.begin(columns: prepared.columns)
            try prepared.run(limits: limits, into: answers) { row in
                try writer.row(of: answers, row, number: row + 1)
            }
            try writer.end(rowCount: answers.count)
        } catch let d as Diagnostic {
            writer.finish(rowCount: answers.count)
            report(d)
            outcome = .error
        } catch Interruption.cancelled where target === out && outputClosed() {
            // Stopped because the reader left, not by Ctrl-C: as a broken pipe.
            outcome = endOnClosedOutput ? .quit : .ok
        } catch Interruption.cancelled {
            writer.finish(rowCount: answers.count)
            try? target.flush()
            note("kbq: query cancelled after \(answers.count) row\(answers.count == 1 ? "" : "s")")
            outcome = .interrupted
        } catch Interruption.timeLimit {
            writer.finish(rowCount: answers.count)
            try? target.flush()
            report(Diagnostic(.error, "query stopped: time limit of \(Session.seconds(timeLimit ?? 0)) reached", source: source, range: q.range))
            outcome = .error
        } catch Interruption.memoryLimit {
            writer.finish(rowCount: answers.count)
            let mb = (memoryLimit ?? 0) >> 20
            report(Diagnostic(.error, "query stopped: it needs more memory than the limit of \(mb) MB (see --memory-limit)", source: source, range: q.range))
            outcome = .error
        } catch is BrokenPipe {
            // The reader left: this result ends; the session goes on, a script ends.
            outcome = endOnClosedOutput && target === out ? .quit : .ok
        } catch {
            writer.finish(rowCount: answers.count)
            report(Diagnostic.plain("\(error)"))
            outcome = .error
        }
        lastAnswers = answers
        if timer {
            let ms = Double(Clock.nanoseconds() - started) / 1e6
            note("Run Time: \(PreparedQuery.format(ms)) ms, \(answers.count) row\(answers.count == 1 ? "" : "s")")
        }
        return outcome
    }

    /// Prints the SPARQL that asks the same question of the exported knowledge base.
    /// Runs a query without showing its answers, then shows its plan (see
    /// PreparedQuery.explanation).
    func explain(_ q: QuerySyntax, source: SourceText) -> Outcome {
        let deadline = timeLimit.flatMap { Limits.deadline(after: $0, from: Clock.nanoseconds()) }
        let limits = Limits(isCancelled: isCancelled, deadline: deadline, memoryLimit: memoryLimit)
        do {
            let prepared = try PreparedQuery(q, source: source, store: store, rules: try ruleEngine(), limits: limits)
            let answers = Answers(columns: prepared.columns, store: store)
            try prepared.run(limits: limits, into: answers)
            return write(prepared.explanation(answers: answers.count))
        } catch let d as Diagnostic {
            report(d)
            return .error
        } catch Interruption.cancelled {
            note("kbq: query cancelled")
            return .interrupted
        } catch let i as Interruption {
            report(Diagnostic.plain(i == .timeLimit ? "query stopped: time limit reached" : "query stopped: memory limit reached"))
            return .error
        } catch {
            report(Diagnostic.plain("\(error)"))
            return .error
        }
    }

    func sparql(_ command: CommandSyntax, source: SourceText) -> Outcome {
        do {
            let text = try SPARQLCompiler.compile(command, store: store, source: source, rules: Set(ruleNames))
            try out.write(text)
            try out.flush()
            return .ok
        } catch let d as Diagnostic {
            report(d)
            return .error
        } catch {
            return .ok
        }
    }

    /// Writes the knowledge base (and the session's rules) in `format`.
    public func export(to target: TextOutput, format: ExportFormat = .nt) -> Outcome {
        do {
            try NTriplesExporter.export(store, rules: store.rules + sessionRules, format: format) { try target.write($0) }
            try target.flush()
        } catch is BrokenPipe {
            return .ok
        } catch let refusal as KBTextExporter.Refusal {
            report(Diagnostic.plain(refusal.description))
            return .error
        } catch {
            report(Diagnostic.plain("export failed: \(error)"))
            return .error
        }
        return .ok
    }

    static func seconds(_ s: Double) -> String { "\(PreparedQuery.format(s)) s" }
}
