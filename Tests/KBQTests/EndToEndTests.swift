import Foundation
import Testing

/// The built binary, run as a user runs it: options, formats, exit codes, pipes.
@Suite struct EndToEndTests {
    let small = "Tests/fixtures/small.kb"

    @Test func queryFromDashE() throws {
        let r = try Support.kbq(["-e", "find ?x where ?x makes Pegasus"])
        #expect(r.stdout == "x\nNSO_Group\n")
        #expect(r.stderr == "")
        #expect(r.status == 0)
    }

    @Test func repeatedDashERunsInOrder() throws {
        let r = try Support.kbq([small, "--no-header", "-e", "find ?x where ?x score 3", "-e", "find ?x where ?x score 7"])
        #expect(r.stdout == "Alice\nCarol\n")
    }

    @Test func scriptFileAndShebang() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("q")
        try "#!/usr/bin/env kbq\nfind ?x where ?x makes Pegasus\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try Support.kbq([script.path])
        #expect(r.stdout == "x\nNSO_Group\n")
        let f = try Support.kbq(["-f", "kb/queries/who_alleges.kbq"])
        #expect(f.status == 0)
        #expect(f.stdout.contains("Government_of_Morocco"))
    }

    @Test(arguments: [
        ("tsv", "p\ts\nAlice\t3\n"),
        ("csv", "p,s\r\nAlice,3\r\n"),
        ("json", "[{\"p\": \"Alice\", \"s\": 3}]\n"),
        ("jsonl", "{\"p\": \"Alice\", \"s\": 3}\n"),
    ])
    func formats(_ format: String, _ expected: String) throws {
        let r = try Support.kbq([small, "--format", format, "-e", "find ?p, ?s where ?p score ?s, ?s = 3"])
        #expect(r.stdout == expected)
    }

    @Test func quotingOfAwkwardStrings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let kb = dir.appendingPathComponent("q.kb")
        try """
            type Document
            predicate says_text
            entity D : Document "D"
            from D para 0
            D says_text "tab\\there, \\"quoted\\"\\nnew line é"
            """.write(to: kb, atomically: true, encoding: .utf8)
        let q = "find ?t where D says_text ?t"
        #expect(try Support.kbq([kb.path, "--no-header", "-e", q]).stdout == "tab\\there, \"quoted\"\\nnew line é\n")
        #expect(try Support.kbq([kb.path, "--no-header", "--format", "csv", "-e", q]).stdout == "\"tab\there, \"\"quoted\"\"\nnew line é\"\r\n")
        let json = try Support.kbq([kb.path, "--format", "jsonl", "-e", q]).stdout
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(parsed?["t"] == "tab\there, \"quoted\"\nnew line é")
    }

    @Test func outputAndOnceRedirectAnswers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = """
            .output \(dir)/all.tsv
            find ?p where ?p is_a Person order by ?p
            find ?x where ?x part_of Acme
            .output
            .once \(dir)/once.tsv
            find ?x where ?x member_of Acme
            find ?x where ?x score 3
            """
        let r = try Support.kbq([small, "-"], stdin: script)
        #expect(r.status == 0)
        #expect(r.stdout == "x\nAlice\n")
        #expect(try String(contentsOfFile: dir + "/all.tsv", encoding: .utf8) == "p\nAlice\nBob\nCarol\nx\nAcme_Labs\n")
        #expect(try String(contentsOfFile: dir + "/once.tsv", encoding: .utf8) == "x\nBob\n")
    }

    @Test func aClosedPipeEndsOneAnswerAndTheSessionGoesOn() throws {
        let script = """
            .once |head -1
            find ?a, ?b, ?c where ?a ?p ?b, ?c ?q ?b
            find ?x where ?x makes Pegasus
            .output |tr a-z A-Z
            find ?x where ?x makes Pegasus
            """
        let r = try Support.kbq(["-"], stdin: script)
        #expect(r.status == 0)
        #expect(r.stdout == "a\tb\tc\nx\nNSO_Group\nX\nNSO_GROUP\n")
        #expect(r.stderr == "")
    }

    @Test func exitStatuses() throws {
        #expect(try Support.kbq(["-e", "find ?x where ?x clamis _"]).status == 1)
        #expect(try Support.kbq(["--bogus"]).status == 2)
        #expect(try Support.kbq(["no/such/file.kb", "-e", "find ?x where ?x makes Pegasus"]).status == 2)
        #expect(try Support.kbq(["-f", "no/such/script.kbq"]).status == 2)
        #expect(try Support.kbq(["Tests/fixtures/loader/many_errors.kb", "-e", "find ?x where ?x a ?y"]).status == 1)
    }

    @Test func keepGoingRunsTheRest() throws {
        let script = "find ?x where ?x clamis _\nfind ?x where ?x makes Pegasus\n"
        let stop = try Support.kbq(["-"], stdin: script)
        #expect(stop.status == 1)
        #expect(stop.stdout == "")
        let go = try Support.kbq(["--keep-going", "-"], stdin: script)
        #expect(go.status == 1)
        #expect(go.stdout == "x\nNSO_Group\n")
        #expect(go.stderr.hasPrefix("<stdin>:1:18: error: unknown predicate 'clamis'"))
    }

    @Test func headEndsQuietly() throws {
        // A long answer piped into head: kbq ends at once, with nothing on stderr.
        let r = try Support.run("/bin/sh", ["-c", "'\(Support.binary)' -e 'find ?a, ?b, ?c where ?a ?p ?b, ?c ?q ?b, ?d ?r ?c' | head -1; echo \"status=${PIPESTATUS:-done}\""])
        #expect(r.stdout.hasPrefix("a\tb\tc\n"))
        #expect(r.stderr == "")
    }

    /// A join large enough to run on every core (more than 32,768 candidates for its first
    /// step): its rows in the one-core order, a `limit` and a reader that stops early end
    /// it at once, with nothing on stderr.
    @Test func aJoinOnEveryCoreStreamsInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-cores-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var text = "type Person\ntype Document\npredicate knows\nentity Doc : Document \"Doc\" {paragraphs: 1}\n"
        for i in 0..<300 { text += "entity p\(i) : Person \"P \(i)\"\n" }
        text += "from Doc para 1\n"
        for i in 0..<40_000 { text += "p\(i % 300) knows p\((i * 7) % 300)\n" }
        let kb = dir + "/big.kb"
        try text.write(toFile: kb, atomically: true, encoding: .utf8)
        let all = try Support.kbq([kb, "-e", "find ?a, ?b where ?a knows ?b"])
        #expect(all.status == 0 && all.stderr == "")
        let rows = all.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 40_000)
        #expect(rows.first == "p0\tp0" && rows.dropFirst().first == "p1\tp7" && rows.last == "p99\tp93")
        let limited = try Support.kbq([kb, "-e", "find ?a, ?b where ?a knows ?b limit 3"])
        #expect(limited.stdout == "a\tb\np0\tp0\np1\tp7\np2\tp14\n")
        let head = try Support.run("/bin/sh", ["-c", "'\(Support.binary)' '\(kb)' -e 'find ?a, ?b where ?a knows ?b' | head -2"])
        #expect(head.stdout == "a\tb\np0\tp0\n")
        #expect(head.stderr == "")
    }

    @Test func badUTF8InAScriptIsReported() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("bad.kbq")
        try Data("find ?x where ?x headline \"caf\u{0}".utf8.dropLast() + [0xE9, 0x22, 0x0A]).write(to: script)
        let r = try Support.kbq([script.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: invalid UTF-8 (byte 0xE9)"))
    }

    @Test func timeLimitStopsARunawayQuery() throws {
        let r = try Support.kbq(["--timeout", "0.2", "-e", "find count(*) where ?a ?p ?b, ?c ?q ?d, ?e ?r ?f, ?g ?s ?h"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("time limit of 0.2 s reached"))
    }

    @Test func interruptExits130() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Support.binary)
        p.arguments = ["-e", "find ?a, ?c, ?e, ?g where ?a ?p ?b, ?c ?q ?d, ?e ?r ?f, ?g ?s ?h, ?a = ?c"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = Pipe()
        try p.run()
        // Wait (on state, not time) until kbq has installed its SIGINT handler.
        try Support.waitFor(timeout: 30) { Support.catchesSIGINT(p.processIdentifier) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
    }
}
