import Foundation
@testable import KBQ
import Testing

/// The term-id join (IDJoin) must answer every query it takes exactly as the general
/// evaluator does: the same rows in the same order, with the same evidence. Every query of
/// the golden files is asked both ways, on the knowledge bases those files use.
@Suite struct IDJoinTests {
    struct Answer: Equatable {
        var values: [String]
        var evidence: [Evidence]
    }

    static func answers(_ text: String, _ store: FactStore, _ rules: RuleEngine, idJoin: Bool) throws -> [Answer] {
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source, rules: Set(store.rules.map(\.syntax.name.text))) else { return [] }
        let prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        prepared.allowIDJoin = idJoin
        var out: [Answer] = []
        try prepared.run(limits: .none) { out.append(Answer(values: $0.values.map { Display.plain($0, store) }, evidence: $0.evidence)) }
        return out
    }

    /// Whether a query's body is one the join takes.
    static func takes(_ text: String, _ store: FactStore, _ rules: RuleEngine) throws -> Bool {
        let source = SourceText(name: "test", text: text)
        guard case .query(let q) = try Parser.parseCommand(source, rules: Set(store.rules.map(\.syntax.name.text))) else { return false }
        let prepared = try PreparedQuery(q, source: source, store: store, rules: rules)
        let exec = Execution(store: store, source: source, rules: rules, limits: .none, variableCount: prepared.compiled.variables.count)
        return IDJoin(prepared.compiled.goals, exec, variableCount: prepared.compiled.variables.count) != nil
    }

    @Test func everyGoldenQueryAgreesWithTheGeneralEvaluator() throws {
        var taken = 0
        var stores: [String: (FactStore, RuleEngine)] = [:]
        for folder in ["kb", "lang"] {
            let path = Support.root + "/Tests/golden/" + folder
            for file in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where file.hasSuffix(".test") {
                let text = try String(contentsOfFile: path + "/" + file, encoding: .utf8)
                let script = String(text[..<text.range(of: "\n----")!.lowerBound])
                var kb = script.split(separator: "\n").filter { $0.hasPrefix("#kb: ") }.map { Support.root + "/" + $0.dropFirst(5) }
                if kb.isEmpty { kb = [Support.root + "/kb/main.kb"] }
                let key = kb.joined(separator: ",")
                if stores[key] == nil {
                    guard case .success(let s) = Loader.load(files: kb, into: FactStore()) else { continue }
                    stores[key] = (s, try RuleEngine(store: s, rules: s.rules))
                }
                let (store, rules) = stores[key]!
                var splitter = StatementSplitter(name: file, bytes: Array(script.utf8))
                while let piece = splitter.next(allowDotCommands: true, parse: { c in
                    Result { () throws(Diagnostic) in try Parser.parseCommand(c, rules: Set(store.rules.map(\.syntax.name.text))) }
                }) {
                    guard case .statement(let chunk, .success(.query)) = piece else { continue }
                    let q = chunk.text
                    guard let general = try? Self.answers(q, store, rules, idJoin: false) else { continue }
                    if try Self.takes(q, store, rules) { taken += 1 }
                    let joined = try Self.answers(q, store, rules, idJoin: true)
                    #expect(joined == general, "\(folder)/\(file): \(q)")
                }
            }
        }
        #expect(taken >= 25, "the join took only \(taken) golden queries")
    }
}
