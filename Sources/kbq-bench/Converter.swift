import Foundation
import KBQ

/// Converts the peer benchmark's CSV files into kbq's own knowledge-base format, once;
/// the result is cached beside the data as `kbq/kb.kb`.
enum Converter {
    static func converted(_ dir: String) -> String { dir + "/kbq/kb.kb" }

    /// Whether the cached conversion is missing or older than the data.
    static func needsConversion(_ dir: String) -> Bool {
        let fm = FileManager.default
        if let a = try? fm.attributesOfItem(atPath: converted(dir))[.modificationDate] as? Date,
            let b = try? fm.attributesOfItem(atPath: dir + "/statements.csv")[.modificationDate] as? Date, a > b
        {
            return false
        }
        return true
    }

    static func convertIfNeeded(_ dir: String) throws -> String {
        let out = converted(dir)
        let fm = FileManager.default
        guard needsConversion(dir) else { return out }
        try fm.createDirectory(atPath: dir + "/kbq", withIntermediateDirectories: true)
        let tmp = out + ".tmp"
        guard fm.createFile(atPath: tmp, contents: nil), let handle = FileHandle(forWritingAtPath: tmp) else {
            throw ConversionError(message: "cannot write \(tmp)")
        }
        var buffer = ""
        func emit(_ s: String) {
            buffer += s
            if buffer.utf8.count > 1 << 20 { handle.write(Data(buffer.utf8)); buffer = "" }
        }
        emit("# The peer benchmark's generated data, converted by kbq-bench.\n")
        for t in ["Person", "Organization", "Country", "Product", "Event", "Document"] { emit("type \(t)\n") }
        emit("key according_to : entity\n")
        let predicates = try rows(dir + "/predicates.csv")
        var predicateNames: [String] = []
        for p in predicates {
            predicateNames.append(p[1])
            emit("predicate \(p[1])\n")
        }
        var aliases: [Int: [String]] = [:]
        for a in try rows(dir + "/aliases.csv") { aliases[Int(a[0])!, default: []].append(a[1]) }
        // The generated data names no source for most statements: they are sourced to the
        // data set itself, paragraph 0, unless a statement names its own source.
        emit("entity Generated_Data : Document \"the generated benchmark data\"\n")
        for e in try rows(dir + "/entities.csv") {
            let id = Int(e[0])!
            var line = "entity \(entityID(id)) : \(e[1]) \(Display.quoted(e[2]))"
            if let al = aliases[id] { line += " {" + al.map { "alias: \(Display.quoted($0))" }.joined(separator: ", ") + "}" }
            emit(line + "\n")
        }
        emit("from Generated_Data para 0\n")
        for r in try rows(dir + "/statements.csv") {
            // sid,s,p,o_ent,o_str,o_int,o_date,q_according_to,q_date,q_source
            var line = "\(entityID(Int(r[1])!)) \(predicateNames[Int(r[2])!]) "
            if !r[3].isEmpty { line += entityID(Int(r[3])!) }
            else if !r[4].isEmpty { line += Display.quoted(r[4]) }
            else if !r[5].isEmpty { line += r[5] }
            else { line += r[6] }
            var q: [String] = []
            if !r[7].isEmpty { q.append("according_to: \(entityID(Int(r[7])!))") }
            if !r[8].isEmpty { q.append("date: \(r[8])") }
            if !r[9].isEmpty { q.append("source: \(entityID(Int(r[9])!))") }
            if !q.isEmpty { line += " {" + q.joined(separator: ", ") + "}" }
            emit(line + "\n")
        }
        handle.write(Data(buffer.utf8))
        try handle.close()
        if fm.fileExists(atPath: out) { try fm.removeItem(atPath: out) }
        try fm.moveItem(atPath: tmp, toPath: out)
        return out
    }

    static func entityID(_ i: Int) -> String {
        let digits = String(i)
        return "e" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    struct ConversionError: Error { var message: String }

    /// The rows of a CSV file (RFC 4180 quoting), without the header.
    static func rows(_ path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); field = ""; result.append(row); row = []
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); result.append(row) }
        return Array(result.dropFirst())
    }
}
