import KBQ
import Testing

/// The bundled case loads cleanly and holds together.
@Suite struct IntegrityTests {
    static func load() throws -> FactStore {
        switch Loader.load(files: [Support.root + "/kb/main.kb"], into: FactStore()) {
        case .success(let s): return s
        case .failure(let list):
            Issue.record("kb/main.kb does not load:\n\(list.render(color: false))")
            throw list
        }
    }

    @Test func everyAssertedStatementHasASourceParagraphInTheArticle() throws {
        let store = try Self.load()
        let article = try #require(store.entityID(exactly: "Article"))
        let paragraphs = try #require(store.entity(article).paragraphs)
        for (i, s) in store.allStatements.enumerated() where s.asserted {
            #expect(s.document == article, "statement \(i) at \(s.location)")
            #expect(s.paragraph.map { (0...paragraphs).contains($0) } == true, "statement \(i) at \(s.location)")
        }
    }

    @Test func everyEntityIsUsed() throws {
        let store = try Self.load()
        var used = Set<EntityID>()
        func mark(_ v: Value) { if case .entity(let e) = v { used.insert(e) } }
        for s in store.allStatements {
            mark(s.subject)
            mark(s.object)
            for q in s.qualifiers { mark(q.value) }
        }
        let unused = store.entities.indices.filter { !used.contains(EntityID($0)) }.map { store.entities[$0].id }
        #expect(unused.isEmpty, "unused: \(unused)")
    }

    @Test func everyStanceHasAPropositionAndQuotesAreShort() throws {
        let store = try Self.load()
        let quote = try #require(store.keyID("quote"))
        for s in store.allStatements {
            if store.isStance(s.predicate) {
                guard case .proposition = s.object else {
                    Issue.record("stance without proposition at \(s.location)")
                    continue
                }
            }
            if case .string(let q)? = s.qualifier(quote) {
                #expect(q.split(separator: " ").count <= 8, "quote too long at \(s.location): \(q)")
            }
        }
        #expect(store.allStatements.count > 100)
    }
}
