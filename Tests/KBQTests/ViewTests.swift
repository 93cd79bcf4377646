import Foundation
import Testing

/// `.graph`, `.timeline` and `.report`, held to tools that are not kbq: Graphviz must lay
/// out every DOT kbq writes, Python's XML parser must read every SVG and HTML page, a real
/// browser must render the dossier, and the timeline and the footnotes are checked against
/// the knowledge base's own text and a calendar that is not kbq's.
@Suite(.serialized) struct ViewTests {
    /// `make test` installs Graphviz and Chromium (`make view-tools`); a plain `swift test`
    /// without them fails here with a way out, never silently passes.
    static func tool(_ name: String) throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        Issue.record("\(name) is not installed: run `make view-tools` (make test does), or apt-get install graphviz chromium")
        throw CancellationError()
    }

    static func entityIDs(_ kb: [String] = []) throws -> [String] {
        let run = try Support.kbq(["--no-cache"] + kb + ["--format", "tsv", "--no-header", "-e", ".entities"])
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kbq-views-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The README's own case (two sheets) beside the bundled one: the views must work on a
    /// user's knowledge base whose types kbq has never seen.
    /// And a case of labels, quotes and strings that every format must escape (quotes,
    /// backslashes, markup, DOT's escapes, newlines, control characters, bidi text).
    static let cases: [[String]] = [
        [], ["--empty", "examples/own-case/entities.csv", "examples/own-case/statements.csv"], ["Tests/fixtures/hostile-views.kb"],
    ]

    @Test func graphvizLaysOutEveryGraphKbqWrites() throws {
        let dot = try ViewTests.tool("dot")
        for kb in ViewTests.cases {
            let ids = try ViewTests.entityIDs(kb)
            #expect(ids.count > 3)
            // The whole case, every entity one and two steps out, and a query's rows.
            var script = [".graph"]
            for id in ids { script += [".graph \(id)", ".graph \(id) depth 2"] }
            let graphs = try Support.kbq(["--no-cache"] + kb + ["-"], stdin: script.joined(separator: "\n"))
            #expect(graphs.status == 0 && graphs.stderr.isEmpty, "\(graphs.stderr)")
            let rows = try Support.kbq(["--no-cache"] + kb + ["--format", "dot", "-e", "find ?who, ?st where ?who says _ as ?st"])
            #expect(rows.status == 0, "\(rows.stderr)")
            let all = graphs.stdout + rows.stdout
            let count = all.components(separatedBy: "\ndigraph kbq {").count - 1 + (all.hasPrefix("digraph") ? 1 : 0)
            #expect(count == script.count + 1)
            let laid = try Support.run(dot, ["-Tsvg"], stdin: all)
            #expect(laid.status == 0, "dot: \(laid.stderr.prefix(500))")
            #expect(laid.stderr.isEmpty, "dot warned: \(laid.stderr.prefix(500))")
            #expect(laid.stdout.components(separatedBy: "<svg ").count - 1 == count)
        }
    }

    @Test func everySVGAndHTMLPageIsWellFormed() throws {
        _ = try ViewTests.tool("dot")
        let dir = try ViewTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String] = []
        for (k, kb) in ViewTests.cases.enumerated() {
            var script = [".timeline > \(dir.path)/case\(k).svg", ".graph > \(dir.path)/graph\(k).svg"]
            files += ["case\(k).svg", "graph\(k).svg"]
            for (i, id) in try ViewTests.entityIDs(kb).enumerated() {
                script += [".timeline \(id) > \(dir.path)/t\(k)-\(i).svg", ".report \(id) > \(dir.path)/r\(k)-\(i).html"]
                files += ["t\(k)-\(i).svg", "r\(k)-\(i).html"]
            }
            let run = try Support.kbq(["--no-cache"] + kb + ["-"], stdin: script.joined(separator: "\n"), timeout: 120)
            #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
            // Markdown and DOT on the terminal: no control character from the data.
            let text = try Support.kbq(["--no-cache"] + kb + ["-"], stdin: ([".graph"] + (try ViewTests.entityIDs(kb)).map { ".report \($0)" }).joined(separator: "\n"))
            #expect(text.status == 0 && !text.stdout.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F }, "\(kb)")
        }
        // One Python for every file: each must parse as XML (the HTML is written as XHTML).
        let check = """
            import sys, xml.etree.ElementTree as E
            bad = []
            for f in sys.argv[1:]:
                try:
                    root = E.parse(f).getroot()
                    want = 'html' if f.endswith('.html') else 'svg'
                    if not root.tag.endswith(want): bad.append(f + ': root ' + root.tag)
                except Exception as e:
                    bad.append(f + ': ' + str(e))
            print('\\n'.join(bad))
            """
        let parsed = try Support.run("/usr/bin/python3", ["-c", check] + files.map { dir.path + "/" + $0 })
        #expect(parsed.status == 0 && parsed.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(parsed.stdout)\(parsed.stderr)")
    }

    /// The timeline against the statements: its rows are exactly the dated statements
    /// (found here by a query), each date's span computed by Foundation's calendar, in
    /// order of first day, a wider span first.
    @Test func theTimelineHoldsEveryDatedStatementInOrderWithItsSpan() throws {
        let timeline = try Support.kbq(["--no-cache", "--format", "tsv", "--no-header", "-e", ".timeline"])
        #expect(timeline.status == 0, "\(timeline.stderr)")
        let rows = timeline.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let dated = try Support.kbq([
            "--no-cache", "--format", "tsv", "--no-header", "-e",
            "find ?st, ?d where _ _ _ {date: ?d} as ?st",
        ])
        // Statements whose object is a date: every statement's object, kept when it reads as
        // an ISO date (the bundled case has no string that does).
        let objects = try Support.kbq(["--no-cache", "--format", "tsv", "--no-header", "-e", "find ?st, ?o where _ _ ?o as ?st"])
        #expect(dated.status == 0 && objects.status == 0, "\(dated.stderr)\(objects.stderr)")
        let isoDate = try NSRegularExpression(pattern: #"^\d{4}(-\d\d){0,2}$"#)
        var expected = Set(dated.stdout.split(separator: "\n").map(String.init))
        for line in objects.stdout.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            if isoDate.firstMatch(in: f[1], range: NSRange(f[1].startIndex..., in: f[1])) != nil, !expected.contains(where: { $0.hasPrefix(f[0] + "\t") }) {
                expected.insert(line.description)
            }
        }
        #expect(Set(rows.map { "\($0[6])\t\($0[0])" }) == expected)
        #expect(rows.count == expected.count && rows.count >= 8)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let iso = DateFormatter()
        iso.calendar = calendar
        iso.timeZone = calendar.timeZone
        iso.dateFormat = "yyyy-MM-dd"
        var previous: (Date, Date)? = nil
        for row in rows {
            let parts = row[0].split(separator: "-").map { Int($0)! }
            let start = calendar.date(from: DateComponents(year: parts[0], month: parts.count > 1 ? parts[1] : 1, day: parts.count > 2 ? parts[2] : 1))!
            let unit: Calendar.Component = parts.count == 1 ? .year : parts.count == 2 ? .month : .day
            let end = calendar.date(byAdding: .day, value: -1, to: calendar.date(byAdding: unit, value: 1, to: start)!)!
            #expect(row[1] == iso.string(from: start) && row[2] == iso.string(from: end), "\(row)")
            if let (s, e) = previous { #expect(s < start || (s == start && e >= end), "out of order at \(row)") }
            previous = (start, end)
        }
    }

    /// Every footnote of every dossier of the bundled case cites a document the knowledge
    /// base declares, at a paragraph it has (read from `kb/entities.kb` here, not through
    /// kbq), and every note is cited and every citation has its note.
    @Test func everyDossierFootnoteCitesAParagraphThatExists() throws {
        let entitiesText = Support.read("kb/entities.kb")
        var paragraphs: [String: Int] = [:]
        let declaration = try NSRegularExpression(pattern: #"entity (\w+) :[^{]*\{[^}]*paragraphs: (\d+)"#)
        for m in declaration.matches(in: entitiesText, range: NSRange(entitiesText.startIndex..., in: entitiesText)) {
            paragraphs[String(entitiesText[Range(m.range(at: 1), in: entitiesText)!])] = Int(entitiesText[Range(m.range(at: 2), in: entitiesText)!])
        }
        #expect(paragraphs["Article"] == 15)
        let ids = try ViewTests.entityIDs()
        let note = try NSRegularExpression(pattern: #"^\[\^(\d+)\]: .*\((\w+)\), ¶(\d+)"#, options: .anchorsMatchLines)
        var checked = 0
        for id in ids {
            let run = try Support.kbq(["--no-cache", "-e", ".report \(id)"])
            #expect(run.status == 0, "\(run.stderr)")
            let text = run.stdout
            let body = text.components(separatedBy: "\n[^1]: ")[0]
            var defined = Set<Int>()
            for m in note.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let n = Int(text[Range(m.range(at: 1), in: text)!])!
                let doc = String(text[Range(m.range(at: 2), in: text)!])
                let para = Int(text[Range(m.range(at: 3), in: text)!])!
                #expect(paragraphs[doc] != nil, "\(id): note \(n) cites \(doc), which declares no paragraphs")
                // ¶0 is a document's metadata, ¶1 to ¶N its text (as the loader checks).
                #expect((0...(paragraphs[doc] ?? -1)).contains(para), "\(id): note \(n) cites \(doc) ¶\(para)")
                defined.insert(n)
                checked += 1
            }
            let cited = Set(try NSRegularExpression(pattern: #"\[\^(\d+)\](?!:)"#)
                .matches(in: body, range: NSRange(body.startIndex..., in: body)).map { Int(body[Range($0.range(at: 1), in: body)!])! })
            #expect(cited == defined, "\(id): cited \(cited.sorted()), notes \(defined.sorted())")
            #expect(defined == Set(defined.isEmpty ? [] : Array(1...defined.count)))
        }
        #expect(checked > 100)
    }

    /// The HTML dossier of NSO Group in headless Chromium: it renders to a PNG, the
    /// browser reports no error on the page, both figures are there, and every footnote
    /// link leads to an element of the page.
    @Test func theNSODossierRendersInARealBrowser() throws {
        let chromium = try ViewTests.tool("chromium")
        _ = try ViewTests.tool("dot")
        let dir = try ViewTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("nso.html").path
        let made = try Support.kbq(["--no-cache", "-e", ".report NSO_Group > \(page)"])
        #expect(made.status == 0 && made.stderr.isEmpty, "\(made.stderr)")
        // As root in a container: no sandbox, and no reliance on a small /dev/shm.
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(dir.path)/profile"]
        let png = dir.appendingPathComponent("nso.png").path
        let shot = try Support.run(chromium, flags + ["--enable-logging=stderr", "--v=0", "--screenshot=\(png)", "--window-size=1100,2600", "file://\(page)"], timeout: 120)
        #expect(shot.status == 0, "\(shot.stderr.suffix(800))")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.count > 20_000 && bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // Errors of the page itself (a console message, a resource that failed): not the
        // browser's own complaints about the sandboxed machine (D-Bus, GPU).
        for line in shot.stderr.split(separator: "\n") where line.contains("CONSOLE") || line.contains("Failed to load resource") || line.contains("Uncaught") {
            Issue.record("the page reported: \(line)")
        }
        let dom = try Support.run(chromium, flags + ["--dump-dom", "file://\(page)"], timeout: 120)
        #expect(dom.status == 0, "\(dom.stderr.suffix(800))")
        let html = dom.stdout
        #expect(html.components(separatedBy: "<svg").count - 1 >= 2, "both figures inline")
        let ids = Set(try NSRegularExpression(pattern: #"id="([^"]+)""#).matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range(at: 1), in: html)!]) })
        let links = try NSRegularExpression(pattern: ##"href="#([^"]+)""##).matches(in: html, range: NSRange(html.startIndex..., in: html))
            .map { String(html[Range($0.range(at: 1), in: html)!]) }
        #expect(links.filter { $0.hasPrefix("note") }.count >= 10)
        for l in links { #expect(ids.contains(l), "the link #\(l) leads nowhere") }
    }

    /// Without Graphviz, an SVG is refused with a way to get it, and DOT still works.
    @Test func withoutGraphvizSVGSaysHowToGetIt() throws {
        let noDot = ["PATH": "/nonexistent"]
        let svg = try Support.kbq(["--no-cache", "-e", ".graph Omar_Radi > /dev/null.svg"], environment: noDot)
        #expect(svg.status == 1 && svg.stderr.contains("apt-get install graphviz"), "\(svg.stderr)")
        let rows = try Support.kbq(["--no-cache", "--format", "svg", "-e", "find ?st where _ denies _ as ?st"], environment: noDot)
        #expect(rows.status != 0 && rows.stderr.contains("apt-get install graphviz"), "\(rows.stderr)")
        let dot = try Support.kbq(["--no-cache", "-e", ".graph Omar_Radi"], environment: noDot)
        #expect(dot.status == 0 && dot.stdout.hasPrefix("// Omar Radi"), "\(dot.stderr)")
        let report = try Support.kbq(["--no-cache", "-e", ".report Omar_Radi > /tmp/kbq-no-dot-\(getpid()).html"], environment: noDot)
        #expect(report.status == 0 && report.stderr.contains("no claim graph"), "\(report.stderr)")
        try? FileManager.default.removeItem(atPath: "/tmp/kbq-no-dot-\(getpid()).html")
    }

    /// The README's picture of the claim network is what `make case-graph` makes now.
    @Test func theReadmePictureIsCurrent() throws {
        _ = try ViewTests.tool("dot")
        let dir = try ViewTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fresh = dir.appendingPathComponent("case-graph.svg").path
        let run = try Support.kbq(["--no-cache", "-e", ".graph > \(fresh)"])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        let committed = Support.read("docs/case-graph.svg")
        #expect(try String(contentsOfFile: fresh, encoding: .utf8) == committed, "docs/case-graph.svg is stale: run make case-graph")
        #expect(Support.read("README.md").contains("docs/case-graph.svg"))
    }
}
