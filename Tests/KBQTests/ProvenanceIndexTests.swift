@testable import KBQ
import Testing

/// The provenance keys (`source`, `para`) are indexed by runs of statements, other keys by
/// statement: every lookup must give exactly the statements a scan of every statement finds.
@Suite struct ProvenanceIndexTests {
    static func load(_ text: String) throws -> FactStore {
        switch Loader.load(text: SourceText(name: "t.kb", text: text), into: FactStore()) {
        case .success(let s): return s
        case .failure(let d): throw CountPerTermTests.TestFailure(message: "\(d)")
        }
    }

    /// Every key's lookups against a scan: per term, the statements in order, their count,
    /// and the terms `forEachQualifierRun` visits.
    static func check(_ store: FactStore, _ name: String) {
        for k in store.keys.indices.map(Int32.init) {
            var truth: [UInt32: [StatementID]] = [:]
            for i in 0..<store.statementCount {
                if let t = store.qualifierTerm(i, k) { truth[t.raw, default: []].append(StatementID(i)) }
            }
            var visited: [UInt32] = []
            store.forEachQualifierRun(k) { t, run in
                visited.append(t.raw)
                #expect(Array(run) == truth[t.raw] ?? [], "\(name): key \(store.keyName(k)), \(Display.plain(store.value(t), store))")
            }
            #expect(visited == truth.keys.sorted(), "\(name): key \(store.keyName(k)) visits other terms")
            for (raw, sids) in truth {
                #expect(Array(store.statements(withQualifier: k, term: Term(raw: raw))) == sids, "\(name): key \(store.keyName(k))")
                #expect(store.statementCount(withQualifier: k, term: Term(raw: raw)) == sids.count, "\(name): key \(store.keyName(k))")
            }
        }
    }

    @Test func theBundledCaseAndTheFastLineFixture() throws {
        Self.check(try CountPerTermTests.store("kb/main.kb"), "kb/main.kb")
        Self.check(try CountPerTermTests.store("Tests/fixtures/fastlines.kb"), "fastlines.kb")
    }

    /// Runs broken by lines with a source of their own, stored sources on quoted
    /// statements (one after every run of its document), a paragraph given without a source.
    @Test func ownSourcesInsideFromBlocksAndQuotedSources() throws {
        let store = try Self.load("""
            type Person
            type Document
            predicate knows
            stance says
            entity A : Person
            entity B : Person
            entity D1 : Document {paragraphs: 9}
            entity D2 : Document {paragraphs: 9}
            from D1 para 1
            A knows B
            A knows A {source: D2, para: 3}
            B knows A
            B knows B {para: 4}
            A says [B knows A {source: D2}]
            from D2 para 2
            B knows A
            A knows B {source: D1}
            A knows A {source: D1, para: 1}
            from D1 para 5
            B says [B knows B {source: D2, para: 6}]
            """)
        Self.check(store, "inline")
        let d1 = Term(entity: store.entityID(exactly: "D1")!)
        #expect(store.statementCount(withQualifier: StatementTable.sourceKey, term: d1) == 7)
    }
}
