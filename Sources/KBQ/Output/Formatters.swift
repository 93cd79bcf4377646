/// Output modes, by name (as `.mode` and `--format` take them).
public enum OutputMode: String, Sendable, CaseIterable {
    case table, tsv, csv, json, jsonl
}

/// Writes one result: a header, rows as they come, an end.
public protocol RowWriter {
    func begin(columns: [String]) throws
    func row(_ values: [Value], number: Int) throws
    func end(rowCount: Int) throws
}

public enum Formatters {
    public static func make(_ mode: OutputMode, out: TextOutput, store: FactStore, headers: Bool, color: Bool) -> RowWriter {
        switch mode {
        case .table: return TableWriter(out: out, store: store, headers: headers, color: color)
        case .tsv: return DelimitedWriter(out: out, store: store, headers: headers, csv: false)
        case .csv: return DelimitedWriter(out: out, store: store, headers: headers, csv: true)
        case .json: return JSONWriter(out: out, store: store, lines: false)
        case .jsonl: return JSONWriter(out: out, store: store, lines: true)
        }
    }
}

/// TSV (tabs, newlines and backslashes escaped as `\t`, `\n`, `\\`) or CSV (RFC 4180).
final class DelimitedWriter: RowWriter {
    let out: TextOutput
    let store: FactStore
    let headers: Bool
    let csv: Bool

    init(out: TextOutput, store: FactStore, headers: Bool, csv: Bool) {
        self.out = out
        self.store = store
        self.headers = headers
        self.csv = csv
    }

    func field(_ s: String) -> String {
        if csv {
            guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
            return "\"" + s.replacingAll("\"", "\"\"") + "\""
        }
        return Display.escaped(s) { c in
            switch c {
            case "\t": return "\\t"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\\": return "\\\\"
            default: return nil
            }
        }
    }

    var separator: String { csv ? "," : "\t" }
    var newline: String { csv ? "\r\n" : "\n" }

    func begin(columns: [String]) throws {
        if headers { try out.write(columns.map(field).joined(separator: separator) + newline) }
    }

    func row(_ values: [Value], number: Int) throws {
        try out.write(values.map { field(Display.plain($0, store)) }.joined(separator: separator) + newline)
    }

    func end(rowCount: Int) throws { try out.flush() }
}

/// A JSON array of objects, or one object per line (JSON Lines). Numbers are numbers;
/// a missing optional value ("no record") is null.
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
        var s = lines ? "" : (number == 1 ? "\n  " : ",\n  ")
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
        if !lines { try out.write(rowCount == 0 ? "]\n" : "\n]\n") }
        try out.flush()
    }

    func json(_ v: Value) -> String {
        switch v {
        case .noRecord: return "null"
        case .integer(let i): return String(i)
        case .decimal(let d): return d.hasPrefix(".") ? "0" + d : d
        default: return JSONWriter.string(Display.plain(v, store))
        }
    }

    static func string(_ s: String) -> String { Display.quotedWithEscapes(s) }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        replacing(target, with: replacement)
    }
}
