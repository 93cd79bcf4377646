extension Session {
    public static let dotCommands: [(name: String, args: String, help: String)] = [
        (".help", "", "show this help"),
        (".mode", "MODE", "answer format: table, tsv, csv, json, jsonl"),
        (".headers", "on|off", "show column headings"),
        (".timer", "on|off", "report the time each query takes (on stderr)"),
        (".timeout", "SECONDS|off", "stop a query that runs longer"),
        (".read", "FILE", "run a script"),
        (".load", "FILE...", "add knowledge-base files (all or nothing)"),
        (".output", "[FILE|'|CMD']", "send answers to FILE or a command (none: back to stdout)"),
        (".once", "FILE|'|CMD'", "send the next answer to FILE or a command"),
        (".why", "N", "explain row N of the last answer"),
        (".export", "FILE", "write the knowledge base as RDF 1.2 N-Triples"),
        (".sparql", "QUERY", "print the SPARQL that asks QUERY of the export"),
        (".describe", "NAME", "an entity: types, names, every statement about it"),
        (".entities", "[TYPE]", "list entities, optionally of one type"),
        (".predicates", "", "list predicates with their counts"),
        (".schema", "", "types, predicates and qualifier keys"),
        (".rules", "", "list rules"),
        (".info", "", "where the knowledge base came from (text or image), and its size"),
        (".quit", "", "leave (also .exit, or Ctrl-D)"),
    ]

    /// Runs one dot-command line.
    public func runDot(_ line: String, source: SourceText) -> Outcome {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let command = words.first else { return .ok }
        let args = Array(words.dropFirst())
        let argRange = (line.utf8.firstIndex(of: 0x20).map { line.utf8.distance(from: line.utf8.startIndex, to: $0) + 1 } ?? line.utf8.count)..<line.utf8.count
        func fail(_ message: String, _ range: Range<Int>? = nil) -> Outcome {
            report(Diagnostic(.error, message, source: source, range: range ?? 0..<command.utf8.count))
            return .error
        }
        func onOff(_ set: (Bool) -> Void) -> Outcome {
            guard args.count == 1, args[0] == "on" || args[0] == "off" else { return fail("\(command) takes 'on' or 'off'", argRange) }
            set(args[0] == "on")
            return .ok
        }
        switch command {
        case ".help":
            var text = "Statements: a query (find ... where ...), a rule (rule name(?a) := ...), or why N.\nDot-commands:\n"
            for d in Session.dotCommands {
                text += "  " + DisplayWidth.pad(d.name + (d.args.isEmpty ? "" : " " + d.args), to: 22) + d.help + "\n"
            }
            return write(text)
        case ".quit", ".exit":
            return .quit
        case ".mode":
            guard args.count == 1, let m = OutputMode(rawValue: args[0]) else {
                let names = OutputMode.allCases.map(\.rawValue)
                let hint = args.first.map { Suggest.hint($0, names) } ?? ""
                return fail(".mode takes one of \(names.joined(separator: ", "))\(hint)", argRange)
            }
            mode = m
            return .ok
        case ".headers": return onOff { headers = $0 }
        case ".timer": return onOff { timer = $0 }
        case ".timeout":
            if args == ["off"] { timeLimit = nil; return .ok }
            guard args.count == 1, let s = Limits.seconds(args[0]) else { return fail(".timeout takes a number of seconds above zero, or off", argRange) }
            timeLimit = s
            return .ok
        case ".read":
            guard args.count == 1 else { return fail(".read takes one file name", argRange) }
            return runScript(file: args[0], keepGoing: false, from: (source, argRange))
        case ".load":
            guard !args.isEmpty else { return fail(".load takes one or more file names", argRange) }
            // A file that cannot be read is reported at the command, with its line.
            for f in args { if let problem = FileSystem.unreadable(f) { return fail(problem, argRange) } }
            let before = store.assertedCount
            let outcome = load(files: args)
            if outcome == .ok { note("loaded \(store.assertedCount - before) statements; \(summary)") }
            return outcome
        case ".output":
            if out !== stdout { out.close() }
            if args.isEmpty { out = stdout; return .ok }
            do { out = try TextOutput.open(args.joined(separator: " ")) } catch {
                out = stdout
                return fail(error.message, argRange)
            }
            return .ok
        case ".once":
            guard !args.isEmpty else { return fail(".once takes a file name or |command", argRange) }
            do { onceOutput = try TextOutput.open(args.joined(separator: " ")) } catch { return fail(error.message, argRange) }
            return .ok
        case ".export":
            guard args.count == 1 else { return fail(".export takes one file name (or |command)", argRange) }
            let target: TextOutput
            do { target = try TextOutput.open(args[0]) } catch { return fail(error.message, argRange) }
            defer { target.close() }
            return export(to: target)
        case ".sparql":
            let text = String(line.dropFirst(command.count)).drop { $0 == " " || $0 == "\t" }
            let offset = line.utf8.count - text.utf8.count
            let query = SourceText(name: source.name, text: String(text), firstLine: source.firstLine, firstColumn: source.firstColumn + offset)
            do {
                return sparql(try Parser.parseCommand(query, rules: Set(ruleNames)), source: query)
            } catch {
                report(error)
                return .error
            }
        case ".why":
            guard args.count == 1, let n = Int(args[0]) else { return fail(".why takes a row number", argRange) }
            return why(n, source: source, range: argRange)
        case ".describe":
            guard !args.isEmpty else { return fail(".describe takes an entity name", argRange) }
            return describe(args.joined(separator: " "), source: source, range: argRange)
        case ".entities": return listEntities(args.first, source: source, range: argRange)
        case ".predicates": return listPredicates()
        case ".schema": return schema()
        case ".info":
            return write("knowledge base: \(origin ?? (store.loadedFiles.isEmpty ? "(empty)" : store.loadedFiles.joined(separator: " ")))\n"
                + "files: \(store.loadedFiles.count)\n" + "contents: \(summary)\n")
        case ".rules":
            var text = ""
            for r in store.rules + sessionRules { text += r.source.text.trimmingTrailingSpaces() + "\n" }
            return write(text.isEmpty ? "(no rules)\n" : text)
        default:
            let names = Session.dotCommands.map(\.name) + [".exit"]
            return fail("unknown command '\(command)'\(Suggest.hint(command, names)); .help lists them")
        }
    }

    /// "55 entities, 81 statements, 32 propositions, 3 rules"
    public var summary: String {
        let asserted = store.assertedCount
        let quoted = store.statementCount - asserted
        return "\(store.entities.count) entities, \(asserted) statements, \(quoted) propositions, \(ruleNames.count) rules"
    }

    /// Text made of the knowledge base's words (`.describe`, `.schema`, `why`): its control
    /// characters are shown escaped, never obeyed by the terminal.
    func write(_ text: String) -> Outcome {
        do {
            try out.write(Display.visible(text))
            try out.flush()
        } catch {}
        return .ok
    }

    func describe(_ name: String, source: SourceText, range: Range<Int>) -> Outcome {
        let found = store.entities(named: name)
        guard found.count == 1, let e = found.first else {
            let message = found.isEmpty
                ? "unknown entity '\(name)'\(store.suggestEntity(name))"
                : "ambiguous name '\(name)': it names \(found.map { store.entity($0).id }.joined(separator: ", "))"
            report(Diagnostic(.error, message, source: source, range: range))
            return .error
        }
        let ent = store.entity(e)
        var text = "\(ent.id): \(ent.types.map { store.typeName($0) }.joined(separator: ", "))\n"
        text += "  label: \(ent.label)\n"
        if !ent.aliases.isEmpty { text += "  aliases: \(ent.aliases.joined(separator: "; "))\n" }
        if let d = ent.description { text += "  description: \(d)\n" }
        text += "  declared at \(ent.declaredAt)\n"
        let about = Array(store.statements(withSubject: .entity(e))) + store.statements(withObject: .entity(e))
        let asserted = about.filter { store.isAsserted($0) }.sorted()
        if !asserted.isEmpty { text += "statements:\n" }
        for s in asserted { text += explainStatement(s, indent: "  ") }
        // Quoted statements about it, from the same index runs, not a pass over the store.
        let quoted = Array(Set(about.filter { !store.isAsserted($0) })).sorted()
        if !quoted.isEmpty { text += "in propositions (said, not asserted):\n" }
        for q in quoted {
            for stance in store.statements(withObject: .proposition(StatementID(q))) {
                text += explainStatement(stance, indent: "  ")
            }
        }
        return write(text)
    }

    func listEntities(_ typeName: String?, source: SourceText, range: Range<Int>) -> Outcome {
        var ids = Array(store.entities.indices).map { EntityID($0) }
        if let t = typeName {
            guard let type = store.typeID(t) else {
                report(Diagnostic(.error, "unknown type '\(t)'\(store.suggestType(t))", source: source, range: range))
                return .error
            }
            ids = store.members(of: type)
        }
        let rows = ids.map { e -> [String] in
            let ent = store.entity(e)
            return [ent.id, ent.types.map { store.typeName($0) }.joined(separator: ","), ent.label]
        }
        return writeTable(["id", "types", "label"], rows)
    }

    func listPredicates() -> Outcome {
        let rows = store.predicates.indices.map { i -> [String] in
            let p = store.predicates[i]
            let n = p.name == "is_a" ? store.entities.count : store.statements(withPredicate: PredicateID(i)).count
            let kind = p.isStance ? "stance" : (p.name == "is_a" ? "built-in" : "")
            let parent = p.supers.map { store.predicateName($0) }.joined(separator: ",")
            return [p.name, parent, kind, String(n)]
        }
        return writeTable(["predicate", "under", "kind", "statements"], rows)
    }

    func schema() -> Outcome {
        var text = "types:\n"
        for t in store.types {
            text += "  \(t.name)" + (t.supertypes.isEmpty ? "" : " : " + t.supertypes.map { store.typeName($0) }.joined(separator: ", ")) + "\n"
        }
        text += "predicates:\n"
        for p in store.predicates {
            text += "  \(p.isStance ? "stance " : "")\(p.name)" + (p.supers.isEmpty ? "" : " : " + p.supers.map { store.predicateName($0) }.joined(separator: ", ")) + "\n"
        }
        text += "qualifier keys:\n"
        for k in store.keys { text += "  \(k.name) : \(k.valueType.rawValue)\n" }
        return write(text)
    }

    /// A listing in the current output mode.
    func writeTable(_ columns: [String], _ rows: [[String]]) -> Outcome {
        let writer = Formatters.make(mode, out: out, store: store, headers: headers, color: colored(out))
        do {
            try writer.begin(columns: columns)
            for (i, r) in rows.enumerated() { try writer.row(r.map { .string($0) }, number: i + 1) }
            try writer.end(rowCount: rows.count)
        } catch {}
        return .ok
    }
}
