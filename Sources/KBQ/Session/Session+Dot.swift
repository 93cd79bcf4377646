#if canImport(Glibc)
import Glibc
#endif

/// A dot-command: its name, what it takes, its help, and what it does. `.help`, completion
/// and the dispatcher all read `Session.dotCommands`, so help cannot drift from what exists.
public struct DotCommand: Sendable {
    public let name: String
    /// Other names (`.exit` for `.quit`), taken whole, never as prefixes.
    public let aliases: [String]
    public let args: String
    public let help: String
    let run: @Sendable (Session, DotCall) -> Session.Outcome
}

/// One call of a dot-command: its arguments (split and unquoted as a shell would), and how
/// to report an error at them.
struct DotCall {
    let command: String
    let args: [String]
    /// The text after the command, as typed (`.sparql` parses it).
    let rest: String
    let line: String
    let source: SourceText
    let argRange: Range<Int>

    func fail(_ session: Session, _ message: String, _ range: Range<Int>? = nil) -> Session.Outcome {
        session.report(Diagnostic(.error, message, source: source, range: range ?? argRange))
        return .error
    }
}

extension Session {
    /// Every dot-command, in the order `.help` lists them (`.quit` last).
    public static let dotCommands: [DotCommand] = coreCommands.dropLast() + viewCommands + coreCommands.suffix(1)

