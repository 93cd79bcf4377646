/// What the knowledge base holds about one entity, in sentences with footnotes: what is
/// asserted about it, what it says, what others say about it (claims, then denials and
/// disputes), what was ruled. Each sentence cites the document, paragraph and quote of the
/// statement it renders (`why` made readable); one statement is one footnote, however
/// often it is cited.
struct Dossier {
    struct Section {
        let heading: String
        var statements: [StatementID] = []
        var sentences: [(text: String, note: Int)] = []
    }

    let store: FactStore
    let entity: EntityID
    let words: CaseWords
    private(set) var sections: [Section] = []
    /// Footnotes in order of first citation; `notes[k - 1]` is footnote k.
    private(set) var notes: [Citation] = []

    init(_ store: FactStore, about entity: EntityID) {
        self.store = store
        self.entity = entity
        words = CaseWords(store)
        let label = store.entities.label(Int(entity))
        var facts = Section(heading: "What the record states")
        var says = Section(heading: "What \(label) says")
        var claims = Section(heading: "What others claim about \(label)")
        var opposed = Section(heading: "What others deny or dispute")
        var ruled = Section(heading: "What was ruled")
        for s in store.statementsAbout(entity) {
            let st = store.statement(s)
            guard store.isStance(st.predicate) else {
                facts.statements.append(s)
                continue
            }
            switch StanceFamily.of(st.predicate, store) {
            case .rules: ruled.statements.append(s)
            case _ where st.subject == .entity(entity): says.statements.append(s)
            case .opposes: opposed.statements.append(s)
            case .says: claims.statements.append(s)
            }
        }
        sections = [facts, says, claims, opposed, ruled].filter { !$0.statements.isEmpty }
        // Notes numbered as a reader meets them, section by section.
        var noteOf: [StatementID: Int] = [:]
        for k in sections.indices {
            for s in sections[k].statements {
                if noteOf[s] == nil {
                    notes.append(words.citation(s))
                    noteOf[s] = notes.count
                }
                sections[k].sentences.append((words.sentence(s), noteOf[s]!))
            }
        }
    }

    /// Its name, types, aliases and description, as the opening lines.
    var summary: (title: String, lines: [String]) {
        let ent = store.entity(entity)
        var lines: [String] = []
        let types = ent.types.map { store.typeName($0) }
        lines.append("\(ent.id)" + (types.isEmpty ? "." : " (" + types.joined(separator: ", ") + ")."))
        if !ent.aliases.isEmpty { lines.append("Also called " + ent.aliases.map { "“\($0)”" }.joined(separator: ", ") + ".") }
        if let d = ent.description { lines.append(d.prefix(1).uppercased() + d.dropFirst() + (d.hasSuffix(".") ? "" : ".")) }
        return (ent.label, lines)
    }

    // MARK: Markdown

    /// Control characters from the data (an escape sequence in a quote) are shown as
    /// escapes, never obeyed by the terminal or a viewer.
    func markdown() -> String { Display.visible(markdownText()) }

    private func markdownText() -> String {
        let (title, lines) = summary
        var text = "# \(Dossier.markdownEscaped(title))\n\n"
        text += Dossier.markdownEscaped(lines.joined(separator: " ")) + "\n"
        if sections.isEmpty { text += "\nThe knowledge base holds no statement about it.\n" }
        for section in sections {
            text += "\n## \(Dossier.markdownEscaped(section.heading))\n\n"
            for (sentence, note) in section.sentences { text += "- \(Dossier.markdownEscaped(sentence))[^\(note)]\n" }
        }
        if !notes.isEmpty { text += "\n" }
        for (k, c) in notes.enumerated() { text += "[^\(k + 1)]: \(Dossier.markdownEscaped(words.citationText(c)))\n" }
        return text
    }

    /// Text that Markdown shows as written: the characters that start markup escaped
    /// (`_` only at a word's edge, where it can start emphasis; `#` only first).
    static func markdownEscaped(_ s: String) -> String {
        var out = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            let edge = i == 0 || i == chars.count - 1 || !chars[i - 1].isLetter || !chars[i + 1].isLetter
            if "\\`*[]<>|".contains(c) || (c == "_" && edge) || (c == "#" && i == 0) { out.append("\\") }
            out.append(c == "\n" ? " " : c)
        }
        return out
    }

    // MARK: HTML

    /// One self-contained page (no script, no file beside it): the sentences, the notes,
    /// and the entity's claim graph and timeline as inline SVG. `graph` is the claim
    /// graph's SVG, or nil when Graphviz is missing (the page then says how to get it).
    func html(graph: String?, timeline: String) -> String {
        let (title, lines) = summary
        var page = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8"/>
            <title>\(XML.escaped(title)) — kbq dossier</title>
            <style>
            body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
            h1{margin-bottom:.2rem}.summary{color:#555}h2{border-bottom:1px solid #ddd;margin-top:2rem}
            li{margin:.3rem 0}sup a{text-decoration:none}.figure{overflow-x:auto;border:1px solid #eee;padding:.5rem;margin:1rem 0}
            .figure svg{max-width:100%;height:auto}.notes{font-size:.9rem}.missing{color:#a33}
            </style>
            </head>
            <body>
            <h1>\(XML.escaped(title))</h1>

            """
        page += "<p class=\"summary\">" + lines.map(XML.escaped).joined(separator: "<br/>") + "</p>\n"
        if sections.isEmpty { page += "<p>The knowledge base holds no statement about it.</p>\n" }
        var cited = Set<Int>()
        for section in sections {
            page += "<h2>\(XML.escaped(section.heading))</h2>\n<ul>\n"
            for (sentence, note) in section.sentences {
                // The first citation of a note is the one its back link returns to.
                let anchor = cited.insert(note).inserted ? " id=\"ref\(note)\"" : ""
                page += "<li>\(XML.escaped(sentence))<sup><a href=\"#note\(note)\"\(anchor)>\(note)</a></sup></li>\n"
            }
            page += "</ul>\n"
        }
        page += "<h2>Claim graph</h2>\n<div class=\"figure\">\n"
        page += graph.map(Graphviz.inline) ?? "<p class=\"missing\">\(XML.escaped(Graphviz.missing)).</p>\n"
        page += "</div>\n<h2>Timeline</h2>\n<div class=\"figure\">\n\(timeline)</div>\n"
        if !notes.isEmpty {
            page += "<h2>Notes</h2>\n<ol class=\"notes\">\n"
            for (k, c) in notes.enumerated() {
                page += "<li id=\"note\(k + 1)\">\(XML.escaped(words.citationText(c))) <a href=\"#ref\(k + 1)\">↩</a></li>\n"
            }
            page += "</ol>\n"
        }
        page += "</body>\n</html>\n"
        return page
    }
}
