import Foundation
import KBQ
import Testing

/// Hostile input of every kind ends in a located error or a clean stop, never a crash, a
/// hang or unbounded memory: each case here crashed, hung or misbehaved before its fix.
@Suite struct HardeningTests {
    let small = Support.root + "/Tests/fixtures/small.kb"

    func temp() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-hard-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Exit status 0, 1 or 2 (never a signal), and no crash report.
    func expectClean(_ r: Support.Run, _ what: String) {
        #expect([0, 1, 2].contains(r.status), "\(what): status \(r.status)\n\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("crashed"), "\(what): \(r.stderr)")
    }

    @Test func invalidUTF8AnywhereIsALocatedError() throws {
        let r = try Support.run("/bin/sh", ["-c", "printf '\\377\\376' | \(Support.binary) --empty -"])
        expectClean(r, "stdin")
        #expect(r.status == 1 && r.stderr.contains("<stdin>:1:1: error: invalid UTF-8"))
        let dir = temp()
        for (name, bytes) in [("bad.kb", Array("type T\nentity A : T \"a".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)),
                              ("bad.nt", Array("<urn:a> <urn:b> \"".utf8) + [0xFF, 0xFE, 0xFD] + Array("\" .\n".utf8))] {
            FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes))
            let r = try Support.kbq([dir + "/" + name, "-e", "find ?x where ?x ?p ?y"])
            expectClean(r, name)
            #expect(r.status == 1 && r.stderr.contains("invalid UTF-8"), "\(name): \(r.stderr)")
        }
    }

    @Test(arguments: [
        "find ?x where ?x is_a Person order by ?x limit 9223372036854775807 offset 1",
        "find count(*) where ?x is_a Person limit 9223372036854775807 offset 1",
        "find distinct ?x where ?x is_a Person limit 9223372036854775807 offset 1",
        "find ?who, count(*) as ?n where ?who says _ group by ?who order by ?n limit 9223372036854775807",
        "find ?who, count(*) as ?n where ?who says _ group by ?who order by ?n limit 1000000000000",
        "find ?x where ?x is_a Person limit 9223372036854775807 offset 9223372036854775807",
    ])
    func hugeLimitsAndOffsets(_ q: String) throws {
        let r = try Support.kbq([small, "--memory-limit", "1G", "-e", q])
        expectClean(r, q)
        #expect(r.status == 0, "\(q): \(r.stderr)")
    }

    @Test func timeoutsAreCheckedNumbers() throws {
        for t in ["1e20", "1e300", "18446744000", "2e10"] {
            let r = try Support.kbq([small, "--timeout", t, "-e", "find ?x where ?x is_a Person"])
            #expect(r.status == 0, "--timeout \(t): \(r.stderr)")
        }
        for t in ["inf", "nan", "-1", "0", "soon"] {
            let r = try Support.kbq([small, "--timeout", t, "-e", "find ?x where ?x is_a Person"])
            #expect(r.status == 2 && r.stderr.contains("--timeout takes"), "--timeout \(t): \(r.stderr)")
        }
        for t in ["inf", "infinity", "nan"] {
            let r = try Support.kbq([small, "-"], stdin: ".timeout \(t)\n")
            #expect(r.status == 1 && r.stderr.contains(".timeout takes"), ".timeout \(t): \(r.stderr)")
        }
        let r = try Support.kbq([small, "-"], stdin: ".timeout 2e10\nfind ?x where ?x is_a Person\n")
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// A rule's derivation as deep as a 40,000-link chain: `why` draws its first levels
    /// and lists the statements beneath flat, and neither drawing nor freeing it (a new
    /// rule replaces the relations; the answer is replaced) recurses down the chain.
    @Test func deepRuleDerivationsAreExplainedAndFreed() throws {
        let n = 40_000
        var kb = "type Node\ntype Document\npredicate link\nentity Doc : Document \"Doc\"\n"
        for i in 0..<n { kb += "entity n\(i) : Node \"node \(i)\"\n" }
        kb += "from Doc para 1\n"
        for i in 0..<(n - 1) { kb += "n\(i) link n\(i + 1)\n" }
        kb += "rule reach(?y) := n0 link ?y\nrule reach(?z) := reach(?y), ?y link ?z\n"
        let dir = temp()
        FileManager.default.createFile(atPath: dir + "/chain.kb", contents: Data(kb.utf8))
        let script = "find ?y where reach(?y), ?y = n\(n - 1)\nwhy 1\nrule near(?x) := ?x link n5\nfind ?x where near(?x)\nwhy 1\nfind count(*) where reach(?y)\n"
        let r = try Support.kbq([dir + "/chain.kb", "-"], stdin: script, timeout: 120)
        expectClean(r, "a deep derivation")
        #expect(r.status == 0, "\(r.stderr)")
        // reach(n1) to reach(n\(n - 1)) nest; the first 25 (`Session.ruleDepthShown` + 1) are drawn.
        #expect(r.stdout.contains("(\(n - 26) more rule derivations below, too deep to draw"), "\(r.stdout.prefix(3000))")
        #expect(r.stdout.contains("n\(n - 2) link n\(n - 1)") && r.stdout.contains("rule near(n4) because:") && r.stdout.contains("\(n - 1)\n"))
    }

    @Test func manyStarsFoldIntoOne() throws {
        let q = "find ?x where ?x part_of" + String(repeating: "*", count: 10_000) + " Acme"
        let r = try Support.kbq([small, "-e", q], timeout: 20)
        expectClean(r, "10,000 stars")
        #expect(r.status == 0 && r.stdout.contains("Acme_Labs"), "\(r.stderr)")
        let inverses = "find ?x where ?x " + String(repeating: "^", count: 10_000) + "part_of Acme"
        let deep = try Support.kbq([small, "-e", inverses], timeout: 20)
        #expect(deep.status == 1 && deep.stderr.contains("nesting too deep"), "\(deep.stderr)")
    }

    @Test func thousandsOfConjunctsAreRefusedQuickly() throws {
        let q = "find ?x where ?x is_a Person" + String(repeating: ", ?x is_a Agent", count: 3000)
        let r = try Support.kbq([small, "-e", q], timeout: 20)
        expectClean(r, "3,000 conjuncts")
        #expect(r.status == 1 && r.stderr.contains("too many conditions"), "\(r.stderr)")
        let fine = "find ?x where ?x is_a Person" + String(repeating: ", ?x is_a Agent", count: 250)
        let ok = try Support.kbq([small, "-e", fine], timeout: 20)
        #expect(ok.status == 0 && ok.stdout.contains("Alice"), "\(ok.stderr)")
    }

    @Test func catastrophicRegexRunsInLinearTime() throws {
        let dir = temp()
        let long = String(repeating: "a", count: 5000)
        try "type T\nentity X : T \"\(long)\"\n".write(toFile: dir + "/long.kb", atomically: true, encoding: .utf8)
        let r = try Support.kbq([dir + "/long.kb", "-e", "find ?x where ?x is_a T, ?x.label matches \"^(.+)+!$\""], timeout: 20)
        #expect(r.status == 0 && r.stdout == "x\n", "\(r.stderr)")
        let ok = try Support.kbq([dir + "/long.kb", "-e", "find ?x where ?x is_a T, ?x.label matches \"^(a|aa)+$\""], timeout: 20)
        #expect(ok.stdout == "x\nX\n", "\(ok.stderr)")
        let refused = try Support.kbq([small, "-e", "find ?x where ?x is_a Person, ?x.label matches \"(a)\\\\1\""])
        #expect(refused.status == 1 && refused.stderr.contains("back-references"), "\(refused.stderr)")
    }

    @Test func onlyRegularFilesAreRead() throws {
        let dir = temp()
        let fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        for target in ["/dev/zero", fifo] {
            let direct = try Support.kbq([target], timeout: 10)
            #expect(direct.status == 2 && direct.stderr.contains("not a regular file"), "\(target): \(direct.stderr)")
            try "include \"\(target)\"\n".write(toFile: dir + "/inc.kb", atomically: true, encoding: .utf8)
            let included = try Support.kbq([dir + "/inc.kb"], timeout: 10)
            #expect(included.status == 1 && included.stderr.contains("inc.kb:1:1: error:") && included.stderr.contains("not a regular file"), "\(target): \(included.stderr)")
        }
        try String(repeating: "# comment\n", count: 300).write(toFile: dir + "/big.kb", atomically: true, encoding: .utf8)
        let big = try Support.kbq(["--max-file-size", "1K", dir + "/big.kb"])
        #expect(big.status == 2 && big.stderr.contains("larger than the limit"), "\(big.stderr)")
        let directory = try Support.kbq([dir])
        #expect(directory.status == 2 && directory.stderr.contains("is a directory"), "\(directory.stderr)")
    }

    @Test func aMaterialisingCrossProductStopsAtTheMemoryLimit() throws {
        // Five agents' worth of rows (some hundred million): past the limit long before the end.
        let q = "find ?a, ?b, ?c, ?d, ?e where ?a is_a Agent, ?b is_a Agent, ?c is_a Agent, ?d is_a Agent, ?e is_a Agent order by ?a"
        let r = try Support.kbq(["--memory-limit", "200M", "-e", q], timeout: 60)
        #expect(r.status == 1 && r.stderr.contains("memory"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func aClosedOutputStopsEvenAMaterialisingQuery() throws {
        // `true` leaves at once: the query that sorts 6 million rows must notice without writing.
        // Five agents' worth of rows (some hundred million): past the limit long before the end.
        let q = "find ?a, ?b, ?c, ?d, ?e where ?a is_a Agent, ?b is_a Agent, ?c is_a Agent, ?d is_a Agent, ?e is_a Agent order by ?a"
        let started = Date()
        let r = try Support.run("/bin/sh", ["-c", "'\(Support.binary)' -e '\(q)' | true; echo \"status ${PIPESTATUS:-$?}\""], timeout: 60)
        #expect(Date().timeIntervalSince(started) < 30, "kept computing for its closed output")
        #expect(!r.stderr.contains("cancelled"), "\(r.stderr)")
        let streaming = try Support.run("/bin/bash", ["-c", "'\(Support.binary)' -e 'find ?a, ?b, ?c where ?a is_a Agent, ?b is_a Agent, ?c is_a Agent' | head -1 >/dev/null; echo ${PIPESTATUS[0]}"])
        #expect(streaming.stdout == "0\n", "a streaming query piped to head ends with status 0: \(streaming.stdout)")
    }

    @Test func controlCharactersFromDataAreShownEscaped() throws {
        let dir = temp()
        try """
            type T
            type Document
            predicate says_
            entity Doc : Document
            entity X : T "evil\\u{1B}]0;title\\u{7} \\u{9B}2J x\\u{8}y"
            from Doc para 1
            X says_ "a\\u{1B}[2Jb\\u{D}c\\u{85}"

            """.write(toFile: dir + "/ctl.kb", atomically: true, encoding: .utf8)
        for format in ["table", "tsv", "csv", "json", "jsonl"] {
            let r = try Support.kbq([dir + "/ctl.kb", "--format", format, "-e", "find ?x, ?x.label, ?v where ?x says_ ?v"])
            #expect(r.status == 0, "\(r.stderr)")
            let raw = r.stdout.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r") || (0x7F...0x9F).contains($0.value) }
            #expect(raw.isEmpty, "\(format) writes control characters raw: \(r.stdout.debugDescription)")
        }
        let describe = try Support.kbq([dir + "/ctl.kb", "-e", ".describe X"])
        #expect(describe.stdout.contains("evil\\e]0;title\\u{7}"), "\(describe.stdout)")
        let diagnostic = try Support.run("/bin/sh", ["-c", "printf 'find \\033[2J ?x\\000 where' | \(Support.binary) --empty -"])
        #expect(diagnostic.stderr.contains("\\e") && !diagnostic.stderr.contains("\u{1B}") && !diagnostic.stderr.contains("\u{0}"), "\(diagnostic.stderr.debugDescription)")
    }

    @Test func jsonIsJSON() throws {
        let dir = temp()
        try """
            <urn:x:a> <urn:x:n> "-.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .
            <urn:x:b> <urn:x:n> "5."^^<http://www.w3.org/2001/XMLSchema#decimal> .
            <urn:x:c> <urn:x:n> "+1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .

            """.write(toFile: dir + "/d.nt", atomically: true, encoding: .utf8)
        try """
            type T
            type Document
            predicate v
            entity Doc : Document
            entity A : T
            entity B : T
            entity C : T
            from Doc para 1
            A v unknown
            B v none
            C v "unknown"

            """.write(toFile: dir + "/u.kb", atomically: true, encoding: .utf8)
        let r = try Support.kbq([dir + "/d.nt", dir + "/u.kb", "--format", "json", "-e", "find ?x, ?n where ?x n ?n order by ?n", "-e", "find ?x, ?w where ?x v ?w order by ?x", "-e", "find ?x where ?x v 12"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3, "one array a query, a line each: \(r.stdout)")
        var parsed: [[[String: Any]]] = []
        for line in lines {
            let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
            parsed.append(value as? [[String: Any]] ?? [])
        }
        #expect((parsed[0].map { ($0["n"] as? NSNumber)?.doubleValue ?? .nan }) == [-0.5, 1.5, 5.0])
        #expect(parsed[1][0]["w"] as? [String: Bool] == ["unknown": true])
        #expect(parsed[1][1]["w"] as? [String: Bool] == ["none": true])
        #expect(parsed[1][2]["w"] as? String == "unknown")
        #expect(parsed[2].isEmpty)
    }

    @Test func aRuntimeErrorLeavesNoHalfDocument() throws {
        let dir = temp()
        try """
            type T
            type Document
            predicate v
            entity Doc : Document
            entity A : T
            from Doc para 1
            A v 9223372036854775807
            A v 9223372036854775807

            """.write(toFile: dir + "/big.kb", atomically: true, encoding: .utf8)
        for format in ["tsv", "json", "table"] {
            let r = try Support.kbq([dir + "/big.kb", "--format", format, "-e", "find sum(?n) where _ v ?n"])
            #expect(r.status == 1 && r.stderr.contains("overflows"), "\(r.stderr)")
            #expect(r.stdout.isEmpty, "\(format): \(r.stdout)")
        }
        let timeout = try Support.kbq(["--format", "json", "--timeout", "0.3", "-e", "find ?a, ?b, ?c, ?d where ?a is_a Agent, ?b is_a Agent, ?c is_a Agent, ?d is_a Agent"], timeout: 60)
        #expect(timeout.status == 1 && timeout.stderr.contains("time limit"), "\(timeout.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(timeout.stdout.utf8))) != nil, "a stopped JSON answer is a complete document")
    }

    @Test func outOfRangeParagraphsAreLocatedErrors() throws {
        let dir = temp()
        try "type Document\nentity D : Document\npredicate p\nfrom D para 4294967296\nD p D\n".write(toFile: dir + "/a.kb", atomically: true, encoding: .utf8)
        let a = try Support.kbq([dir + "/a.kb", "-e", "find ?s.para where _ p _ as ?s"])
        #expect(a.status == 1 && a.stderr.contains("a.kb:4:") && a.stderr.contains("out of range"), "\(a.stderr)")
        try "type Document\nentity D : Document\npredicate p\nfrom D para 1\nD p D {para: 99999999999}\n".write(toFile: dir + "/b.kb", atomically: true, encoding: .utf8)
        let b = try Support.kbq([dir + "/b.kb", "-e", "find ?s.para where _ p _ as ?s"])
        #expect(b.status == 1 && b.stderr.contains("b.kb:5:14: error: paragraph 99999999999 is out of range"), "\(b.stderr)")
        try "type Document\nentity D : Document {paragraphs: -1}\n".write(toFile: dir + "/c.kb", atomically: true, encoding: .utf8)
        let c = try Support.kbq([dir + "/c.kb", "-e", "find ?x where ?x is_a Document"])
        #expect(c.status == 1 && c.stderr.contains("c.kb:2:34: error: 'paragraphs' must be 0 to"), "\(c.stderr)")
    }

    @Test func messagesAreLocatedShortAndPrintable() throws {
        let missing = try Support.kbq([small, "-"], stdin: "find ?x where ?x is_a Person\n.load /no/such/file.kb\n")
        #expect(missing.status == 1 && missing.stderr.contains("<stdin>:2:7: error: cannot open '/no/such/file.kb'"), "\(missing.stderr)")
        let long = try Support.kbq([small, "-"], stdin: "find ?x where ?x is_a " + String(repeating: "A", count: 1_000_000) + "\n")
        #expect(long.status == 1 && long.stderr.count < 1000 && long.stderr.contains("(1000000 characters)"), "\(long.stderr.count) bytes of message")
        let nul = try Support.kbq([small, "-"], stdin: "find ?x\u{0} where ?x is_a Person\n")
        #expect(nul.status == 1 && !nul.stderr.contains("\u{0}") && nul.stderr.contains("\\u{0}"), "\(nul.stderr.debugDescription)")
    }

    /// Every input the fuzzers (Fuzz/) or the hardening issue found crashing, hanging or
    /// growing without bound ends with a status of 0, 1 or 2, soon (the debug build is the
    /// slow one: 20 s at most each). Fuzz/README.md says what each one was.
    @Test func everyFuzzReproducerEndsCleanly() throws {
        let root = Support.root + "/Fuzz/reproducers"
        var ran = 0
        for target in ["query", "kb", "ntriples"] {
            let dir = root + "/" + target
            for file in (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? [] {
                let path = dir + "/" + file
                let started = Date()
                let r: Support.Run
                switch target {
                case "query": r = try Support.kbq(["-"], stdin: String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self), timeout: 60)
                default: r = try Support.kbq(["--empty", path, "-e", "find count(*) where ?x ?p ?y"], timeout: 60)
                }
                expectClean(r, "\(target)/\(file)")
                #expect(Date().timeIntervalSince(started) < 20, "\(target)/\(file) took \(Date().timeIntervalSince(started)) s")
                ran += 1
            }
        }
        // Images: read as the fuzz target reads them (as they are, and with their header's
        // checksums made right), then queried; an error or answers, never a crash.
        for file in (try? FileManager.default.contentsOfDirectory(atPath: root + "/image"))?.sorted() ?? [] {
            let bytes = Array(FileManager.default.contents(atPath: root + "/image/" + file) ?? Data())
            for input in [bytes, ImageFile.resealed(bytes)] {
                if let store = try? ImageFile.read(bytes: input, verify: false) { _ = ImageTests.answers(store, ImageTests.probes) }
            }
            ran += 1
        }
        #expect(ran >= 20, "only \(ran) reproducers found in \(root)")
    }

    @Test func aByteOrderMarkIsSkipped() throws {
        let dir = temp()
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        FileManager.default.createFile(atPath: dir + "/b.kb", contents: Data(bom + Array("type T\nentity A : T\n".utf8)))
        FileManager.default.createFile(atPath: dir + "/b.nt", contents: Data(bom + Array("<urn:x:a> <urn:x:p> <urn:x:b> .\n".utf8)))
        FileManager.default.createFile(atPath: dir + "/q.kbq", contents: Data(bom + Array("find ?x where ?x is_a T\n".utf8)))
        let r = try Support.kbq([dir + "/b.kb", dir + "/b.nt", dir + "/q.kbq"])
        #expect(r.status == 0 && r.stdout == "x\nA\n", "\(r.stderr)")
        let stdin = try Support.run("/bin/sh", ["-c", "printf '\\357\\273\\277find ?x where ?x is_a T\\n' | '\(Support.binary)' '\(dir)/b.kb' -"])
        #expect(stdin.status == 0 && stdin.stdout == "x\nA\n", "\(stdin.stderr)")
    }
}
