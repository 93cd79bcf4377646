/// How values are written in answers: entity ids, ISO dates, propositions in brackets.
public enum Display {
    /// The plain text of a value, as TSV, CSV and JSON strings carry it.
    public static func plain(_ v: Value, _ store: FactStore) -> String {
        switch v {
        case .entity(let e): return store.entities.id(Int(e))
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .decimal(let d): return d
        case .typedLiteral(let s, let t): return t.hasPrefix("@") ? quoted(s) + t : quoted(s) + "^^<" + t + ">"
        case .date(let d): return d.description
        case .unknown: return "unknown"
        case .none: return "none"
        case .noRecord: return ""
        case .predicate(let p): return store.predicateName(p)
        case .type(let t): return store.typeName(t)
        case .statement(let s): return statementName(s, store)
        case .proposition(let s): return "[" + statementText(s, store) + "]"
        }
    }

    /// A value inside a proposition or a statement: strings quoted.
    public static func literal(_ v: Value, _ store: FactStore) -> String {
        if case .string(let s) = v { return quoted(s) }
        return plain(v, store)
    }

    public static func quoted(_ s: String) -> String {
        "\"" + escaped(s) { c in
            switch c {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\t": return "\\t"
            default: return nil
            }
        } + "\""
    }

    /// A quoted string that both JSON and N-Triples read: `\" \\ \n \r \t`, and other
    /// control characters as `\uXXXX`.
    public static func quotedWithEscapes(_ s: String) -> String {
        "\"" + escaped(s) { c in
            switch c {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default:
                // C1 too: valid in JSON and N-Triples raw, but a terminal obeys it.
                guard c.value < 0x20 || (0x7F...0x9F).contains(c.value) else { return nil }
                let hex = String(c.value, radix: 16, uppercase: true)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        } + "\""
    }

    /// Text that is safe to show on a terminal: control characters from data (C0 but tab
    /// and newline, DEL, C1, which can move the cursor, retitle the window or clear the
    /// screen) are written as escapes: `\e` for ESC, `\u{9B}` for the others.
    public static func visible(_ s: String, keepNewlines: Bool = true) -> String {
        guard s.unicodeScalars.contains(where: { isControl($0, keepNewlines: keepNewlines) }) else { return s }
        return escaped(s) { c in
            guard isControl(c, keepNewlines: keepNewlines) else { return nil }
            if c.value == 0x1B { return "\\e" }
            return "\\u{" + String(c.value, radix: 16, uppercase: true) + "}"
        }
    }

    /// A control character that `visible` escapes: C0 but tab (and newline when kept), DEL, C1.
    static func isControl(_ c: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        let v = c.value
        if v == 0x09 || (keepNewlines && v == 0x0A) { return false }
        return v < 0x20 || (0x7F...0x9F).contains(v)
    }

    /// `s` with each scalar that `replacement` maps replaced: the one loop behind every
    /// format's escaping (quoted literals, TSV, JSON).
    static func escaped(_ s: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        // Nearly every cell has nothing to replace: it is returned as it is, with no String
        // built a scalar at a time; the scalars before the first replaced one are copied whole.
        if s.utf8.allSatisfy({ $0 < 0x80 && replacement(Unicode.Scalar($0)) == nil }) { return s }
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { replacement($0) != nil }) else { return s }
        var out = String(scalars[..<first])
        for c in scalars[first...] {
            if let r = replacement(c) { out += r } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// `S12` for a named statement, `#12` otherwise.
    public static func statementName(_ s: StatementID, _ store: FactStore) -> String {
        store.statementName(s) ?? "#\(s + 1)"
    }

    /// `subject predicate object {key: value, ...}`, without source qualifiers.
    public static func statementText(_ s: StatementID, _ store: FactStore, withSource: Bool = false) -> String {
        let st = store.statement(s)
        var text = "\(literal(st.subject, store)) \(store.predicateName(st.predicate)) \(literal(st.object, store))"
        let shown = st.qualifiers.filter { withSource || !["source", "para", "quote"].contains(store.keyName($0.key)) }
        if !shown.isEmpty {
            text += " {" + shown.map { "\(store.keyName($0.key)): \(literal($0.value, store))" }.joined(separator: ", ") + "}"
        }
        return text
    }
}
