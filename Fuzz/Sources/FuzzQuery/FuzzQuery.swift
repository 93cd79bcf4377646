#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
import KBQ

/// One command of the query language, as the shell runs it (Session.run/query): parsed,
/// compiled against the bundled knowledge base and its rules, run under a time limit with
/// its rows formatted (the output mode picked by the input's length), and translated to
/// SPARQL. Every diagnostic is rendered. Rules and `why` go through a fresh Session.
/// The input is also cut into statements as a script is (StatementSplitter), each parsed.
enum QueryTarget {
    static let store: FactStore = Fuzz.loadOrDie([Fuzz.bundledKB()])
    static let rules: RuleEngine = {
        do { return try RuleEngine(store: store, rules: store.rules) } catch {
            fputs("fuzz: the bundled rules do not compile: \(error)\n", stderr)
            exit(2)
        }
    }()
    static let ruleNames: Set<String> = Set(store.rules.map(\.syntax.name.text))

    static func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        if Fuzz.skipKnown && Fuzz.isKnownQueryCrash(bytes) { return }
        let source = SourceText(name: "<fuzz>", bytes: Array(bytes))
        split(source)
        let command: CommandSyntax
        do {
            command = try Parser.parseCommand(source, rules: ruleNames)
        } catch {
            Fuzz.consume(error)
            return
        }
        do {
            _ = try SPARQLCompiler.compile(command, store: store, source: source, rules: ruleNames)
        } catch {
            Fuzz.consume(error)
        }
        switch command {
        case .query(let q): query(q, source, mode: OutputMode.allCases[bytes.count % OutputMode.allCases.count])
        case .rule, .why:
            let session = Session(store: store, stdout: Fuzz.devNull, stderr: Fuzz.devNull, mode: .table)
            session.timeLimit = Double(Fuzz.queryMilliseconds) / 1000
            _ = session.run(source)
        }
    }

    /// The input as a script (`kbq -`, `-f`, `.read`) cuts it: statement by statement,
    /// each parsed (not run: the whole input is, above).
    static func split(_ source: SourceText) {
        var splitter = StatementSplitter(name: source.name, bytes: source.bytes)
        var pieces = 0
        while pieces < 16, let piece = splitter.next(parse: { chunk in
            Result { () throws(Diagnostic) in try Parser.parseCommand(chunk, rules: ruleNames) }
        }) {
            pieces += 1
            if case .statement(_, .failure(let d)) = piece { Fuzz.consume(d) }
        }
    }

    static func query(_ q: QuerySyntax, _ source: SourceText, mode: OutputMode) {
        let prepared: PreparedQuery
        do {
            prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        } catch {
            Fuzz.consume(error)
            return
        }
        let writer = Formatters.make(mode, out: Fuzz.devNull, store: store, headers: true, color: false)
        let answers = Answers(columns: prepared.columns, store: store)
        let limits = Limits(deadline: Clock.nanoseconds() + Fuzz.queryMilliseconds * 1_000_000)
        do {
            try writer.begin(columns: prepared.columns)
            try prepared.run(limits: limits, into: answers) { row in
                try writer.row(answers.values(row), number: row + 1)
            }
            try writer.end(rowCount: answers.count)
        } catch let d as Diagnostic {
            Fuzz.consume(d)
        } catch {
            // Interruption.timeLimit: the query stopped itself, as it should.
        }
        // What `why N` reads.
        for row in 0..<min(answers.count, 3) { _ = answers[row] }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    _ = QueryTarget.store
    _ = QueryTarget.rules
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    QueryTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
