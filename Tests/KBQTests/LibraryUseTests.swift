import KBQ
import Testing

/// The README's example of kbq's engine used from a Swift program, through the public API
/// only (no @testable): what a package that depends on KBQ can write.
@Suite struct LibraryUseTests {
    @Test func aProgramLoadsACaseAndAsksAQuestion() throws {
        let loaded = Loader.load(files: [Support.root + "/kb/main.kb"], into: FactStore())
        guard case .success(let store) = loaded else { Issue.record("the case did not load"); return }
        let source = SourceText(name: "question", text: "find ?who where ?who denies _ order by ?who")
        guard case .query(let syntax) = try Parser.parseCommand(source) else { return }
        let rules = try RuleEngine(store: store, rules: store.rules)
        let query = try PreparedQuery(syntax, source: source, store: store, rules: rules)
        var who: [String] = []
        try query.run(limits: .none) { row in who.append(Display.plain(row.values[0], store)) }
        #expect(who == ["Gil_Naveh"], "\(who)")
    }
}
