@testable import KBQ
import Testing

/// The columnar entity table: every part of an entity reads back as it was given, whether
/// it came as an `Entity` or as the bytes of a line, and later changes land on the right one.
@Suite struct EntityTableTests {
    static func entity(_ id: String, label: String, aliases: [String] = [], line: Int) -> Entity {
        Entity(id: id, types: [], label: label, aliases: aliases, description: nil, paragraphs: nil, declaredAt: Location(file: "a.kb", line: line))
    }

    @Test func entitiesReadBackWholeAndByColumn() {
        var table = EntityTable()
        var first = Self.entity("NSO_Group", label: "NSO Group", aliases: ["NSO", "Q Cyber Technologies"], line: 3)
        first.types = [2, 5]
        first.description = "an Israeli company"
        first.iri = "http://example.org/nso"
        #expect(table.append(first) == 0)
        var second = Self.entity("Report", label: "Amnesty's report", line: 4)
        second.paragraphs = 12
        #expect(table.append(second) == 1)
        let third = Array("Omar_Radi".utf8)
        let alias = Array("O. Radi".utf8)
        let id = third.withUnsafeBufferPointer { t in
            alias.withUnsafeBufferPointer { a in table.append(id: t, label: nil, aliases: [a], types: [2, 5], file: "b.kb", line: 9) }
        }
        #expect(id == 2)
        #expect(table.count == 3)
        #expect(table.id(0) == "NSO_Group" && table.label(0) == "NSO Group" && table.aliases(0) == ["NSO", "Q Cyber Technologies"])
        #expect(table.types(0) == [2, 5] && table.types(1) == [] && table.types(2) == [2, 5])
        #expect(table[0].description == "an Israeli company" && table[0].iri == "http://example.org/nso" && table[0].paragraphs == nil)
        #expect(table[1].paragraphs == 12 && table.paragraphs(1) == 12 && table[1].description == nil && table.iri(1) == nil)
        // A label not given is the id with underscores read as spaces.
        #expect(table.label(2) == "Omar Radi" && table.aliases(2) == ["O. Radi"])
        #expect(table.declaredAt(0) == Location(file: "a.kb", line: 3) && table.declaredAt(1) == Location(file: "a.kb", line: 4))
        #expect(table.declaredAt(2) == Location(file: "b.kb", line: 9))
        #expect(table.idEquals(2, "Omar_Radi") && !table.idEquals(2, "Omar_Rad") && !table.idEquals(2, "omar_radi"))
        #expect(table.map(\.id) == ["NSO_Group", "Report", "Omar_Radi"])
    }

    @Test func laterChangesLandOnTheirEntity() {
        var table = EntityTable()
        _ = table.append(Self.entity("A", label: "Alpha", aliases: ["a1"], line: 1))
        _ = table.append(Self.entity("B", label: "Beta", line: 2))
        // An alias for an entity that is not the last one, and one for the last.
        table.addAlias(0, "a2")
        table.addAlias(1, "b1")
        table.addAlias(1, "b2")
        table.setLabel(0, "Alpha, renamed")
        table.setTypes(1, [7])
        table.setDescription(1, "the second")
        table.setParagraphs(0, 3)
        #expect(table.aliases(0) == ["a1", "a2"] && table.aliases(1) == ["b1", "b2"])
        #expect(table.label(0) == "Alpha, renamed" && table.label(1) == "Beta")
        #expect(table.types(0) == [] && table.types(1) == [7])
        #expect(table[1].description == "the second" && table.paragraphs(0) == 3)
        _ = table.append(Self.entity("C", label: "Gamma", line: 3))
        #expect(table.aliases(1) == ["b1", "b2"] && table.aliases(2) == [])
    }

    @Test func aNameOfSixteenMegabytesIsKeptWhole() {
        var table = EntityTable()
        let huge = String(repeating: "x", count: 1 << 24)
        _ = table.append(Self.entity("Big", label: huge, aliases: [huge + "y"], line: 1))
        _ = table.append(Self.entity("Small", label: "small", line: 2))
        #expect(table.label(0).utf8.count == 1 << 24 && table.aliases(0).first?.utf8.count == (1 << 24) + 1)
        #expect(table.label(1) == "small" && table.id(0) == "Big")
    }

