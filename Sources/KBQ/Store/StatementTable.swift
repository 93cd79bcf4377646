/// Every statement of a store, column by column: a statement is a row number.
///
/// The provenance of an asserted statement (its `source` document and `para`) lives in
/// its own columns and is not repeated among the stored qualifiers; `qualifier(_:_:)` and
/// `statement(_:)` show it as the qualifiers it was written as.
struct StatementTable: Sendable {
    var subject: [Term] = []
    var predicate: [PredicateID] = []
    var object: [Term] = []
    /// Statement i's qualifiers are `qualifierKeys/Values[qualifierStart[i]..<qualifierStart[i+1]]`.
    var qualifierStart: [UInt32] = [0]
    var qualifierKeys: [Int32] = []
    var qualifierValues: [Term] = []
    var asserted: [Bool] = []
    var file: [Int32] = []
    var line: [Int32] = []
    /// -1 when there is none (quoted statements).
    var document: [EntityID] = []
    /// `noParagraph` when there is none.
    var paragraph: [Int32] = []
    var names: [StatementID: String] = [:]
    var files: [String] = []
    var fileIDs: [String: Int32] = [:]

    static let noParagraph = Int32.min
    static let sourceKey: Int32 = 0
    static let paraKey: Int32 = 1

    var count: Int { subject.count }

    mutating func fileID(_ name: String) -> Int32 {
        if let id = fileIDs[name] { return id }
        files.append(name)
        fileIDs[name] = Int32(files.count - 1)
        return Int32(files.count - 1)
    }

    /// Appends a statement whose values are already terms; `qualifiers` leaves out the
    /// provenance given as `document` and `paragraph`.
    mutating func append(
        subject s: Term, predicate p: PredicateID, object o: Term, qualifiers: [(key: Int32, value: Term)],
        asserted a: Bool, location: Location, document d: EntityID?, paragraph para: Int?
    ) {
        subject.append(s)
        predicate.append(p)
        object.append(o)
        for q in qualifiers {
            qualifierKeys.append(q.key)
            qualifierValues.append(q.value)
        }
        qualifierStart.append(UInt32(qualifierKeys.count))
        asserted.append(a)
        file.append(fileID(location.file))
        line.append(Int32(clamping: location.line))
        document.append(d ?? -1)
        paragraph.append(para.map { Int32(clamping: $0) } ?? StatementTable.noParagraph)
    }

    /// The stored qualifiers of statement i (provenance excluded).
    @inline(__always) func storedQualifiers(_ i: Int) -> Range<Int> {
        Int(qualifierStart[i])..<Int(qualifierStart[i + 1])
    }

    /// For each stored qualifier, the statement it belongs to.
    func qualifierOwners() -> [StatementID] {
        var owners = [StatementID](repeating: 0, count: qualifierKeys.count)
        for i in 0..<count { for q in storedQualifiers(i) { owners[q] = StatementID(i) } }
        return owners
    }

    var byteCount: Int {
        count * (4 + 4 + 4 + 4 + 1 + 4 + 4 + 4 + 4) + qualifierKeys.count * 8
    }
}