    static let coreCommands: [DotCommand] = [
        DotCommand(name: ".help", aliases: [], args: "[COMMAND]", help: "show this help, or one command's") { s, c in s.help(c) },
        DotCommand(name: ".mode", aliases: [], args: "[MODE]", help: "answer format: table, box, line, markdown, tsv, csv, json, jsonl; dot or svg (a claim graph of the rows)") { s, c in
            guard let m = c.args.first else { return s.write("mode: \(s.mode.rawValue)\n") }
            guard c.args.count == 1, let mode = OutputMode(rawValue: m.lowercased()) else {
                let names = OutputMode.allCases.map(\.rawValue)
                return c.fail(s, ".mode takes one of \(names.joined(separator: ", "))\(Suggest.hint(m, names))")
            }
            s.mode = mode
            return .ok
        },
        DotCommand(name: ".nullvalue", aliases: [], args: "[TEXT|off]", help: "what no record shows as (off: each mode's own, — in tables)") { s, c in
            guard !c.args.isEmpty else { return s.write("nullvalue: \(s.nullValue.map { "\"\($0)\"" } ?? "off")\n") }
            s.nullValue = c.args == ["off"] ? nil : c.args.joined(separator: " ")
            return .ok
        },
        DotCommand(name: ".pager", aliases: [], args: "[on|off|COMMAND]", help: "show answers taller than the terminal through a pager ($PAGER, else less -FRSX)") { s, c in
            guard let v = c.args.first else { return s.write("pager: \(s.pager ?? "off")\n") }
            if let refused = s.refusedWhenSafe(c, "runs a command"), v.lowercased() != "off" { return refused }
            switch v.lowercased() {
            case "off": s.pager = nil
            case "on": s.pager = Session.defaultPager
            default: s.pager = c.rest
            }
            return .ok
        },
        DotCommand(name: ".headers", aliases: [], args: "[on|off]", help: "show column headings") { s, c in
            s.onOff(c, "headers", s.headers) { s.headers = $0 }
        },
        DotCommand(name: ".timer", aliases: [], args: "[on|off]", help: "report the time each query takes (on stderr)") { s, c in
            s.onOff(c, "timer", s.timer) { s.timer = $0 }
        },
        DotCommand(name: ".timeout", aliases: [], args: "[SECONDS|off]", help: "stop a query that runs longer") { s, c in
            guard let v = c.args.first else { return s.write("timeout: \(s.timeoutSetting)\n") }
            if c.args.count == 1, v.lowercased() == "off" { s.timeLimit = nil; return .ok }
            guard c.args.count == 1, let seconds = Limits.seconds(v) else { return c.fail(s, ".timeout takes a number of seconds above zero, or off") }
            s.timeLimit = seconds
            return .ok
        },
        DotCommand(name: ".show", aliases: [], args: "", help: "every setting and where answers go") { s, _ in s.showSettings() },
        DotCommand(name: ".param", aliases: [], args: "[set NAME VALUE|unset NAME|clear]", help: "query parameters ($NAME in a query); none: list them") { s, c in
            switch (c.args.first?.lowercased(), c.args.count) {
            case (nil, _), ("list", 1):
                let names = s.parameters.keys.sorted()
                return s.write(names.isEmpty ? "(no parameters)\n" : names.map { "$\($0) = \(s.parameters[$0]!)\n" }.joined())
            case ("set", let n) where n >= 3:
                guard Session.isParameterName(c.args[1]) else { return c.fail(s, "a parameter name is letters, digits and _, not '\(c.args[1])'") }
                s.parameters[c.args[1]] = c.args[2...].joined(separator: " ")
                return .ok
            case ("unset", 2):
                guard s.parameters.removeValue(forKey: c.args[1]) != nil else { return c.fail(s, "no parameter '\(c.args[1])'") }
                return .ok
            case ("clear", 1):
                s.parameters = [:]
                return .ok
            default:
                return c.fail(s, ".param takes: set NAME VALUE, unset NAME, clear, or nothing (to list them)")
            }
        },
        DotCommand(name: ".shell", aliases: [".system"], args: "COMMAND", help: "run a shell command (not with --safe)") { s, c in
            guard !c.rest.isEmpty else { return c.fail(s, "\(c.command) takes a command to run") }
            if let refused = s.refusedWhenSafe(c, "runs a command") { return refused }
            try? s.out.flush()
            let status = system(c.rest)
            if status != 0 { s.note("kbq: the command exited with status \(status >> 8 & 0xFF)") }
            return .ok
        },
        DotCommand(name: ".read", aliases: [], args: "FILE", help: "run a script") { s, c in
            guard c.args.count == 1 else { return c.fail(s, ".read takes one file name (quote a name with spaces)") }
            if let refusal = s.outsideSafeRoot(c.args) { return c.fail(s, refusal) }
            return s.runScript(file: c.args[0], keepGoing: false, from: (c.source, c.argRange))
        },
        DotCommand(name: ".load", aliases: [], args: "FILE...", help: "add knowledge-base files (all or nothing)") { s, c in
            guard !c.args.isEmpty else { return c.fail(s, ".load takes one or more file names") }
            if let script = c.args.first(where: { $0.hasSuffix(".kbq") }) {
                return c.fail(s, "'\(script)' is a script (.kbq): run it with .read")
            }
            // A file that cannot be read is reported at the command, with its line.
            for f in c.args { if let problem = FileSystem.unreadable(f) { return c.fail(s, problem) } }
            if let refusal = s.outsideSafeRoot(c.args) { return c.fail(s, refusal) }
            let before = s.store.assertedCount
            let outcome = s.load(files: c.args)
            let added = s.store.assertedCount - before
            if outcome == .ok { s.note("loaded \(added) statement\(added == 1 ? "" : "s"); \(s.summary)") }
            return outcome
        },
        DotCommand(name: ".output", aliases: [], args: "[FILE|'|CMD']", help: "send answers to FILE or a command (none: back to stdout)") { s, c in
            if !c.args.isEmpty, let refused = s.refusedWhenSafe(c, "writes a file or runs a command") { return refused }
            if s.out !== s.stdout { s.out.close() }
            s.outputTarget = nil
            if c.args.isEmpty { s.out = s.stdout; return .ok }
            do throws(FileSystem.IOError) { s.out = try TextOutput.open(c.args.joined(separator: " ")) } catch {
                s.out = s.stdout
                return c.fail(s, error.message)
            }
            s.outputTarget = c.args.joined(separator: " ")
            return .ok
        },
        DotCommand(name: ".once", aliases: [], args: "FILE|'|CMD'", help: "send the next answer to FILE or a command") { s, c in
            guard !c.args.isEmpty else { return c.fail(s, ".once takes a file name or |command") }
            if let refused = s.refusedWhenSafe(c, "writes a file or runs a command") { return refused }
            let target = c.args.joined(separator: " ")
            // A command starts with the answer it takes (see `oncePipe`); a file opens now,
            // so that an error shows here.
            if target.hasPrefix("|") { s.oncePipe = String(target.dropFirst()); return .ok }
            do throws(FileSystem.IOError) { s.onceOutput = try TextOutput.open(target) } catch { return c.fail(s, error.message) }
            return .ok
        },
        DotCommand(name: ".why", aliases: [], args: "N", help: "explain row N of the last answer") { s, c in
            guard c.args.count == 1, let n = Int(c.args[0]) else { return c.fail(s, ".why takes a row number") }
            return s.why(n, source: c.source, range: c.argRange)
        },
        DotCommand(name: ".export", aliases: [], args: "FILE [nt|nt11|ttl|kb]", help: "write the knowledge base (Turtle for a .ttl file, .kb text for a .kb file, else N-Triples 1.2)") { s, c in
            guard c.args.count == 1 || c.args.count == 2 else { return c.fail(s, ".export takes a file name (or |command) and, if you like, a format: nt, nt11, ttl, kb") }
            let format = c.args.count == 2 ? ExportFormat(rawValue: c.args[1]) : ExportFormat.of(c.args[0])
            guard let format else { return c.fail(s, ".export's format is nt (RDF 1.2 N-Triples), nt11 (RDF 1.1 N-Triples), ttl (Turtle 1.2) or kb (.kb text)") }
            if let refused = s.refusedWhenSafe(c, "writes a file or runs a command") { return refused }
            let target: TextOutput
            do throws(FileSystem.IOError) { target = try TextOutput.open(c.args[0]) } catch { return c.fail(s, error.message) }
            defer { target.close() }
            return s.export(to: target, format: format)
        },
        DotCommand(name: ".sparql", aliases: [], args: "QUERY", help: "print the SPARQL that asks QUERY of the export") { s, c in
            let offset = c.line.utf8.count - c.rest.utf8.count
            let query = SourceText(name: c.source.name, text: c.rest, firstLine: c.source.firstLine, firstColumn: c.source.firstColumn + offset)
            do throws(Diagnostic) {
                return s.sparql(try Parser.parseCommand(query, rules: Set(s.ruleNames), parameters: s.parameters), source: query)
            } catch {
                s.report(error)
                return .error
            }
        },
        DotCommand(name: ".explain", aliases: [], args: "QUERY", help: "run QUERY and show its plan: each step, how it ran, its rows estimated and counted") { s, c in
            let offset = c.line.utf8.count - c.rest.utf8.count
            let query = SourceText(name: c.source.name, text: c.rest, firstLine: c.source.firstLine, firstColumn: c.source.firstColumn + offset)
            do throws(Diagnostic) {
                guard case .query(let q) = try Parser.parseCommand(query, rules: Set(s.ruleNames), parameters: s.parameters) else {
                    return c.fail(s, ".explain takes a query (find ... where ...)")
                }
                return s.explain(q, source: query)
            } catch {
                s.report(error)
                return .error
            }
        },
        DotCommand(name: ".describe", aliases: [], args: "NAME", help: "an entity (or a type, a predicate): names, every statement about it") { s, c in
            guard !c.args.isEmpty else { return c.fail(s, ".describe takes an entity name") }
            return s.describe(c.args.joined(separator: " "), source: c.source, range: c.argRange)
        },
        DotCommand(name: ".entities", aliases: [], args: "[TYPE]", help: "list entities, optionally of one type") { s, c in
            s.listEntities(c.args.first, source: c.source, range: c.argRange)
        },
        DotCommand(name: ".predicates", aliases: [], args: "", help: "list predicates with their counts") { s, _ in s.listPredicates() },
        DotCommand(name: ".schema", aliases: [], args: "", help: "types, predicates and qualifier keys") { s, _ in s.schema() },
        DotCommand(name: ".rules", aliases: [], args: "", help: "list rules") { s, _ in
            var text = ""
            for r in s.store.rules + s.sessionRules { text += r.source.text.trimmingTrailingSpaces() + "\n" }
            return s.write(text.isEmpty ? "(no rules)\n" : text)
        },
        DotCommand(name: ".info", aliases: [], args: "", help: "where the knowledge base came from (text or image), and its size") { s, _ in
            s.write("knowledge base: \(s.origin ?? (s.store.loadedFiles.isEmpty ? "(empty)" : s.store.loadedFiles.joined(separator: " ")))\n"
                + "files: \(s.store.loadedFiles.count)\n" + "contents: \(s.summary)\n")
        },
        DotCommand(name: ".quit", aliases: [".exit"], args: "[STATUS]", help: "leave, with an exit status (default 0); also Ctrl-D") { s, c in
            guard let v = c.args.first else { return .quit }
            guard c.args.count == 1, let status = Int32(v), (0...255).contains(status) else { return c.fail(s, "\(c.command) takes an exit status from 0 to 255") }
            s.exitStatus = status
            return .quit
        },
    ]