    @Test func aStoreFindsFastPathEntitiesByEveryName() throws {
        let text = """
            type Person
            entity Omar_Radi : Person {alias: "Radi"}
            entity Célia : Person "Célia B." {alias: "CB"}
            entity NSO : Person "NSO Group" {alias: "Q Cyber"}
            """
        guard case .success(let store) = Loader.load(text: SourceText(name: "t.kb", text: text), into: FactStore()) else {
            Issue.record("does not load")
            return
        }
        #expect(store.entityID(exactly: "Omar_Radi") == 0 && store.entityID(exactly: "omar_radi") == nil)
        #expect(store.entities(named: "omar radi") == [0] && store.entities(named: "RADI") == [0])
        #expect(store.entities(named: "célia b.") == [1] && store.entities(named: "cb") == [1])
        #expect(store.entities(named: "q cyber") == [2] && store.entities(named: "nso group") == [2])
        #expect(store.entity(2).declaredAt == Location(file: "t.kb", line: 4))
        #expect(store.entities.allSatisfy { $0.types == [store.typeID("Person")!] })
    }

    /// A name many entities share (a common alias), names filed twice for one entity, and
    /// one filed again for an older entity: each entity found once, first declared first.
    @Test func sharedNamesGiveEachEntityOnceInOrder() throws {
        var text = "type Person\n"
        for i in 0..<50 { text += "entity P\(i) : Person \"Person \(i)\" {alias: \"The Witness\"}\n" }
        text += "entity The_Witness : Person\n"
        var store = try ProvenanceIndexTests.load(text)
        #expect(store.entities(named: "The_Witness") == [50])  // the exact id wins
        #expect(store.entities(named: "THE WITNESS") == Array(0...50).map { EntityID($0) })
        store.relabel(3, "the witness")
        store.relabel(3, "The Witness")
        #expect(store.nameIndex.candidates(name: "The Witness") == Array(0...50).map { EntityID($0) })
        #expect(store.entityID(exactly: "P7") == 7 && store.entityID(exactly: "The_Witness") == 50)
        #expect(store.entities(named: "person 7") == [7])
    }
}

/// Entity ranks (`EntityNameRanks`, what ordering by entities compares) against the order of
/// Swift's Strings, on random names: shared prefixes of eight bytes and more, equal labels,
/// names that are not ASCII, names that are prefixes of others. (Precomposed only: Swift
/// orders a decomposed `e\u{301}` against `é...` in a way that is not transitive, so no
/// ranking can agree with it everywhere.)
@Suite struct EntityNameRankTests {
    static func randomName(_ rng: inout RRandom) -> String {
        let pieces = ["e0003989", "e000398", "Ab", "ab", "a", "Zz", "é", "宮崎", "_", "0", "9", "~", "Ω"]
        var s = ""
        for _ in 0..<rng.int(4) + 1 { s += rng.pick(pieces) }
        return s
    }

    @Test func ranksOrderEntitiesAsTheirNamesSort() {
        for seed in [UInt64(1), 2, 3, 0xC0FFEE] {
            var rng = RRandom(seed: seed)
            var store = FactStore()
            var ids = Set<String>()
            while ids.count < 300 { ids.insert(Self.randomName(&rng) + String(rng.int(1000))) }
            var names: [(id: String, label: String)] = []
            for id in rng.shuffled(ids.sorted()) {
                let label = Self.randomName(&rng)
                names.append((id, label))
                _ = store.addEntity(EntityTableTests.entity(id, label: label, line: names.count))
            }
            for label in [false, true] {
                let ranks = store.entityRanks(label: label)
                #expect(ranks.count == names.count)
                for _ in 0..<4000 {
                    let (a, b) = (rng.int(names.count), rng.int(names.count))
                    let (x, y) = label ? (names[a].label, names[b].label) : (names[a].id, names[b].id)
                    let expected = x < y ? -1 : (y < x ? 1 : 0)
                    let got = ranks[a] < ranks[b] ? -1 : (ranks[a] > ranks[b] ? 1 : 0)
                    #expect(got == expected, "seed \(seed), label \(label): \(x) against \(y)")
                }
            }
            // A store changed after ranking ranks again.
            let before = store.entityRanks(label: false)
            _ = store.addEntity(EntityTableTests.entity("!first", label: "x", line: 0))
            let after = store.entityRanks(label: false)
            #expect(after.count == before.count + 1 && after.last == 0)
        }
    }
}

