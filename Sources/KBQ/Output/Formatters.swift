/// Output modes, by name (as `.mode` and `--format` take them).
public enum OutputMode: String, Sendable, CaseIterable {
    case table, box, line, markdown, tsv, csv, json, jsonl
    /// The rows' entities and statements as a claim graph (Graphviz DOT, or SVG through
    /// Graphviz): see `GraphRowWriter`.
    case dot, svg
}

/// Writes one result: a header, rows as they come, an end.
public protocol RowWriter {
    func begin(columns: [String]) throws
    func row(_ values: [Value], number: Int) throws
    /// Row `row` of `answers`: its Values made and written, unless the writer reads the
    /// row's cells itself.
    func row(of answers: Answers, _ row: Int, number: Int) throws
    func end(rowCount: Int) throws
}

extension RowWriter {
    public func row(of answers: Answers, _ row: Int, number: Int) throws { try self.row(answers.values(row), number: number) }
}

public enum Formatters {
    /// How answers are written, whatever the mode.
    public struct Options {
        public var headers = true
        public var color = false
        /// What no record shows as (`.nullvalue`): nil for the mode's own (`—` in tables,
        /// nothing in text formats; JSON has null).
        public var nullValue: String? = nil
        /// The terminal's width, for tables that must fit it; nil when not a terminal.
        public var width: Int? = nil
        public var isCancelled: () -> Bool = { false }
        public init() {}
    }

    public static func make(_ mode: OutputMode, out: TextOutput, store: FactStore, headers: Bool, color: Bool) -> RowWriter {
        var options = Options()
        options.headers = headers
        options.color = color
        return make(mode, out: out, store: store, options: options)
    }

    public static func make(_ mode: OutputMode, out: TextOutput, store: FactStore, options: Options) -> RowWriter {
        switch mode {
        case .table: return TableWriter(out: out, store: store, options: options, style: .table)
        case .box: return TableWriter(out: out, store: store, options: options, style: .box)
        case .line: return LineWriter(out: out, store: store, options: options)
        case .markdown: return MarkdownWriter(out: out, store: store, options: options)
        case .tsv: return DelimitedWriter(out: out, store: store, headers: options.headers, csv: false, nullValue: options.nullValue)
        case .csv: return DelimitedWriter(out: out, store: store, headers: options.headers, csv: true, nullValue: options.nullValue)
        case .json: return JSONWriter(out: out, store: store, lines: false)
        case .jsonl: return JSONWriter(out: out, store: store, lines: true)
        case .dot: return GraphRowWriter(out: out, store: store, svg: false)
        case .svg: return GraphRowWriter(out: out, store: store, svg: true)
        }
    }
}

/// TSV (tabs, newlines and backslashes escaped as `\t`, `\n`, `\\`) or CSV (RFC 4180).
final class DelimitedWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let headers: Bool
    let csv: Bool
    let nullValue: String?

    /// The store's entities, taken once: a table copied out of the store at every answer
    /// cost a retain and a release of each of its arrays.
    let entities: EntityTable

    init(out: TextOutput, store: FactStore, headers: Bool, csv: Bool, nullValue: String?) {
        self.out = out
        self.store = store
        entities = store.entities
        self.headers = headers
        self.csv = csv
        self.nullValue = nullValue
        separatorByte = csv ? UInt8(ascii: ",") : UInt8(ascii: "\t")
        newlineBytes = csv ? [0x0D, 0x0A] : [0x0A]
    }

    func field(_ s: String) -> String {
        if csv {
            // A newline inside quotes is CSV's own; every other control character is escaped.
            let s = Display.visible(s)
            guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return s }
            return "\"" + s.replacingAll("\"", "\"\"") + "\""
        }
        return Display.escaped(s) { c in
            switch c {
            case "\t": return "\\t"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\\": return "\\\\"
            default: return Display.isControl(c, keepNewlines: true) ? Display.visible(String(c)) : nil
            }
        }
    }

    var separator: String { csv ? "," : "\t" }
    var newline: String { csv ? "\r\n" : "\n" }
    /// The same as bytes, made once (a String appended at every cell was a tenth of
    /// printing a long answer).
    private let separatorByte: UInt8
    private let newlineBytes: [UInt8]

    func begin(columns: [String]) throws {
        if headers { try out.write(columns.map(field).joined(separator: separator) + newline) }
    }

    func row(_ values: [Value], number: Int) throws {
        for (k, v) in values.enumerated() {
            if k > 0 { out.append(byte: separatorByte) }
            if case .entity(let e) = v, writeID(e) { continue }
            out.append(field(v == .noRecord ? nullValue ?? "" : Display.plain(v, store)))
        }
        try out.endLine(bytes: newlineBytes)
    }

    /// How many rows ahead the entities' ids are brought in: a long answer's ids lie all
    /// over the entity table, and each row waited on memory for each of them in turn.
    static let fetchAhead = 8

    /// Read from the answers' cells: an entity's id with no Value made for the row.
    func row(of answers: Answers, _ row: Int, number: Int) throws {
        // Rows come a batch at a time: those after this one are already there.
        let (ahead, further) = (row + DelimitedWriter.fetchAhead, row + 2 * DelimitedWriter.fetchAhead)
        for k in 0..<answers.columns.count {
            if further < answers.count, let e = answers.entity(further, k), Int(e) < entities.count { entities.prefetchIDSpan(Int(e)) }
            if ahead < answers.count, let e = answers.entity(ahead, k), Int(e) < entities.count { entities.prefetchID(Int(e)) }
        }
        for k in 0..<answers.columns.count {
            if k > 0 { out.append(byte: separatorByte) }
            if let e = answers.entity(row, k), writeID(e) { continue }
            let v = answers.value(row, k)
            out.append(field(v == .noRecord ? nullValue ?? "" : Display.plain(v, store)))
        }
        try out.endLine(bytes: newlineBytes)
    }

    /// Writes an entity's id from the store's bytes when it needs no escaping in either
    /// format (most answers are entities; no String is made for them); false otherwise.
    private func writeID(_ e: EntityID) -> Bool {
        entities.withIDBytes(Int(e)) { bytes in
            guard bytes.allSatisfy({ DelimitedWriter.isPlain($0) }) else { return false }
            out.append(bytes)
            return true
        }
    }

    /// A byte that both TSV and CSV write as it is: printable ASCII but the separators,
    /// quote and backslash (UTF-8 beyond ASCII takes the String path, which checks it).
    static func isPlain(_ b: UInt8) -> Bool {
        b >= 0x20 && b < 0x7F && b != UInt8(ascii: ",") && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\")
    }

    func end(rowCount: Int) throws { try out.flush() }
}

