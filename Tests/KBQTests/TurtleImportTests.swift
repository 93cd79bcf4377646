import Foundation
import Testing

/// Turtle files loaded by kbq: what they say is what the same triples say as N-Triples
/// (converted by pyoxigraph, an independent parser), the bundled case survives a trip
/// through Turtle, and a bad file is reported at its line and column.
@Suite struct TurtleImportTests {
    static let python = Support.root + "/.venv/bin/python"
    static let fixture = Support.root + "/Tests/fixtures/rdf/case.ttl"

    func temp(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-ttl-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    /// `input` converted by pyoxigraph from one RDF format to another (its base: `base`).
    func convert(_ input: String, from: String, to: String, base: String? = nil, prefixes: [String: String] = [:]) throws -> String {
        let out = temp("converted." + (to == "TURTLE" ? "ttl" : "nt"))
        let pairs = prefixes.map { "'\($0.key)': '\($0.value)'" }.joined(separator: ", ")
        let r = try Support.run(TurtleImportTests.python, ["-c", """
            import pyoxigraph as o, sys
            s = o.Store()
            s.load(path=sys.argv[1], format=o.RdfFormat.\(from)\(base.map { ", base_iri='\($0)'" } ?? ""))
            open(sys.argv[2], 'wb').write(o.serialize(s, format=o.RdfFormat.\(to), prefixes={\(pairs)}) if '\(to)' == 'TURTLE' else o.serialize(s, format=o.RdfFormat.\(to)))
            """, input, out])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    static let probes = [
        "find ?who, ?c where ?who claims ?c", "find ?who, ?c where ?who denies ?c", "find ?d where alice met ?d",
        "find ?y where alice knows dave {since: ?y}", "find ?x, ?y where ?x knows ?y order by ?y", "find ?n where alice age ?n",
        "find count(*) where _ _ _", "find ?t, count(?x) where ?x is_a ?t group by ?t",
    ]

    @Test func aTurtleFileSaysWhatItsTriplesSay() throws {
        let run = try Support.kbq(["--empty", TurtleImportTests.fixture] + TurtleImportTests.probes.flatMap { ["-e", $0] })
        #expect(run.status == 0, "\(run.stderr)")
        // What the file says, read by hand.
        for line in ["bob\t[alice paid carol]", "carol\t[alice paid carol]", "d\n2020-06-01\n", "y\n2019\n", "n\n41\n"] {
            #expect(run.stdout.contains(line), "\(line)")
        }
        guard FileManager.default.isExecutableFile(atPath: TurtleImportTests.python) else { return }
        // The same triples as N-Triples, from pyoxigraph (its file named like ours, so that
        // the document statements are sourced to has the same name).
        let nt = try convert(TurtleImportTests.fixture, from: "TURTLE", to: "N_TRIPLES", base: "file://" + TurtleImportTests.fixture)
        let renamed = (nt as NSString).deletingLastPathComponent + "/case.nt"
        try FileManager.default.moveItem(atPath: nt, toPath: renamed)
        let fromNT = try Support.kbq(["--empty", renamed] + TurtleImportTests.probes.flatMap { ["-e", $0] })
        #expect(fromNT.stdout == run.stdout)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: TurtleImportTests.python)))
    func theBundledCaseSurvivesATripThroughTurtle() throws {
        let export = try Support.kbq(["--export", "nt"])
        let nt = temp("case.nt")
        try export.stdout.write(toFile: nt, atomically: true, encoding: .utf8)
        let ttl = try convert(nt, from: "N_TRIPLES", to: "TURTLE", prefixes: ["e": "urn:kbq:e:", "p": "urn:kbq:p:", "kbq": "urn:kbq:"])
        let text = try String(contentsOfFile: ttl, encoding: .utf8)
        #expect(text.contains("@prefix e: <urn:kbq:e:>") && text.contains("<<("))
        let goldens = Support.root + "/Tests/golden/kb"
        var compared = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: goldens).sorted() where file.hasSuffix(".test") {
            let golden = try String(contentsOfFile: goldens + "/" + file, encoding: .utf8)
            let script = String(golden[..<golden.range(of: "\n----")!.lowerBound])
            if script.contains("why") { continue }  // evidence names source lines, which differ
            let original = try Support.kbq(["-"], stdin: script)
            let imported = try Support.kbq(["--empty", ttl, "-"], stdin: script)
            // The same rows, in the order of the statements in the file where no `order by`
            // fixes it, and with a statement's qualifiers in that order too.
            #expect(TurtleImportTests.rows(imported.stdout) == TurtleImportTests.rows(original.stdout), "\(file)")
            #expect(imported.status == original.status, "\(file)")
            compared += 1
        }
        #expect(compared > 10)
    }

    /// An output's rows, sorted, each with the qualifiers inside `{ }` sorted.
    static func rows(_ output: String) -> [String] {
        output.split(separator: "\n").map { row in
            var out = ""
            var rest = Substring(row)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                out += rest[...open] + rest[rest.index(after: open)..<close].components(separatedBy: ", ").sorted().joined(separator: ", ") + "}"
                rest = rest[rest.index(after: close)...]
            }
            return out + rest
        }.sorted()
    }

    @Test func aBadTurtleFileIsReportedWhereItIsWrong() throws {
        let bad = temp("bad.ttl")
        try "@prefix : <http://e/> .\n:a :b :c ;\n   :d [ :e \"x\" .\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let run = try Support.kbq(["--empty", bad, "-e", "find count(*) where _ _ _"])
        #expect(run.status == 1 && run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3 && lines[0] == "\(bad):3:16: error: expected ']' to close the '[' at column 7", "\(run.stderr)")
        #expect(lines.count >= 3 && lines[1] == "     :d [ :e \"x\" ." && lines[2] == String(repeating: " ", count: 17) + "^")
        #expect(!run.stderr.contains("note:"))
        let undeclared = temp("undeclared.ttl")
        try "ex:a ex:b ex:c .\n".write(toFile: undeclared, atomically: true, encoding: .utf8)
        let second = try Support.kbq(["--empty", undeclared])
        #expect(second.status == 1 && second.stderr.contains("undeclared.ttl:1:1: error: undeclared prefix 'ex:'"), "\(second.stderr)")
    }
}
