import Foundation
import KBQ

// kbq-bench DATADIR SIZE_LABEL: the peer benchmark's six questions through kbq's own
// loader, parser and evaluator; prints one JSON line in the schema of shared/bench/README.md.

func status(_ key: String) -> Double {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix(key) {
        let kb = Double(line.split(separator: " ").dropFirst().first { !$0.isEmpty }.map(String.init) ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}


@_silgen_name("malloc_stats") func mallocStats()

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func seconds(_ start: UInt64) -> Double { Double(Clock.nanoseconds() - start) / 1e9 }

func benchMain() throws -> Int32 {
    let args = CommandLine.arguments
    // kbq-bench --load FILE...: loads the files (sheets, RDF, .kb) and says where the
    // load's time went, to stderr.
    if args.count > 2, args[1] == "--load" {
        let start = Clock.nanoseconds()
        let (loaded, phases, faults, cpu) = Loader.timedLoad(files: Array(args.dropFirst(2)), into: FactStore())
        let total = seconds(start)
        guard case .success = loaded else {
            FileHandle.standardError.write(Data("kbq-bench: the files do not load\n".utf8))
            return 1
        }
        for (phase, s) in phases { FileHandle.standardError.write(Data("load: \(phase) \(String(format: "%.3f", s)) s\n".utf8)) }
        for (phase, s) in cpu { FileHandle.standardError.write(Data("cpu: \(phase) \(String(format: "%.3f", s)) s\n".utf8)) }
        // Fresh pages are a good part of a large load's time (their faults and zeroing).
        for (phase, n) in faults where n > 0 { FileHandle.standardError.write(Data("faults: \(phase) \(n) (\(n / 256) MB)\n".utf8)) }
        FileHandle.standardError.write(Data("load: total \(String(format: "%.3f", total)) s\n".utf8))
        return 0
    }
    guard args.count == 3 else {
        FileHandle.standardError.write(Data("usage: kbq-bench DATADIR SIZE_LABEL\n".utf8))
        return 2
    }
    let dir = args[1]
    let size = args[2]
    let params = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/params.json"))) as! [String: Any]
    let expected = params["expected"] as! [String: Any]
    if Converter.needsConversion(dir) {
        _ = try Converter.convertIfNeeded(dir)
        // Measured in a fresh process: the conversion's memory, freed, would otherwise
        // make the load's resident growth look smaller (even negative).
        var argv = args.map { strdup($0) } + [nil]
        execv(args[0].hasPrefix("/") ? args[0] : "/proc/self/exe", &argv)
        FileHandle.standardError.write(Data("kbq-bench: cannot restart itself after converting\n".utf8))
        return 1
    }
    let kbFile = Converter.converted(dir)

    let rssBase = status("VmRSS:")
    let loadStart = Clock.nanoseconds()
    let (loaded, phases, faults, cpu) = Loader.timedLoad(files: [kbFile], into: FactStore())
    guard case .success(let store) = loaded else {
        FileHandle.standardError.write(Data("kbq-bench: \(kbFile) does not load\n".utf8))
        return 1
    }
    let loadSeconds = seconds(loadStart)
    // KBQ_BENCH_PHASES=1 also says where the load's time went.
    if ProcessInfo.processInfo.environment["KBQ_BENCH_PHASES"] != nil {
        for (phase, s) in phases { FileHandle.standardError.write(Data("load: \(phase) \(String(format: "%.3f", s)) s\n".utf8)) }
        for (phase, n) in faults { FileHandle.standardError.write(Data("faults: \(phase) \(n)\n".utf8)) }
        for (phase, s) in cpu { FileHandle.standardError.write(Data("cpu: \(phase) \(String(format: "%.3f", s)) s\n".utf8)) }
    }
    let rules = try RuleEngine(store: store, rules: store.rules)
    let rssLoad = status("VmRSS:")
    let hwmLoad = status("VmHWM:")
    if ProcessInfo.processInfo.environment["KBQ_BENCH_MALLOC"] != nil { mallocStats() }

    func e(_ key: String) -> String { Converter.entityID(params[key] as! Int) }
    // KBQ_BENCH_QUERY='find ...' times one more query of your own, named Q0 ({E:key} in
    // it is the entity of params.json's key).
    var extra: [(String, String)] = []
    if var text = ProcessInfo.processInfo.environment["KBQ_BENCH_QUERY"] {
        for key in params.keys where text.contains("{E:\(key)}") { text = text.replacingOccurrences(of: "{E:\(key)}", with: e(key)) }
        extra.append(("Q0", text))
    }
    let queries: [(String, String)] = extra + [
        ("Q1", "find ?st where (\(e("q1_entity")) _ _ as ?st) or (_ _ \(e("q1_entity")) as ?st)"),
        ("Q2", "find ?x where ?x used \(e("q2_object"))"),
        ("Q3", "find distinct ?p where ?p employed_by ?o, ?o located_in \(e("q3_country"))"),
        ("Q4", "find ?x, ?o, ?c, ?v where ?x employed_by ?o {date: ?d}, ?d >= \(params["q4_from"]!), ?d <= \(params["q4_to"]!), ?x citizen_of ?c, ?x participated_in ?v"),
        ("Q5", "find ?x where ?x part_of+ \(e("q5_root"))"),
        ("Q6", "find ?a, count(?s) as ?n where _ _ _ {according_to: ?a} as ?s order by ?n desc, ?a limit 10"),
    ]

    /// Parses, compiles and plans a query once, as SQLite's statement cache and SWI-Prolog's
    /// compiled clauses do for the peers.
    func prepare(_ text: String) throws -> PreparedQuery {
        let source = SourceText(name: "bench", text: text)
        guard case .query(let q) = try Parser.parseCommand(source) else { fatalError("not a query") }
        return try PreparedQuery(q, source: source, store: store, rules: rules)
    }

    /// Runs a prepared query, materialising every row (kept as the session keeps answers).
    func run(_ prepared: PreparedQuery) throws -> Answers {
        let answers = Answers(columns: prepared.columns, store: store)
        try prepared.run(limits: .none, into: answers)
        return answers
    }

    let only = ProcessInfo.processInfo.environment["KBQ_BENCH_ONLY"]
    // KBQ_BENCH_PHASES=1: where a query's time goes (parse, prepare, run), to stderr.
    if ProcessInfo.processInfo.environment["KBQ_BENCH_PHASES"] != nil {
        for (name, text) in queries where only == nil || only == name {
            // As many runs as fit in about half a second (20,000 at most).
            let once = Clock.nanoseconds()
            _ = try run(try prepare(text))
            let n = max(3, min(20000, Int(0.5 / max(seconds(once), 1e-9))))
            var t = Clock.nanoseconds()
            for _ in 0..<n { _ = try Parser.parseCommand(SourceText(name: "bench", text: text)) }
            let parse = seconds(t) / Double(n)
            t = Clock.nanoseconds()
            for _ in 0..<n { _ = try prepare(text) }
            let compile = seconds(t) / Double(n) - parse
            t = Clock.nanoseconds()
            for _ in 0..<n { _ = try run(try prepare(text)) }
            let total = seconds(t) / Double(n)
            FileHandle.standardError.write(Data("\(name): parse \(parse * 1e6) us, compile+plan \(compile * 1e6) us, run \((total - parse - compile) * 1e6) us\n".utf8))
        }
    }
    var results: [String: Any] = [:]
    var unprepared: [String: Double] = [:]
    var allCorrect = true
    // KBQ_BENCH_ONLY=Q6 runs one question (for profiling).
    for (name, text) in queries where only == nil || only == name {
        let t0 = Clock.nanoseconds()
        let prepared = try prepare(text)
        let rows = try run(prepared)
        let cold = seconds(t0)
        // KBQ_BENCH_RUNS=N: exactly N warm runs (for profiling).
        let runs = ProcessInfo.processInfo.environment["KBQ_BENCH_RUNS"].flatMap { Int($0) }
        func timed(_ body: () throws -> Void) rethrows -> [Double] {
            var warm: [Double] = []
            var spent = 0.0
            while runs.map({ warm.count < $0 }) ?? !((warm.count >= 5 && spent >= 0.5) || warm.count >= 30) {
                let t = Clock.nanoseconds()
                try body()
                let dt = seconds(t)
                warm.append(dt)
                spent += dt
            }
            return warm
        }
        let warm = try timed { _ = try run(prepared) }
        // The same with parsing, compiling and planning in every run (the REPL's case).
        // KBQ_BENCH_PREPARED_ONLY=1 leaves these out (a profile of the prepared runs alone).
        if ProcessInfo.processInfo.environment["KBQ_BENCH_PREPARED_ONLY"] == nil {
            unprepared[name] = median(try timed { _ = try run(try prepare(text)) })
        }
        var entry: [String: Any] = ["cold": cold, "warm": warm, "count": rows.count, "answer": NSNull()]
        if name == "Q6" {
            let answer = (0..<rows.count).map { i -> [Int] in
                let values = rows.values(i)
                let id = Int(Display.plain(values[0], store).dropFirst())!
                guard case .integer(let n) = values[1] else { return [id, -1] }
                return [id, n]
            }
            entry["answer"] = answer
            let truth = (expected["Q6"] as! [[Int]])
            if answer != truth { allCorrect = false; FileHandle.standardError.write(Data("kbq-bench: Q6 answer \(answer) != \(truth)\n".utf8)) }
        } else if name != "Q0", let truth = expected[name] as? Int, truth != rows.count {
            allCorrect = false
            FileHandle.standardError.write(Data("kbq-bench: \(name) gave \(rows.count) rows, expected \(truth)\n".utf8))
        }
        results[name] = entry
    }

    let out: [String: Any] = [
        "engine": "kbq", "size": size, "load_s": loadSeconds, "load_phases": ["parse_resolve_index": loadSeconds],
        "rss_base_mb": rssBase, "rss_after_load_mb": rssLoad, "hwm_after_load_mb": hwmLoad,
        "info": ["memory_bytes": store.memoryReport, "statements": store.assertedCount, "entities": store.entities.count, "answers_match_ground_truth": allCorrect,
                 "warm_median_s_parsing_each_run": unprepared],
        "queries": results, "rss_end_mb": status("VmRSS:"), "hwm_end_mb": status("VmHWM:"),
    ]
    let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
    return allCorrect ? 0 : 1

}

do {
    exit(try benchMain())
} catch {
    FileHandle.standardError.write(Data("kbq-bench: \(error)\n".utf8))
    exit(1)
}
