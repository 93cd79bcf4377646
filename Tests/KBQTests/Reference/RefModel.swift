import Foundation

// The reference evaluator's own model of a knowledge base: values, statements, schema.
// Shares nothing with Sources/KBQ/Store; the generator (RefKBGenerator) builds it and
// writes the same knowledge base as .kb text for kbq.

/// A qualifier: key and value, in written order.
struct RQual: Hashable {
    var key: String
    var value: RV
}

/// A value of semantics.md's "Values" section (no record is `nil` where a value may be missing).
indirect enum RV: Hashable {
    case entity(String)
    case string(String)
    case int(Int)
    case decimal(String)              // kept as written: 3.0 and 3.00 are two terms
    case date(Int, Int?, Int?)        // year, month?, day?
    case unknown
    case none
    case prop(s: RV, p: String, o: RV, quals: [RQual])
    case statement(String)            // by name (every generated statement is named)
    case predicate(String)
    case type(String)

    var isNumber: Bool {
        switch self { case .int, .decimal: return true; default: return false }
    }
    var decimalValue: Decimal? {
        switch self {
        case .int(let i): return Decimal(i)
        case .decimal(let s): return Decimal(string: s)
        default: return nil
        }
    }

    /// As kbq writes it in .kb and query text.
    var kbText: String {
        switch self {
        case .entity(let id): return id
        case .string(let s): return RV.quote(s)
        case .int(let i): return String(i)
        case .decimal(let s): return s
        case .date(let y, let m, let d): return RV.dateText(y, m, d)
        case .unknown: return "unknown"
        case .none: return "none"
        case .prop(let s, let p, let o, let q):
            var t = "[\(s.kbText) \(p) \(o.kbText)"
            if !q.isEmpty { t += " {" + q.map { "\($0.key): \($0.value.kbText)" }.joined(separator: ", ") + "}" }
            return t + "]"
        case .statement(let n): return n
        case .predicate(let n): return n
        case .type(let n): return n
        }
    }

    static func dateText(_ y: Int, _ m: Int?, _ d: Int?) -> String {
        var t = String(format: "%04d", y)
        if let m { t += String(format: "-%02d", m) }
        if let d { t += String(format: "-%02d", d) }
        return t
    }

    static func quote(_ s: String) -> String {
        var t = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": t += "\\\""
            case "\\": t += "\\\\"
            case "\n": t += "\\n"
            case "\t": t += "\\t"
            default: t.unicodeScalars.append(c)
            }
        }
        return t + "\""
    }
}

struct REntity {
    var id: String
    var types: [String]
    var label: String?
}

/// An asserted statement. Its source and paragraph are also among `quals` (keys source, para).
struct RStatement {
    var name: String
    var s: RV
    var p: String
    var o: RV
    var quals: [RQual]
}

/// What the objects of a predicate are, so that generated filters compare like with like.
enum RRange: String { case entity, number, date, string, mixed, prop }

struct RKB {
    var typeParents: [String: [String]] = [:]
    var typeOrder: [String] = []
    var predParents: [String: [String]] = [:]
    var predOrder: [String] = []
    var predRange: [String: RRange] = [:]
    var stances: Set<String> = []
    var keyType: [String: String] = [:]          // user keys and their value type
    var entities: [REntity] = []
    var statements: [RStatement] = []
    var documents: [String] = []
    var hasDuplicates = false
    var text = ""

    /// `p` and every predicate below it.
    func predicatesBelow(_ p: String) -> Set<String> {
        var out: Set<String> = [p]
        var changed = true
        while changed {
            changed = false
            for (q, parents) in predParents where !out.contains(q) && parents.contains(where: out.contains) {
                out.insert(q); changed = true
            }
        }
        return out
    }
    func typesBelow(_ t: String) -> Set<String> {
        var out: Set<String> = [t]
        var changed = true
        while changed {
            changed = false
            for (q, parents) in typeParents where !out.contains(q) && parents.contains(where: out.contains) {
                out.insert(q); changed = true
            }
        }
        return out
    }
    func entity(_ id: String) -> REntity? { entities.first { $0.id == id } }
}

/// A small deterministic generator (SplitMix64), so a seed replays a run.
struct RRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    mutating func shuffled<T>(_ a: [T]) -> [T] {
        var a = a
        if a.count > 1 { for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(i + 1)) } }
        return a
    }
}
