#if canImport(Glibc)
import Glibc
#endif

/// The reader of the output went away (`| head -1`): stop this result, keep the session.
public struct BrokenPipe: Error, Sendable {}

/// Buffered output to a file descriptor, where every write is checked: with SIGPIPE
/// ignored, a closed pipe shows up here as EPIPE instead of being swallowed.
public final class TextOutput {
    public let fd: Int32
    let ownsDescriptor: Bool
    /// Unchecked exclusivity: an output is written by one thread at a time (the session's),
    /// and a dynamic check at every append was a tenth of printing a long answer.
    @exclusivity(unchecked) var buffer: [UInt8] = []
    /// Flush after every line (a terminal) or only when the buffer fills (a pipe or file).
    public var lineBuffered: Bool
    public private(set) var failed = false

    /// For `.output |cmd`: the pipe to the command, closed with pclose.
    var process: UnsafeMutablePointer<FILE>? = nil
    /// Output kept in memory (an answer that may go to a pager), never written.
    let inMemory: Bool
    /// Whether a memory output is written as for a terminal (colours, widths).
    let pretendsTerminal: Bool

    public init(fd: Int32, ownsDescriptor: Bool = false, lineBuffered: Bool? = nil) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.lineBuffered = lineBuffered ?? (isatty(fd) == 1)
        inMemory = false
        pretendsTerminal = false
        buffer.reserveCapacity(65536)
    }

    private init(memoryAsTerminal: Bool) {
        fd = -1
        ownsDescriptor = false
        lineBuffered = false
        inMemory = true
        pretendsTerminal = memoryAsTerminal
    }

    /// Output kept in memory (`contents`), written as for a terminal when `asTerminal`.
    public static func memory(asTerminal: Bool) -> TextOutput { TextOutput(memoryAsTerminal: asTerminal) }

    /// What a memory output holds.
    public var contents: [UInt8] { buffer }

    /// Opens (truncating) a file for `.output FILE`.
    public static func file(_ path: String) throws(FileSystem.IOError) -> TextOutput {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.IOError(message: "cannot write '\(path)': \(FileSystem.errorText())") }
        return TextOutput(fd: fd, ownsDescriptor: true, lineBuffered: false)
    }

    /// Opens a pipe to a shell command for `.output |cmd` and `.once |cmd`. SIGPIPE is
    /// ignored from then on, so a command that stops reading (`head -1`) ends the answer
    /// with a checked write error instead of ending kbq.
    public static func pipe(to command: String) throws(FileSystem.IOError) -> TextOutput {
        signal(SIGPIPE, SIG_IGN)
        guard let f = popen(command, "w") else {
            throw FileSystem.IOError(message: "cannot run '\(command)': \(FileSystem.errorText())")
        }
        let out = TextOutput(fd: fileno(f), ownsDescriptor: false, lineBuffered: false)
        out.process = f
        return out
    }

    /// A file name, or `|command`.
    public static func open(_ target: String) throws(FileSystem.IOError) -> TextOutput {
        target.hasPrefix("|") ? try pipe(to: String(target.dropFirst())) : try file(target)
    }

    public var isTerminal: Bool { inMemory ? pretendsTerminal : isatty(fd) == 1 }

    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 65536 || (lineBuffered && s.utf8.last == 0x0A) { try flush() }
    }

    /// Appends bytes with no flush: a writer that builds a line in pieces ends it with
    /// `endLine`, which flushes as `write` would.
    func append(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }
    func append(_ s: String) { buffer.append(contentsOf: s.utf8) }
    func append(byte: UInt8) { buffer.append(byte) }

    /// Ends a line built with `append` (`newline` written), flushing as `write` would.
    func endLine(_ newline: String) throws {
        buffer.append(contentsOf: newline.utf8)
        if buffer.count >= 65536 || lineBuffered { try flush() }
    }

    /// `endLine` of a newline's bytes.
    func endLine(bytes newline: [UInt8]) throws {
        buffer.append(contentsOf: newline)
        if buffer.count >= 65536 || lineBuffered { try flush() }
    }

    public func flush() throws {
        if inMemory { return }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                buffer.removeAll(keepingCapacity: true)
                failed = true
                throw BrokenPipe()
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        try? flush()
        if let p = process {
            pclose(p)
            process = nil
        } else if ownsDescriptor {
            Glibc.close(fd)
        }
    }
}
