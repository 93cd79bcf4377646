/// The loader's fast path for plain statement lines (see FastLine): pass 1 notes where the
/// line is, pass 2 resolves it from the bytes. Any line it cannot take whole goes through
/// the full parser and resolver, so errors read exactly as before.
extension Loader {
    struct PendingFastLine {
        var file: Int32
        var start: Int
        var end: Int
        var line: Int32
        /// Index into `froms`, or -1.
        var from: Int32
    }

    /// Pass 1: when the splitter stands at a plain statement line, records it and moves past.
    mutating func takeFastLine(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32) -> Bool {
        let p = splitter.position
        let bytes = text.bytes
        guard p < bytes.count, p == 0 || bytes[p - 1] == 0x0A else { return false }
        guard let end = bytes.withUnsafeBufferPointer({ FastLine.scan($0, from: p)?.end }), !splitter.nextLineContinues(after: end) else {
            return false
        }
        fastLines.append(PendingFastLine(file: file, start: p, end: end, line: Int32(clamping: splitter.line), from: from))
        statementOrder.append(-fastLines.count)
        splitter.advance(to: end)
        return true
    }

    /// Pass 2: adds the statement of a fast line, or hands the line to the full path.
    mutating func resolveFastLine(_ f: PendingFastLine) {
        let text = fileTexts[Int(f.file)]
        let added = text.bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let (line, _) = FastLine.scan(buffer, from: f.start) else { return false }
            return addFastLine(line, buffer, f, text.name)
        }
        if !added { resolveSlowly(f, text) }
    }

    private mutating func addFastLine(_ line: FastLine, _ b: UnsafeBufferPointer<UInt8>, _ f: PendingFastLine, _ file: String) -> Bool {
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
        func value(_ o: FastLine.Object) -> Value? {
            switch o {
            case .name(let r): return store.entityID(exactly: text(r)).map { .entity($0) }
            case .string(let r): return .string(text(r))
            case .integer(let n): return .integer(n)
            case .date(let d): return .date(d)
            }
        }
        guard let subject = store.entityID(exactly: text(line.subject)),
            let predicate = store.predicateID(text(line.predicate)), predicate != FactStore.isA, !store.isStance(predicate),
            let object = value(line.object)
        else { return false }
        var qualifiers: [(key: Int32, value: Value)] = []
        var document: EntityID? = nil
        var paragraph: Int? = nil
        for q in line.qualifiers {
            guard let key = store.keyID(text(q.key)), let v = value(q.value), let accepted = Loader.accepted(v, store.keys[Int(key)].valueType) else {
                return false
            }
            if key == Loader.sourceKey, document == nil, case .entity(let d) = accepted { document = d }
            if key == Loader.paraKey, paragraph == nil, case .integer(let n) = accepted { paragraph = n }
            qualifiers.append((key, accepted))
        }
        // Provenance, as addProvenance decides it.
        if document == nil, f.from >= 0 {
            guard let d = fromDocuments[Int(f.from)] else { return false }
            document = d
            if paragraph == nil { paragraph = froms[Int(f.from)].paragraph }
        }
        guard let doc = document, documentChecked[doc] == true else { return false }
        if let n = paragraph, let count = store.entities[Int(doc)].paragraphs, n < 0 || n > count { return false }
        if !qualifiers.contains(where: { $0.key == Loader.sourceKey }) { qualifiers.append((Loader.sourceKey, .entity(doc))) }
        if let n = paragraph, !qualifiers.contains(where: { $0.key == Loader.paraKey }) { qualifiers.append((Loader.paraKey, .integer(n))) }
        _ = store.addStatement(Statement(
            subject: .entity(subject), predicate: predicate, object: object, qualifiers: qualifiers, asserted: true,
            name: nil, location: Location(file: file, line: Int(f.line)), document: doc, paragraph: paragraph))
        return true
    }

    /// The full parser and resolver on one line: the diagnostics of any line the fast path
    /// would not take.
    private mutating func resolveSlowly(_ f: PendingFastLine, _ text: SourceText) {
        let chunk = SourceText(name: text.name, bytes: Array(text.bytes[f.start..<f.end]), firstLine: Int(f.line))
        do {
            let item = try Parser.parseKBItem(chunk)
            guard case .statement(let p) = item else { return }
            let from = f.from >= 0 ? froms[Int(f.from)] : nil
            _ = resolveStatement(p, asserted: true, ParsedItem(item: item, source: chunk, from: from))
        } catch {
            report(error)
        }
    }

    /// Resolves the documents of the `from` lines once (checking each is a Document), so
    /// that a fast line needs no lookup; nil where the full path must report.
    mutating func resolveFromDocuments() {
        let documentType = store.typeID("Document")
        fromDocuments = froms.map { from in
            guard let d = store.entityID(exactly: from.document.text) else { return nil }
            if documentChecked[d] == nil, let t = documentType, !store.entity(d, isA: t) { return nil }
            if documentChecked[d] == nil && documentType != nil { documentChecked[d] = true }
            return d
        }
    }
}
