extension Session {
    /// `why N`: the derivation of answer row N, down to document, paragraph and quote.
    func why(_ n: Int, source: SourceText, range: Range<Int>) -> Outcome {
        guard let answers = lastAnswers, !answers.isEmpty else {
            report(Diagnostic(.error, "no answers to explain yet: run a query first", source: source, range: range))
            return .error
        }
        guard n >= 1 && n <= answers.count else {
            report(Diagnostic(.error, "no row \(n): the last answer has rows 1 to \(answers.count)", source: source, range: range))
            return .error
        }
        // A count made without its answers finds them now (a run of its join, which
        // Ctrl-C and the time limit stop like a query's).
        let evidence: [Evidence]
        do {
            let deadline = timeLimit.flatMap { Limits.deadline(after: $0, from: Clock.nanoseconds()) }
            evidence = try answers.evidence(n - 1, limits: Limits(isCancelled: isCancelled, deadline: deadline, memoryLimit: memoryLimit))
        } catch Interruption.cancelled {
            note("kbq: why \(n) cancelled")
            return .interrupted
        } catch Interruption.timeLimit {
            report(Diagnostic(.error, "why \(n) stopped: time limit of \(Session.seconds(timeLimit ?? 0)) reached", source: source, range: range))
            return .error
        } catch Interruption.memoryLimit {
            report(Diagnostic(.error, "why \(n) stopped: it needs more memory than the limit of \((memoryLimit ?? 0) >> 20) MB (see --memory-limit)", source: source, range: range))
            return .error
        } catch let d as Diagnostic {
            report(d)
            return .error
        } catch {
            report(Diagnostic.plain("\(error)"))
            return .error
        }
        var text = "row \(n):"
        for (c, v) in zip(answers.columns, answers.values(n - 1)) { text += " \(c)=\(v == .noRecord ? "—" : Display.literal(v, store))" }
        text += "\n"
        if evidence.isEmpty { text += "  (no statement: the row follows from the query alone)\n" }
        for e in evidence { text += explain(e, indent: "  ") }
        do {
            try out.write(text)
            try out.flush()
        } catch {}
        return .ok
    }

    /// How many rules deep a derivation is drawn as a tree; below, its statements are
    /// listed flat (a closure's derivation nests as deep as its chain is long).
    static let ruleDepthShown = 24

    /// One piece of evidence, as an indented tree.
    public func explain(_ e: Evidence, indent: String) -> String {
        explain(e, indent: indent, depth: 0)
    }

    private func explain(_ e: Evidence, indent: String, depth: Int) -> String {
        switch e {
        case .statement(let s): return explainStatement(s, indent: indent)
        case .typeOf(let entity, let type):
            let ent = store.entity(entity)
            return "\(indent)\(ent.id) is_a \(store.typeName(type))  — declared at \(ent.declaredAt)\n"
        case .path(let chain):
            if chain.isEmpty { return "\(indent)(a path of length zero: the same node)\n" }
            var text = "\(indent)path of \(chain.count) step\(chain.count == 1 ? "" : "s"):\n"
            for s in chain { text += explainStatement(s, indent: indent + "  ") }
            return text
        case .rule(let name, let args, let because):
            var text = "\(indent)rule \(name)(\(args.map { Display.literal($0, store) }.joined(separator: ", "))) because:\n"
            guard depth < Session.ruleDepthShown else { return text + explainFlat(because, indent: indent + "  ") }
            for b in because { text += explain(b, indent: indent + "  ", depth: depth + 1) }
            return text
        }
    }

    /// The statements, types and paths under `evidence` in order, one level, with how
    /// many rule derivations lie between: walked with a stack of its own, never by
    /// recursion, however deep the derivation.
    private func explainFlat(_ evidence: [Evidence], indent: String) -> String {
        var leaves: [Evidence] = []
        var rules = 0
        var stack: [Evidence] = evidence.reversed()
        while let e = stack.popLast() {
            if case .rule(_, _, let because) = e {
                rules += 1
                stack.append(contentsOf: because.reversed())
            } else {
                leaves.append(e)
            }
        }
        var text = "\(indent)(\(rules) more rule derivation\(rules == 1 ? "" : "s") below, too deep to draw; the statements they rest on:)\n"
        for e in leaves { text += explain(e, indent: indent, depth: 0) }
        return text
    }

    func explainStatement(_ s: StatementID, indent: String) -> String {
        let st = store.statement(s)
        var text = "\(indent)\(Display.statementName(s, store))  \(Display.statementText(s, store))\n"
        var provenance: [String] = []
        if let d = st.document {
            let doc = store.entity(d)
            provenance.append("source: \(doc.id)" + (st.paragraph.map { " ¶\($0)" } ?? ""))
        }
        if let key = store.keyID("quote"), case .string(let q)? = st.qualifier(key) {
            provenance.append("quote: “\(q)”")
        }
        provenance.append("at \(st.location)")
        text += "\(indent)    " + provenance.joined(separator: "  ") + "\n"
        return text
    }
}
