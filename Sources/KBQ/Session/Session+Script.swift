extension Session {
    /// Runs a whole script: statements and dot-commands, in order. Stops at the first error
    /// unless `keepGoing`; returns the worst outcome.
    public func runScript(_ script: SourceText, keepGoing: Bool) -> Outcome {
        var splitter = StatementSplitter(name: script.name, bytes: script.bytes)
        var worst = Outcome.ok
        let rules = Set(ruleNames)
        while let piece = splitter.next(allowDotCommands: true, parse: { chunk in
            Result { () throws(Diagnostic) in try Parser.parseCommand(chunk, rules: rules.union(self.ruleNames), parameters: self.parameters) }
        }) {
            let outcome: Outcome
            switch piece {
            case .dotCommand(let line, let source): outcome = runDot(line, source: source)
            case .statement(let chunk, .failure(let d)):
                _ = chunk
                report(d)
                outcome = .error
            case .statement(let chunk, .success): outcome = run(chunk)
            }
            switch outcome {
            case .quit, .interrupted: return outcome
            case .error:
                worst = .error
                if !keepGoing { return .error }
            case .ok: break
            }
        }
        return worst
    }

    /// Reads and runs a script file (`.read FILE`, `-f FILE`).
    public func runScript(file: String, keepGoing: Bool, from: (SourceText, Range<Int>)? = nil) -> Outcome {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(file)
        } catch {
            report(Diagnostic(.error, error.message, source: from?.0 ?? SourceText(name: "kbq", text: ""), range: from?.1 ?? 0..<0))
            return .error
        }
        guard let text = validated(bytes, name: file) else { return .error }
        return runScript(text, keepGoing: keepGoing)
    }

    /// The bytes as source text, or nil after reporting the first invalid UTF-8 byte.
    public func validated(_ bytes: [UInt8], name: String) -> SourceText? {
        if let d = UTF8Check.diagnostic(bytes, name: name) {
            report(d)
            return nil
        }
        return SourceText(name: name, bytes: bytes)
    }
}