/// JSON: each query's answer is one array of objects on a line of its own, so that the
/// answers of several queries are a stream of JSON values, one a line (`jq` reads it; so does
/// any JSON parser, line by line); or JSON Lines, one object a line. Numbers are numbers
/// (decimals in JSON's spelling: `-.5` is `-0.5`); no record is null; `unknown` and `none`
/// are `{"unknown": true}` and `{"none": true}`, never the strings "unknown" and "none".
final class JSONWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let lines: Bool
    var columns: [String] = []

    init(out: TextOutput, store: FactStore, lines: Bool) {
        self.out = out
        self.store = store
        self.lines = lines
    }

    func begin(columns: [String]) throws {
        self.columns = columns
        if !lines { try out.write("[") }
    }

    func row(_ values: [Value], number: Int) throws {
        var s = lines || number == 1 ? "" : ", "
        s += "{"
        for (i, v) in values.enumerated() {
            if i > 0 { s += ", " }
            s += JSONWriter.string(columns[i]) + ": " + json(v)
        }
        s += "}"
        if lines { s += "\n" }
        try out.write(s)
    }

    func end(rowCount: Int) throws {
        if !lines { try out.write("]\n") }
        try out.flush()
    }

    func json(_ v: Value) -> String {
        switch v {
        case .noRecord: return "null"
        case .unknown: return "{\"unknown\": true}"
        case .none: return "{\"none\": true}"
        case .integer(let i): return String(i)
        case .decimal(let d): return JSONWriter.number(d)
        default: return JSONWriter.string(Display.plain(v, store))
        }
    }

    static func string(_ s: String) -> String { Display.quotedWithEscapes(s) }

    /// A decimal as JSON spells a number, keeping its written digits (`3.00` stays `3.00`:
    /// it is another term than `3.0`): `-.5` is `-0.5`, `5.` is `5.0`, `+1.5` is `1.5`,
    /// leading zeros go.
    static func number(_ d: String) -> String {
        guard ExactNumber(decimal: d) != nil else { return string(d) }
        var text = Substring(d)
        var sign = ""
        if text.first == "+" || text.first == "-" {
            if text.first == "-" { sign = "-" }
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var whole = String(parts[0].drop { $0 == "0" })
        if whole.isEmpty { whole = "0" }
        let fraction = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : "0"
        return sign + whole + "." + fraction
    }
}

/// Holds the heading back until the first row or the end, so that a query that fails before
/// its first answer prints nothing on stdout; once rows have gone out, `finish` completes
/// the document (a JSON array is closed) whatever stopped the query.
public final class DeferredHeaderWriter: RowWriter {
    let inner: RowWriter
    var columns: [String] = []
    public private(set) var begun = false

    public init(_ inner: RowWriter) { self.inner = inner }

    public func begin(columns: [String]) throws { self.columns = columns }

    public func row(_ values: [Value], number: Int) throws {
        if !begun {
            begun = true
            try inner.begin(columns: columns)
        }
        try inner.row(values, number: number)
    }

    public func row(of answers: Answers, _ row: Int, number: Int) throws {
        if !begun {
            begun = true
            try inner.begin(columns: columns)
        }
        try inner.row(of: answers, row, number: number)
    }

    public func end(rowCount: Int) throws {
        if !begun {
            begun = true
            try inner.begin(columns: columns)
        }
        try inner.end(rowCount: rowCount)
    }

    /// After an error: the rows already out are made a complete document; nothing else.
    public func finish(rowCount: Int) {
        if begun { try? inner.end(rowCount: rowCount) }
    }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
