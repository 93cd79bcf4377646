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

    /// Pass 1: when the splitter stands at the start of a line that `scan` takes whole (and
    /// the next line does not continue), the line, and the splitter moved past it.
    static func takeLine(
        _ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32,
        _ scan: (UnsafeBufferPointer<UInt8>, Int) -> Int?
    ) -> PendingFastLine? {
        let p = splitter.position
        let bytes = text.bytes
        guard p < bytes.count, p == 0 || bytes[p - 1] == 0x0A else { return nil }
        guard let end = bytes.withUnsafeBufferPointer({ scan($0, p) }), !splitter.nextLineContinues(after: end) else { return nil }
        let line = PendingFastLine(file: file, start: p, end: end, line: Int32(clamping: splitter.line), from: from)
        splitter.advance(to: end)
        return line
    }

    /// Pass 1: a plain statement line, noted for pass 2.
    mutating func takeFastLine(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32, from: Int32) -> Bool {
        guard let line = Loader.takeLine(&splitter, text, file: file, from: from, { FastLine.scan($0, from: $1)?.end }) else { return false }
        fastLines.append(line)
        statementOrder.append(-fastLines.count)
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

    /// What pass 2 looks names up in, made once the declarations are resolved: entity ids,
    /// predicates and keys by their bytes, so a line makes no String for a name.
    struct FastResolver {
        var entities: ByteKeyTable
        var predicates: ByteKeyTable
        var keys: ByteKeyTable
        var keyTypes: [ValueType]
        var stances: [Bool]
        var paragraphs: [EntityID: Int]
        var documentType: Int32?
        /// The last paragraph number interned, and its term.
        var paragraphTerm: (Int, Term)? = nil

        init(_ store: FactStore) {
            entities = ByteKeyTable(capacity: store.entities.count)
            for (i, e) in store.entities.enumerated() { entities.insert(e.id, Int32(i)) }
            predicates = ByteKeyTable(capacity: store.predicates.count)
            for (i, p) in store.predicates.enumerated() { predicates.insert(p.name, Int32(i)) }
            keys = ByteKeyTable(capacity: store.keys.count)
            for (i, k) in store.keys.enumerated() { keys.insert(k.name, Int32(i)) }
            keyTypes = store.keys.map(\.valueType)
            stances = store.predicates.map(\.isStance)
            paragraphs = [:]
            for (i, e) in store.entities.enumerated() { if let n = e.paragraphs { paragraphs[EntityID(i)] = n } }
            documentType = store.typeID("Document")
        }
    }

    private mutating func addFastLine(_ line: FastLine, _ b: UnsafeBufferPointer<UInt8>, _ f: PendingFastLine, _ file: String) -> Bool {
        if fastResolver == nil { fastResolver = FastResolver(store) }
        let r = fastResolver!
        func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[range]) }
        func value(_ o: FastLine.Object) -> Value? {
            switch o {
            case .name(let range): return r.entities.lookup(bytes(range)).map { .entity($0) }
            case .string(let range): return .string(String(decoding: bytes(range), as: UTF8.self))
            case .integer(let n): return .integer(n)
            case .date(let d): return .date(d)
            }
        }
        guard let subject = r.entities.lookup(bytes(line.subject)),
            let predicate = r.predicates.lookup(bytes(line.predicate)), predicate != FactStore.isA, !r.stances[Int(predicate)],
            let object = value(line.object)
        else { return false }
        var document: EntityID? = nil
        var paragraph: Int? = nil
        var stored: [(key: Int32, value: Value)] = []
        for q in line.qualifiers {
            guard let key = r.keys.lookup(bytes(q.key)), let v = value(q.value), let accepted = Loader.accepted(v, r.keyTypes[Int(key)]) else {
                return false
            }
            if key == Loader.sourceKey {
                // Provenance: one source, an entity (anything else takes the full path).
                guard document == nil, case .entity(let d) = accepted else { return false }
                document = d
            } else if key == Loader.paraKey {
                guard paragraph == nil, case .integer(let n) = accepted else { return false }
                paragraph = n
            } else {
                stored.append((key, accepted))
            }
        }
        // As addProvenance: the `from` line gives the document, and its paragraph when the
        // line gives none.
        if document == nil {
            guard f.from >= 0, let d = fromDocuments[Int(f.from)] else { return false }
            document = d
            if paragraph == nil { paragraph = froms[Int(f.from)].paragraph }
        }
        guard let doc = document else { return false }
        if documentChecked[doc] == nil, let t = r.documentType {
            guard store.entity(doc, isA: t) else { return false }  // the full path reports it
            documentChecked[doc] = true
        }
        guard documentChecked[doc] != false else { return false }
        if let n = paragraph, let count = r.paragraphs[doc], n < 0 || n > count { return false }
        if let n = paragraph, fastResolver!.paragraphTerm?.0 != n {
            fastResolver!.paragraphTerm = (n, store.intern(.integer(n)))
        }
        store.appendAsserted(
            subject: Term(entity: subject), predicate: predicate, object: object, qualifiers: stored,
            file: file, line: Int(f.line), document: doc, paragraph: paragraph)
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

/// Entity declarations on one line (`entity ID : Type "Label" {alias: "..."}`) take the same
/// kind of fast path: noted in pass 1, declared from the bytes in pass 2, and handed to the
/// full parser when anything is unusual (a duplicate id, an unknown type, a property it
/// does not know), which reports it.
extension Loader {
    mutating func takeFastEntity(_ splitter: inout StatementSplitter, _ text: SourceText, file: Int32) -> Bool {
        guard let line = Loader.takeLine(&splitter, text, file: file, from: -1, { FastLine.scanEntity($0, from: $1)?.end }) else { return false }
        fastEntities.append(line)
        entityOrder.append(-fastEntities.count)
        return true
    }

    mutating func declareFastEntity(_ f: PendingFastLine) {
        let text = fileTexts[Int(f.file)]
        let declared = text.bytes.withUnsafeBufferPointer { b -> Bool in
            guard let (e, _) = FastLine.scanEntity(b, from: f.start) else { return false }
            func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
            let id = string(e.id)
            guard store.entityID(exactly: id) == nil else { return false }
            var types: [Int32] = []
            for t in e.types {
                guard let type = store.typeID(string(t)) else { return false }
                types.append(type)
            }
            var entity = Entity(
                id: id, types: [], label: e.label.map(string) ?? String(id.map { $0 == "_" ? " " : $0 }),
                aliases: [], description: nil, paragraphs: nil, declaredAt: Location(file: text.name, line: Int(f.line)))
            for (key, value) in e.properties {
                switch (string(key), value) {
                case ("alias", .string(let r)): entity.aliases.append(string(r))
                case ("description", .string(let r)): entity.description = string(r)
                case ("paragraphs", .integer(let n)): entity.paragraphs = n
                case ("iri", .string(let r)): entity.iri = string(r)
                default: return false
                }
            }
            store.setEntityTypes(store.addEntity(entity), types)
            return true
        }
        guard !declared else { return }
        let chunk = SourceText(name: text.name, bytes: Array(text.bytes[f.start..<f.end]), firstLine: Int(f.line))
        do {
            declareEntity(ParsedItem(item: try Parser.parseKBItem(chunk), source: chunk, from: nil))
        } catch {
            report(error)
        }
    }
}
