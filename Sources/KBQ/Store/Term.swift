/// A stored value in 32 bits: its kind in the top two bits, an index below.
///
/// Statements hold terms, not `Value`s, so that a statement is a few integers, indexes
/// are arrays of integers and comparing two stored values is comparing two words.
/// Every value has exactly one term (literals are interned), so terms are equal exactly
/// when their values are.
struct Term: Hashable, Sendable {
    let raw: UInt32

    static let entityKind: UInt32 = 0
    static let literalKind: UInt32 = 1
    static let propositionKind: UInt32 = 2
    static let indexMask: UInt32 = 0x3FFF_FFFF

    init(raw: UInt32) { self.raw = raw }
    init(entity e: EntityID) { raw = UInt32(e) }
    init(literal l: Int) { raw = Term.literalKind << 30 | UInt32(l) }
    init(proposition p: StatementID) { raw = Term.propositionKind << 30 | UInt32(p) }

    var kind: UInt32 { raw >> 30 }
    var index: Int { Int(raw & Term.indexMask) }
}

/// Literal values (strings, numbers, dates, `unknown`, `none`, imported RDF literals),
/// each stored once.
struct LiteralTable: Sendable {
    private(set) var values: [Value] = []
    private var index: [Value: Int32] = [:]

    var count: Int { values.count }

    mutating func intern(_ v: Value) -> Int {
        if let i = index[v] { return Int(i) }
        values.append(v)
        index[v] = Int32(values.count - 1)
        return values.count - 1
    }

    func find(_ v: Value) -> Int? { index[v].map(Int.init) }

    subscript(_ i: Int) -> Value { values[i] }
}
