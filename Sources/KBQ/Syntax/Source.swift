/// A piece of user text (a file, a script statement, a typed line) and where it came from.
///
/// Locations inside it are byte offsets into `bytes`; they become line:column only when a
/// diagnostic is rendered (as jq's locfile does), so the lexer never counts lines.
public struct SourceText: Sendable {
    /// The name shown in diagnostics: a path, `<stdin>`, `-e`.
    public let name: String
    public let bytes: [UInt8]
    /// Line and column of the first byte in the original file, so that a statement cut out
    /// of a script reports the script's own line numbers.
    public let firstLine: Int
    public let firstColumn: Int

    public init(name: String, text: String, firstLine: Int = 1, firstColumn: Int = 1) {
        self.init(name: name, bytes: Array(text.utf8), firstLine: firstLine, firstColumn: firstColumn)
    }

    public init(name: String, bytes: [UInt8], firstLine: Int = 1, firstColumn: Int = 1) {
        self.name = name
        self.bytes = bytes
        self.firstLine = firstLine
        self.firstColumn = firstColumn
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Line (1-based, in the original file) and column (1-based, in characters) of `offset`.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let offset = min(max(0, offset), bytes.count)
        var line = firstLine
        var lineStart = 0
        for i in 0..<offset where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        let column = characterCount(bytes[lineStart..<offset])
        return (line, (line == firstLine ? firstColumn : 1) + column)
    }

    /// Line (1-based, in the original file) of `offset`: counts newlines only.
    public func line(of offset: Int) -> Int {
        var line = firstLine
        for i in 0..<min(max(0, offset), bytes.count) where bytes[i] == 0x0A { line += 1 }
        return line
    }

    /// The text of the line holding `offset`, without its newline.
    public func lineText(containing offset: Int) -> (text: String, start: Int) {
        let offset = min(max(0, offset), bytes.count)
        var start = offset
        while start > 0 && bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        var end = offset
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        return (String(decoding: bytes[start..<end], as: UTF8.self), start)
    }

    func characterCount(_ slice: ArraySlice<UInt8>) -> Int {
        String(decoding: slice, as: UTF8.self).count
    }
}

/// Validates UTF-8 and reports the first bad byte, instead of replacing it silently.
public enum UTF8Check {
    /// An error naming the first invalid byte, shown in its line (the byte as '?'), or nil
    /// when the bytes are valid UTF-8.
    public static func diagnostic(_ bytes: [UInt8], name: String, hint: String = "") -> Diagnostic? {
        guard let bad = firstInvalidByte(bytes) else { return nil }
        let shown = Array(bytes[..<bad]) + [0x3F] + Array(bytes[(bad + 1)...].prefix { $0 != 0x0A })
        let hex = String(bytes[bad], radix: 16, uppercase: true)
        return Diagnostic(.error, "invalid UTF-8 (byte 0x\(hex))\(hint)", source: SourceText(name: name, bytes: shown), range: bad..<bad + 1)
    }

    /// The offset of the first byte that is not part of valid UTF-8, or nil. A large file
    /// is checked in parts on every core, cut after newlines (no sequence spans one, so
    /// each part finds what a check of the whole would find in it).
    public static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { b in
            let parts = Parallel.lineParts(b, b.count >= 1 << 23 ? Parallel.cores : 1)
            let input = SharedBytes(bytes: b)
            return Parallel.map(parts.count) { k in firstInvalidByte(input.bytes, parts[k]) }.lazy.compactMap { $0 }.first
        }
    }

    private struct SharedBytes: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
    }

    private static func firstInvalidByte(_ bytes: UnsafeBufferPointer<UInt8>, _ part: Range<Int>) -> Int? {
        var i = part.lowerBound
        let n = part.upperBound
        let raw = UnsafeRawPointer(bytes.baseAddress)
        while i < n {
            // ASCII (nearly all of a knowledge base) 32 bytes, then eight, at a time.
            if i + 32 <= n {
                let w = raw!.loadUnaligned(fromByteOffset: i, as: UInt64.self) | raw!.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                    | raw!.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self) | raw!.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
                if w & 0x8080_8080_8080_8080 == 0 {
                    i += 32
                    continue
                }
            }
            if i + 8 <= n, raw!.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let need: Int
            var minScalar: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: need = 1; scalar = UInt32(b & 0x1F); minScalar = 0x80
            case 0xE0...0xEF: need = 2; scalar = UInt32(b & 0x0F); minScalar = 0x800
            case 0xF0...0xF4: need = 3; scalar = UInt32(b & 0x07); minScalar = 0x10000
            default: return i
            }
            for k in 1...need {
                guard i + k < n, bytes[i + k] & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
                return i
            }
            i += need + 1
        }
        return nil
    }
}
