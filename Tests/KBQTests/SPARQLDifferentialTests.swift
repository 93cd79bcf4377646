import Foundation
import KBQ
import Testing

/// Every golden query that SPARQL can express is asked both ways, kbq on its store and
/// pyoxigraph on the export with the compiled SPARQL, and must give the same rows; also the
/// benchmark's questions on generated data. What does not compile is named by its error.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Support.root + "/.venv/bin/python")))
struct SPARQLDifferentialTests {
    let python = Support.root + "/.venv/bin/python"
    let rows = Support.root + "/Tests/rdf/sparql_rows.py"

    func temp() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-sparql-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The statements of a golden script (query text only), with its knowledge-base arguments.
    func statements(_ file: String) throws -> (kb: [String], queries: [String]) {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let script = String(text[..<text.range(of: "\n----")!.lowerBound])
        var kb: [String] = []
        var lines: [String] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#kb: ") { kb.append(String(line.dropFirst(5))) } else if !line.hasPrefix("#args: ") { lines.append(String(line)) }
        }
        var splitter = StatementSplitter(name: "golden", bytes: Array(lines.joined(separator: "\n").utf8))
        var queries: [String] = []
        while let piece = splitter.next(allowDotCommands: true, parse: { c in Result { () throws(Diagnostic) in try Parser.parseCommand(c, rules: ["alleged_user", "voice_of", "contested"]) } }) {
            if case .statement(let chunk, .success(.query)) = piece { queries.append(chunk.text) }
        }
        return (kb, queries)
    }

    /// Asks one query both ways; nil when it does not compile to SPARQL.
    func compare(_ query: String, kb: [String], export: String, label: String) throws -> Bool? {
        let sparql = try Support.kbq(kb + ["--to-sparql", "-e", query])
        let mine = try Support.kbq(kb + ["--no-header", "-e", query])
        guard sparql.status == 0 else {
            // Refused by name, or an error of the query itself, which kbq gives alike.
            #expect(sparql.stderr.contains("SPARQL cannot express") || (mine.status != 0 && mine.stderr == sparql.stderr), "\(label): \(sparql.stderr)")
            return nil
        }
        let theirs = try Support.run(python, [rows, export], stdin: sparql.stdout, timeout: 120)
        #expect(theirs.status == 0, "\(label): \(theirs.stderr)\n\(sparql.stdout)")
        let normalise = { (s: String) in
            s.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
                .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map { $0.hasPrefix("[") ? "PROP" : String($0) }.joined(separator: "\t") }
                .sorted()
        }
        #expect(normalise(mine.stdout) == normalise(theirs.stdout), "\(label)\n\(query)\n\(sparql.stdout)")
        return true
    }

    @Test func goldenQueriesAgree() throws {
        let dir = temp()
        var compiled = 0
        var skipped = 0
        for folder in ["kb", "lang", "semantics"] {
            let path = Support.root + "/Tests/golden/" + folder
            for file in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where file.hasSuffix(".test") {
                // Rules stay in kbq: a script that defines some is asked of kbq alone; so is one
                // marked as reading data its export holds otherwise (semantics.md says how).
                let text = try String(contentsOfFile: path + "/" + file, encoding: .utf8)
                if text.contains("\nrule ") || text.contains("\n-- sparql: differs") { continue }
                let (kb, queries) = try statements(path + "/" + file)
                let export = dir + "/\(folder)-\(file).nt"
                try Support.kbq(kb + ["--export", "nt"]).stdout.write(toFile: export, atomically: true, encoding: .utf8)
                for q in queries {
                    if try compare(q, kb: kb, export: export, label: "\(folder)/\(file)") == true { compiled += 1 } else { skipped += 1 }
                }
            }
        }
        #expect(compiled >= 30, "only \(compiled) golden queries compiled to SPARQL (\(skipped) did not)")
    }

    @Test func benchmarkQuestionsAgreeOnGeneratedData() throws {
        let dir = temp()
        let gen = try Support.run("/usr/bin/env", ["python3", Support.shared + "/bench/gen.py", "3000", dir], timeout: 300)
        #expect(gen.status == 0)
        let params = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/params.json"))) as! [String: Any]
        func e(_ k: String) -> String { "n" + String(format: "%08d", params[k] as! Int) }
        let kb = [dir + "/kb.star.nt"]
        let export = dir + "/export.nt"
        try Support.kbq(["--empty"] + kb + ["--export", "nt"]).stdout.write(toFile: export, atomically: true, encoding: .utf8)
        let queries = [
            "find ?p, ?o where \(e("q1_entity")) ?p ?o",
            "find ?s, ?p where ?s ?p \(e("q1_entity"))",
            "find ?x where ?x used \(e("q2_object"))",
            "find distinct ?p where ?p employed_by ?o, ?o located_in \(e("q3_country"))",
            "find ?x, ?o, ?c, ?v where ?x employed_by ?o, ?x citizen_of ?c, ?x participated_in ?v",
            "find ?x where ?x part_of+ \(e("q5_root"))",
            "find ?a, count(?s) as ?n where _ _ _ {according_to: ?a} as ?s order by ?n desc, ?a limit 10",
        ]
        for q in queries { #expect(try compare(q, kb: ["--empty"] + kb, export: export, label: "generated") == true) }
    }
}
