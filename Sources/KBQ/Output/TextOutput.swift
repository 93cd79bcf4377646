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
    var buffer: [UInt8] = []
    /// Flush after every line (a terminal) or only when the buffer fills (a pipe or file).
    public var lineBuffered: Bool
    public private(set) var failed = false

    public init(fd: Int32, ownsDescriptor: Bool = false, lineBuffered: Bool? = nil) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.lineBuffered = lineBuffered ?? (isatty(fd) == 1)
        buffer.reserveCapacity(65536)
    }

    /// Opens (truncating) a file for `.output FILE`.
    public static func file(_ path: String) throws(FileSystem.IOError) -> TextOutput {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.IOError(message: "cannot write '\(path)': \(FileSystem.errorText())") }
        return TextOutput(fd: fd, ownsDescriptor: true, lineBuffered: false)
    }

    public var isTerminal: Bool { isatty(fd) == 1 }

    public func write(_ s: String) throws {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 65536 || (lineBuffered && s.utf8.last == 0x0A) { try flush() }
    }

    public func flush() throws {
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
        if ownsDescriptor { Glibc.close(fd) }
    }
}
