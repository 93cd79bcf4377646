/// `.graph`, `.timeline` and `.report`: the case as a picture, a time line and a dossier.
/// Each writes to the session's output, or to a file named after `>`, whose suffix picks
/// the form (`.dot`/`.gv` DOT, `.svg` SVG, `.md` Markdown, `.html` HTML).
extension Session {
    static let viewCommands: [DotCommand] = [
        DotCommand(name: ".graph", aliases: [], args: "[NAME] [depth N] [> FILE]", help: "the claim network (of NAME, N steps out; default 1) as Graphviz DOT, or SVG for a .svg file or --format svg") { s, c in
            s.graph(c)
        },
        DotCommand(name: ".timeline", aliases: [], args: "[NAME] [> FILE]", help: "every dated statement (about NAME) in date order; SVG for a .svg file or --format svg") { s, c in
            s.timeline(c)
        },
        DotCommand(name: ".report", aliases: [], args: "NAME [> FILE]", help: "a dossier of NAME in sentences with footnotes to the sources: Markdown, or HTML for a .html file") { s, c in
            s.report(c)
        },
    ]

    /// The arguments before `>`, and the file after it (`> f.svg` or `>f.svg`).
    func splitRedirect(_ c: DotCall) -> (args: [String], file: String?)? {
        var args: [String] = []
        var file: String? = nil
        var i = 0
        while i < c.args.count {
            let a = c.args[i]
            if a == ">" {
                guard i + 1 < c.args.count, file == nil else { return nil }
                file = c.args[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix(">") {
                guard file == nil else { return nil }
                file = String(a.dropFirst())
            } else if file != nil {
                return nil
            } else {
                args.append(a)
            }
            i += 1
        }
        return (args, file)
    }

    /// The entity a view is of, by id, label or alias (as `.describe` finds it).
    func viewEntity(_ written: String, _ c: DotCall) -> EntityID? {
        let (name, found) = entitiesNamed(written)
        guard found.count == 1 else {
            _ = c.fail(self, notOneEntity(name, found))
            return nil
        }
        return found[0]
    }

    /// Writes a view's text to `file` (created or replaced) or to the session's output.
    func writeView(_ text: String, to file: String?, _ c: DotCall) -> Outcome {
        guard let file else {
            do {
                try out.write(text)
                try out.flush()
            } catch {}
            return .ok
        }
        if let refused = refusedWhenSafe(c, "writes a file") { return refused }
        let target: TextOutput
        do throws(FileSystem.IOError) { target = try TextOutput.open(file) } catch { return c.fail(self, error.message) }
        defer { target.close() }
        do {
            try target.write(text)
            try target.flush()
        } catch {
            return c.fail(self, "cannot write \(file): \(FileSystem.errorText())")
        }
        return .ok
    }

    static func suffix(_ file: String?) -> String? {
        guard let file, let dot = file.lastIndex(of: "."), !file[dot...].contains("/") else { return nil }
        return file[file.index(after: dot)...].lowercased()
    }

    func graph(_ c: DotCall) -> Outcome {
        guard let split = splitRedirect(c) else { return c.fail(self, ".graph takes [NAME] [depth N] [> FILE]") }
        var args = split.args
        let file = split.file
        var depth = 1
        if args.count >= 2, args[args.count - 2].lowercased() == "depth" {
            guard let n = Int(args[args.count - 1]), (0...10).contains(n) else { return c.fail(self, "depth takes a number of steps from 0 to 10") }
            depth = n
            args.removeLast(2)
        }
        let graph: ClaimGraph
        var title = "The claim network of the case"
        if args.isEmpty {
            guard let whole = ClaimGraph.wholeCase(store) else {
                return c.fail(self, "the case has \(store.assertedCount) statements, more than the \(ClaimGraph.maxStatements) a graph can lay out and show: name an entity (.graph NAME depth N)")
            }
            graph = whole
        } else {
            guard let e = viewEntity(args.joined(separator: " "), c) else { return .error }
            graph = ClaimGraph.neighbourhood(of: e, depth: depth, store)
            title = "\(store.entities.label(Int(e))): its claim network, \(depth) step\(depth == 1 ? "" : "s") out"
        }
        guard graph.statements.count <= ClaimGraph.maxStatements else {
            return c.fail(self, "the graph would have \(graph.statements.count) statements, more than \(ClaimGraph.maxStatements) that can be laid out and read: name an entity, with a small depth")
        }
        let dot = graph.dot(title: title)
        let form = Session.suffix(file) ?? (mode == .svg ? "svg" : "dot")
        switch form {
        case "svg":
            do throws(Graphviz.Failure) { return writeView(try Graphviz.svg(dot), to: file, c) } catch { return c.fail(self, error.message) }
        case "dot", "gv":
            return writeView(dot, to: file, c)
        default:
            return c.fail(self, ".graph writes DOT (.dot, .gv) or SVG (.svg), not '.\(form)'")
        }
    }

    func timeline(_ c: DotCall) -> Outcome {
        guard let (args, file) = splitRedirect(c) else { return c.fail(self, ".timeline takes [NAME] [> FILE]") }
        var entity: EntityID? = nil
        if !args.isEmpty {
            guard let e = viewEntity(args.joined(separator: " "), c) else { return .error }
            entity = e
        }
        let timeline = Timeline(store, about: entity)
        let title = entity.map { "\(store.entities.label(Int($0))): a timeline" } ?? "A timeline of the case"
        switch Session.suffix(file) ?? (mode == .svg ? "svg" : nil) {
        case "svg"?:
            return writeView(timeline.svg(title: title), to: file, c)
        case nil:
            return writeTable(Timeline.columns, timeline.rows)
        case let other?:
            return c.fail(self, ".timeline writes SVG to a .svg file, not '.\(other)'")
        }
    }

    func report(_ c: DotCall) -> Outcome {
        guard let (args, file) = splitRedirect(c), !args.isEmpty else { return c.fail(self, ".report takes NAME [> FILE]") }
        guard let e = viewEntity(args.joined(separator: " "), c) else { return .error }
        let dossier = Dossier(store, about: e)
        switch Session.suffix(file) {
        case "html"?, "htm"?:
            let label = store.entities.label(Int(e))
            var graph: String? = nil
            do throws(Graphviz.Failure) {
                graph = try Graphviz.svg(ClaimGraph.neighbourhood(of: e, depth: 1, store).dot(title: "\(label): its claim network"))
            } catch {
                note("kbq: the dossier has no claim graph: \(error.message)")
            }
            let timeline = Timeline(store, about: e).svg(title: "\(label): a timeline")
            return writeView(dossier.html(graph: graph, timeline: timeline), to: file, c)
        case nil, "md"?, "markdown"?, "txt"?:
            return writeView(dossier.markdown(), to: file, c)
        case let other?:
            return c.fail(self, ".report writes Markdown (.md) or HTML (.html), not '.\(other)'")
        }
    }
}
