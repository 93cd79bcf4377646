import Foundation
import KBQ
import Testing

/// One test of the W3C Turtle suites (../shared/testdata/w3c-rdf-tests): a positive or
/// negative syntax test, or an evaluation test whose triples must equal its N-Triples
/// result up to blank-node renaming.
struct TurtleCase: CustomTestStringConvertible, Sendable {
    let action: String
    let result: String?
    let positive: Bool
    /// The IRI the suite gives the action's document (its relative IRIs resolve against it).
    let base: String
    var testDescription: String {
        (result != nil ? "= " : positive ? "+ " : "- ") + action.split(separator: "/").suffix(3).joined(separator: "/")
    }

    static let root = Support.shared + "/testdata/w3c-rdf-tests"

    /// The entries of a manifest, read as text (not with the parser under test): each
    /// entry's type, then its mf:action and mf:result files.
    static func manifest(_ dir: String, base: String) -> [TurtleCase] {
        guard let text = try? String(contentsOfFile: root + "/" + dir + "/manifest.ttl", encoding: .utf8) else { return [] }
        let blocks = text.components(separatedBy: "rdft:TestTurtle").dropFirst()
        func file(_ block: String, _ key: String) -> String? {
            guard let k = block.range(of: key), let open = block[k.upperBound...].firstIndex(of: "<"),
                let close = block[open...].firstIndex(of: ">")
            else { return nil }
            return String(block[block.index(after: open)..<close])
        }
        return blocks.compactMap { block in
            guard let action = file(block, "mf:action") else { return nil }
            let eval = block.hasPrefix("Eval")
            return TurtleCase(action: root + "/" + dir + "/" + action, result: eval ? file(block, "mf:result").map { root + "/" + dir + "/" + $0 } : nil,
                              positive: eval || block.hasPrefix("PositiveSyntax"), base: base + action)
        }
    }

    static let rdf11 = manifest("rdf11/rdf-turtle", base: "https://w3c.github.io/rdf-tests/rdf/rdf11/rdf-turtle/")
    static let rdf12Syntax = manifest("rdf12/rdf-turtle/syntax", base: "https://w3c.github.io/rdf-tests/rdf/rdf12/rdf-turtle/syntax/")
    static let rdf12Eval = manifest("rdf12/rdf-turtle/eval", base: "https://w3c.github.io/rdf-tests/rdf/rdf12/rdf-turtle/eval/")
}

@Suite struct TurtleSuiteTests {
    @Test func suitesAreComplete() {
        #expect(TurtleCase.rdf11.count == 313)
        #expect(TurtleCase.rdf11.filter { $0.result != nil }.count == 145)
        #expect(TurtleCase.rdf12Syntax.count == 74)
        #expect(TurtleCase.rdf12Eval.count == 29 && TurtleCase.rdf12Eval.allSatisfy { $0.result != nil })
    }

    /// The comparison the evaluation tests rest on tells graphs apart.
    @Test func theComparisonTellsGraphsApart() throws {
        func g(_ text: String) throws -> [RDFTriple] { try NTriplesParser.parse(SourceText(name: "g.nt", text: text)) }
        let a = try g("_:a <http://e/p> _:b .\n_:b <http://e/q> \"1\" .\n_:b <http://e/r> <<( _:a <http://e/p> _:b )>> .\n")
        let renamed = try g("_:w <http://e/r> <<( _:z <http://e/p> _:w )>> .\n_:z <http://e/p> _:w .\n_:w <http://e/q> \"1\" .\n")
        let moved = try g("_:a <http://e/p> _:b .\n_:a <http://e/q> \"1\" .\n_:b <http://e/r> <<( _:a <http://e/p> _:b )>> .\n")
        let inner = try g("_:a <http://e/p> _:b .\n_:b <http://e/q> \"1\" .\n_:b <http://e/r> <<( _:b <http://e/p> _:a )>> .\n")
        #expect(GraphComparison.isomorphic(a, renamed))
        #expect(!GraphComparison.isomorphic(a, moved) && !GraphComparison.isomorphic(a, inner))
        #expect(!GraphComparison.isomorphic(a, Array(a.dropLast())))
    }

