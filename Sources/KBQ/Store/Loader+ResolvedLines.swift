extension Loader {
    /// Fast lines scanned and resolved by one worker, as columns: everything the line says,
    /// checked as the full resolver checks it, except that literals are not interned yet.
    /// A line that fails any check has subject -1 and goes through the full path in order,
    /// which reports the error (or adds what the fast path does not handle). A class: the
    /// one thread that adds the lines reads it without copying its columns.
    final class ResolvedLines {
        /// The fast line index of the first line, and how many.
        let first: Int
        let count: Int
        var subject: [EntityID] = []
        var predicate: [PredicateID] = []
        /// A term's raw bits, or `pendingKind` with an index into `literals`.
        var object: [UInt32] = []
        /// Line k's qualifiers are `qualifierKeys/Values[qualifierEnd[k - 1]..<qualifierEnd[k]]`
        /// (from 0 for the first), provenance left out.
        var qualifierEnd: [Int32] = []
        var qualifierKeys: [Int32] = []
        var qualifierValues: [UInt32] = []
        var document: [EntityID] = []
        /// `StatementTable.noParagraph` when there is none.
        var paragraph: [Int32] = []
        var literals: [PendingLiteral] = []

        /// The top two bits of a value not yet interned (terms use kinds 0 to 2).
        static let pendingKind: UInt32 = 3

        struct PendingLiteral {
            var key: LiteralTable.Key
            /// A string's bytes in its file (else unused).
            var start: Int
            var length: Int32
        }

        func qualifiers(_ k: Int) -> Range<Int> {
            (k == 0 ? 0 : Int(qualifierEnd[k - 1]))..<Int(qualifierEnd[k])
        }

        init(_ lines: Range<Int>, _ input: ResolveInput) {
            first = lines.lowerBound
            count = lines.count
            subject.reserveCapacity(count)
            predicate.reserveCapacity(count)
            object.reserveCapacity(count)
            qualifierEnd.reserveCapacity(count)
            document.reserveCapacity(count)
            paragraph.reserveCapacity(count)
            var checker = DocumentChecker(input)
            var n = lines.lowerBound
            while n < lines.upperBound {
                // A run of lines from one file, read through one pointer.
                let file = input.lines[n].file
                var end = n + 1
                while end < lines.upperBound, input.lines[end].file == file { end += 1 }
                input.texts[Int(file)].bytes.withUnsafeBufferPointer { b in
                    for k in n..<end { add(input.lines[k], b, input, &checker) }
                }
                n = end
            }
        }

        private func add(_ f: PendingFastLine, _ b: UnsafeBufferPointer<UInt8>, _ input: ResolveInput, _ checker: inout DocumentChecker) {
                if !resolve(f, b, input, &checker) {
                    // Undo what the line left and mark it for the full path.
                    let end = qualifierEnd.last.map(Int.init) ?? 0
                    qualifierKeys.removeSubrange(end...)
                    qualifierValues.removeSubrange(end...)
                    subject.append(-1)
                    predicate.append(0)
                    object.append(0)
                    document.append(-1)
                    paragraph.append(StatementTable.noParagraph)
                }
                qualifierEnd.append(Int32(qualifierKeys.count))
        }

        /// Scans and resolves one line, appending it; false (with only qualifiers appended)
        /// when it must take the full path.
        private func resolve(
            _ f: PendingFastLine, _ b: UnsafeBufferPointer<UInt8>, _ input: ResolveInput, _ checker: inout DocumentChecker
        ) -> Bool {
            let r = input.resolver
            var document: EntityID? = nil
            var paragraph: Int? = nil
            let literalCount = literals.count
            func lookup(_ t: ByteKeyTable, _ range: Range<Int>) -> Int32? { t.lookup(UnsafeBufferPointer(rebasing: b[range])) }
            /// A value as stored for a key of type `type`: a term or pending literal, nil
            /// when the name is not an entity or the type does not accept it.
            func value(_ o: FastLine.Object, _ type: ValueType) -> UInt32? {
                switch (o, type) {
                case (.name(let range), .any), (.name(let range), .entity):
                    return lookup(r.entities, range).map { Term(entity: $0).raw }
                case (.string(let range), .any), (.string(let range), .string):
                    return pending(.string(UnsafeBufferPointer(rebasing: b[range])), range)
                case (.integer(let n), .any), (.integer(let n), .integer), (.integer(let n), .decimal):
                    return pending(.integer(n), 0..<0)
                case (.integer(let y), .date) where (1000...9999).contains(y):
                    return pending(.date(DateValue(year: y)), 0..<0)
                case (.date(let d), .any), (.date(let d), .date):
                    return pending(.date(d), 0..<0)
                default:
                    return nil
                }
            }
            func pending(_ key: LiteralTable.Key, _ range: Range<Int>) -> UInt32 {
                literals.append(PendingLiteral(key: key, start: range.lowerBound, length: Int32(range.count)))
                return ResolvedLines.pendingKind << 30 | UInt32(literals.count - 1)
            }
            let scanned = FastLine.scan(b, from: f.start) { keyRange, v in
                guard let key = lookup(r.keys, keyRange), let stored = value(v, r.keyTypes[Int(key)]) else { return false }
                if key == Loader.sourceKey {
                    // Provenance: one source, an entity (anything else takes the full path).
                    guard document == nil, stored >> 30 == Term.entityKind else { return false }
                    document = EntityID(stored)
                } else if key == Loader.paraKey {
                    guard paragraph == nil, case .integer(let n) = v else { return false }
                    paragraph = n
                } else {
                    qualifierKeys.append(key)
                    qualifierValues.append(stored)
                }
                return true
            }
            guard let line = scanned, let s = lookup(r.entities, line.subject), let p = lookup(r.predicates, line.predicate),
                p != FactStore.isA, !r.stances[Int(p)], let o = value(line.object, .any)
            else { return fail(literalCount) }
            // As addProvenance: the `from` line gives the document, and its paragraph when
            // the line gives none.
            if document == nil {
                guard f.from >= 0, let d = input.fromDocuments[Int(f.from)] else { return fail(literalCount) }
                document = d
                if paragraph == nil { paragraph = input.froms[Int(f.from)] }
            }
            guard let doc = document, checker.isDocument(doc) else { return fail(literalCount) }
            if let n = paragraph {
                if let count = checker.lastParagraphs, n < 0 || n > count { return fail(literalCount) }
                guard let p32 = Int32(exactly: n), p32 != StatementTable.noParagraph else { return fail(literalCount) }
            }
            subject.append(s)
            predicate.append(p)
            object.append(o)
            self.document.append(doc)
            self.paragraph.append(paragraph.map { Int32($0) } ?? StatementTable.noParagraph)
            return true
        }

        private func fail(_ literalCount: Int) -> Bool {
            literals.removeSubrange(literalCount...)
            return false
        }
    }

    /// Whether a line's source is a Document, and how many paragraphs it has, remembering
    /// the last document asked about (most lines have the source of the line before).
    struct DocumentChecker {
        let isDocumentEntity: [Bool]
        let paragraphCounts: [EntityID: Int]
        var lastGood: EntityID = -1
        /// The paragraphs of the last document accepted, if it says.
        var lastParagraphs: Int? = nil

        init(_ input: ResolveInput) {
            isDocumentEntity = input.resolver.isDocument
            paragraphCounts = input.resolver.paragraphs
        }

        mutating func isDocument(_ d: EntityID) -> Bool {
            if d == lastGood { return true }
            guard isDocumentEntity[Int(d)] else { return false }
            lastGood = d
            lastParagraphs = paragraphCounts.isEmpty ? nil : paragraphCounts[d]
            return true
        }
    }
}