    /// `$KBQ_PAGER`, else `$PAGER`, else `less -FRSX` (which leaves a short answer on the
    /// screen and keeps colours); an empty one means none.
    public static var defaultPager: String? {
        for name in ["KBQ_PAGER", "PAGER"] {
            if let v = getenv(name) { let s = String(cString: v); return s.isEmpty ? nil : s }
        }
        return "less -FRSX"
    }

    /// A name `$name` can use: what the lexer reads after `$`.
    public static func isParameterName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }

    /// Every name a dot-command answers to.
    public static var dotCommandNames: [String] { dotCommands.flatMap { [$0.name] + $0.aliases } }

    /// The command `word` names: a name or alias in any case, or the one command it begins.
    static func dotCommand(_ word: String) -> Result<DotCommand, DotArguments.Failure> {
        let w = word.lowercased()
        if let exact = dotCommands.first(where: { $0.name == w || $0.aliases.contains(w) }) { return .success(exact) }
        let starting = dotCommands.filter { $0.name.hasPrefix(w) }
        if starting.count == 1, w.count > 1 { return .success(starting[0]) }
        if starting.count > 1 {
            return .failure(DotArguments.Failure(message: "'\(word)' could be \(starting.map(\.name).joined(separator: ", ")): type more of it"))
        }
        return .failure(DotArguments.Failure(message: "unknown command '\(word)'\(Suggest.hint(word, dotCommandNames)); .help lists them"))
    }

    /// Runs one dot-command line.
    public func runDot(_ line: String, source: SourceText) -> Outcome {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        let command = String(trimmed.prefix { $0 != " " && $0 != "\t" })
        guard !command.isEmpty else { return .ok }
        let rest = String(trimmed.dropFirst(command.count).drop { $0 == " " || $0 == "\t" })
        let argStart = line.utf8.count - rest.utf8.count
        let commandStart = line.utf8.count - trimmed.utf8.count
        let argRange = argStart..<line.utf8.count
        let args: [String]
        switch DotArguments.split(rest) {
        case .success(let a): args = a
        case .failure(let f):
            report(Diagnostic(.error, f.message, source: source, range: argRange))
            return .error
        }
        switch Session.dotCommand(command) {
        case .failure(let f):
            report(Diagnostic(.error, f.message, source: source, range: commandStart..<commandStart + command.utf8.count))
            return .error
        case .success(let d):
            return d.run(self, DotCall(command: d.name, args: args, rest: rest, line: line, source: source, argRange: argRange))
        }
    }

    /// An error when `--safe` forbids what the command would do.
    func refusedWhenSafe(_ c: DotCall, _ what: String) -> Outcome? {
        guard safeRoot != nil else { return nil }
        return c.fail(self, "--safe: \(c.command) \(what), which --safe does not allow")
    }

    /// `.headers`, `.timer`: on or off in any case; with nothing, the setting.
    func onOff(_ c: DotCall, _ name: String, _ current: Bool, _ set: (Bool) -> Void) -> Outcome {
        guard let v = c.args.first else { return write("\(name): \(current ? "on" : "off")\n") }
        guard c.args.count == 1, ["on", "off"].contains(v.lowercased()) else { return c.fail(self, "\(c.command) takes 'on' or 'off'") }
        set(v.lowercased() == "on")
        return .ok
    }

    var timeoutSetting: String {
        guard let t = timeLimit else { return "off" }
        return (t == t.rounded() ? String(Int(t)) : String(t)) + " s"
    }

    func showSettings() -> Outcome {
        let output = out === stdout ? "stdout" : (outputTarget ?? "a file")
        return write("""
            mode: \(mode.rawValue)
            headers: \(headers ? "on" : "off")
            timer: \(timer ? "on" : "off")
            nullvalue: \(nullValue.map { "\"\($0)\"" } ?? "off")
            pager: \(pager ?? "off")
            timeout: \(timeoutSetting)
            memory limit: \(memoryLimit.map { "\($0 >> 20) MB" } ?? "off")
            output: \(output)
            knowledge base: \(origin ?? (store.loadedFiles.isEmpty ? "(empty)" : store.loadedFiles.joined(separator: " ")))

            """)
    }

    func help(_ c: DotCall) -> Outcome {
        if let topic = c.args.first {
            let word = topic.hasPrefix(".") ? topic : "." + topic
            switch Session.dotCommand(word) {
            case .failure(let f): return c.fail(self, f.message)
            case .success(let d):
                let names = ([d.name] + d.aliases).joined(separator: ", ")
                return write("\(names)\(d.args.isEmpty ? "" : " " + d.args)\n  \(d.help)\n")
            }
        }
        var text = "Statements: a query (find ... where ...), a rule (rule name(?a) := ...), or why N.\n"
        text += "Dot-commands (any unambiguous prefix: .desc; .help COMMAND for one):\n"
        for d in Session.dotCommands {
            text += "  " + DisplayWidth.pad(d.name + (d.args.isEmpty ? "" : " " + d.args), to: 22) + d.help + "\n"
        }
        text += "File names are split and quoted as in a shell: 'my file.kbq', \"a b\", a\\ b, ~/notes.\n"
        return write(text)
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

    /// The entities a dot-command's argument names (by id, label or alias), read as a
    /// query writes a name (`a label` in backticks is the label), with the name as read.
    func entitiesNamed(_ written: String) -> (name: String, found: [EntityID]) {
        var name = written
        if name.count > 1, name.first == "`", name.last == "`" { name = String(name.dropFirst().dropLast()) }
        return (name, store.entities(named: name))
    }

    /// Why `name`, which names `found`, is not one entity: unknown (with a suggestion) or
    /// ambiguous (with the ids it names).
    func notOneEntity(_ name: String, _ found: [EntityID]) -> String {
        found.isEmpty
            ? "unknown entity '\(name)'\(store.suggestEntity(name))"
            : "ambiguous name '\(name)': it names \(found.map { store.entity($0).id }.joined(separator: ", "))"
    }

    func describe(_ written: String, source: SourceText, range: Range<Int>) -> Outcome {
        let (name, found) = entitiesNamed(written)
        if found.isEmpty, let t = store.typeID(name) { return describeType(t) }
        if found.isEmpty, let p = store.predicateID(name) { return describePredicate(p) }
        guard found.count == 1, let e = found.first else {
            report(Diagnostic(.error, notOneEntity(name, found), source: source, range: range))
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

    /// A type: where it sits in the hierarchy and how many entities it has.
    func describeType(_ t: Int32) -> Outcome {
        let info = store.types[Int(t)]
        var text = "\(info.name): a type\n"
        if let d = info.description { text += "  description: \(d)\n" }
        if !info.supertypes.isEmpty { text += "  sub-type of: \(info.supertypes.map { store.typeName($0) }.joined(separator: ", "))\n" }
        let below = store.typeClosure[Int(t)].dropFirst().map { store.typeName($0) }
        if !below.isEmpty { text += "  sub-types: \(below.joined(separator: ", "))\n" }
        let members = store.members(of: t)
        text += "  entities: \(members.count) (with its sub-types; .entities \(info.name) lists them)\n"
        text += "  declared at \(info.declaredAt)\n"
        return write(text)
    }

    /// A predicate or stance: its place among predicates and how many statements use it.
    func describePredicate(_ p: PredicateID) -> Outcome {
        let info = store.predicates[Int(p)]
        var text = "\(info.name): a \(info.isStance ? "stance (its object is a proposition)" : "predicate")\n"
        if let d = info.description { text += "  description: \(d)\n" }
        if !info.supers.isEmpty { text += "  sub-predicate of: \(info.supers.map { store.predicateName($0) }.joined(separator: ", "))\n" }
        let below = store.predicateClosure[Int(p)].dropFirst().map { store.predicateName($0) }
        if !below.isEmpty { text += "  sub-predicates: \(below.joined(separator: ", "))\n" }
        let uses = store.statements(withPredicate: p)
        let asserted = uses.filter { store.isAsserted($0) }.count
        text += "  statements: \(asserted) asserted, \(uses.count - asserted) quoted (its own, not its sub-predicates')\n"
        if let at = info.declaredAt { text += "  declared at \(at)\n" }
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
        let rows = store.predicates.indices.map { i -> [Value] in
            let p = store.predicates[i]
            let n = p.name == "is_a" ? store.entities.count : store.statements(withPredicate: PredicateID(i)).count
            let kind = p.isStance ? "stance" : (p.name == "is_a" ? "built-in" : "")
            let parent = p.supers.map { store.predicateName($0) }.joined(separator: ",")
            return [.string(p.name), .string(parent), .string(kind), .integer(n)]
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
        writeTable(columns, rows.map { $0.map { .string($0) } })
    }

    /// A listing in the session's mode, its numbers as numbers (JSON gets numbers).
    func writeTable(_ columns: [String], _ rows: [[Value]]) -> Outcome {
        let writer = Formatters.make(mode, out: out, store: store, options: writerOptions(for: out))
        do {
            try writer.begin(columns: columns)
            for (i, r) in rows.enumerated() { try writer.row(r, number: i + 1) }
            try writer.end(rowCount: rows.count)
        } catch {}
        return .ok
    }
}