    static func parse(_ path: String, base: String) throws -> [RDFTriple] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        if let bad = UTF8Check.firstInvalidByte(bytes) { throw Diagnostic(.error, "invalid UTF-8 at byte \(bad)", source: nil, range: 0..<0) }
        return try TurtleParser.parse(SourceText(name: path, bytes: bytes), base: base)
    }

    @Test(arguments: TurtleCase.rdf11 + TurtleCase.rdf12Syntax + TurtleCase.rdf12Eval)
    func w3c(_ c: TurtleCase) throws {
        let parsed = Result { try TurtleSuiteTests.parse(c.action, base: c.base) }
        guard c.positive else {
            if case .success(let triples) = parsed { Issue.record("must be rejected; parsed as \(triples.count) triples") }
            return
        }
        let triples: [RDFTriple]
        switch parsed {
        case .success(let t): triples = t
        case .failure(let e):
            Issue.record("must parse: \(e)")
            return
        }
        guard let result = c.result else { return }
        let expected = try NTriplesParser.parse(SourceText(name: result, bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: result)))))
        #expect(GraphComparison.isomorphic(triples, expected), "got:\n\(GraphComparison.lines(triples).joined(separator: "\n"))")
    }
}

/// Graphs equal up to blank-node renaming, decided by colour refinement: each blank node
/// is coloured by the triples around it, with its neighbours' colours, until the colours
/// are stable; the graphs are equal when their triples, with colours for blank nodes, are.
/// (Refinement can take two graphs that are not isomorphic for equal ones only when their
/// blank nodes are symmetric in ways no test here has.)
enum GraphComparison {
    static func isomorphic(_ a: [RDFTriple], _ b: [RDFTriple]) -> Bool {
        let (ga, gb) = (Array(Set(a)), Array(Set(b)))
        guard ga.count == gb.count else { return false }
        var colours: [String: Int] = [:]
        var table: [String: Int] = [:]
        func blanks(_ t: RDFTerm, _ into: inout Set<String>, _ graph: String) {
            switch t {
            case .blank(let l): into.insert(graph + l)
            case .triple(let u): blanks(u.subject, &into, graph); blanks(u.object, &into, graph)
            default: break
            }
        }
        var nodes = Set<String>()
        for t in ga { blanks(t.subject, &nodes, "a:"); blanks(t.object, &nodes, "a:") }
        for t in gb { blanks(t.subject, &nodes, "b:"); blanks(t.object, &nodes, "b:") }
        for n in nodes { colours[n] = 0 }
        for _ in 0...nodes.count {
            var next: [String: Int] = [:]
            for (graph, triples) in [("a:", ga), ("b:", gb)] {
                var around: [String: [String]] = [:]
                for t in triples {
                    var mine = Set<String>()
                    blanks(t.subject, &mine, graph)
                    blanks(t.object, &mine, graph)
                    for n in mine { around[n, default: []].append(render(t, graph, colours, this: n)) }
                }
                for (n, lines) in around {
                    let key = "\(colours[n]!)|" + lines.sorted().joined(separator: "\n")
                    next[n] = table[key] ?? { table[key] = table.count + 1; return table.count }()
                }
            }
            if Set(next.values).count == Set(colours.values).count { colours = next; break }
            colours = next
        }
        let ra = ga.map { render($0, "a:", colours, this: nil) }.sorted()
        let rb = gb.map { render($0, "b:", colours, this: nil) }.sorted()
        return ra == rb
    }

    static func render(_ t: RDFTriple, _ graph: String, _ colours: [String: Int], this: String?) -> String {
        func term(_ x: RDFTerm) -> String {
            switch x {
            case .iri(let s): return "<\(s)>"
            case .blank(let l): return graph + l == this ? "SELF" : "_:c\(colours[graph + l] ?? -1)"
            case .literal(let s, let dt, let lang, let dir): return "\"\(s)\"^^\(dt ?? "")@\(lang ?? "")--\(dir ?? "")"
            case .triple(let u): return "<<( \(term(u.subject)) <\(u.predicate)> \(term(u.object)) )>>"
            }
        }
        return "\(term(t.subject)) <\(t.predicate)> \(term(t.object))"
    }

    static func lines(_ triples: [RDFTriple]) -> [String] { triples.map { render($0, "", [:], this: nil) } }
}
