#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Graphviz's `dot`, run to turn DOT into SVG. It is not needed for anything else: DOT is
/// written without it, and the timeline's SVG is kbq's own.
enum Graphviz {
    struct Failure: Error {
        let message: String
    }

    static let missing = "Graphviz's dot is not installed: install it (Debian, Ubuntu: apt-get install graphviz; macOS: brew install graphviz), or write DOT (a .dot file) and lay it out elsewhere"

    /// The `dot` on the PATH, or nil.
    static func executable() -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/dot"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// The SVG of a DOT graph. The graph goes in and the SVG comes out through temporary
    /// files (no pipe to fill while the other end waits), and dot's own complaint is the
    /// error when it fails.
    static func svg(_ dot: String) throws(Failure) -> String {
        guard let exe = executable() else { throw Failure(message: missing) }
        let tmp = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        func temporary(_ suffix: String) -> String? {
            var template = Array("\(tmp)/kbq-graph-XXXXXX\(suffix)".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
            guard fd >= 0 else { return nil }
            close(fd)
            return String(cString: template.map { UInt8(bitPattern: $0) })
        }
        guard let input = temporary(".dot"), let output = temporary(".svg"), let errors = temporary(".err") else {
            throw Failure(message: "cannot make a temporary file for Graphviz: \(FileSystem.errorText())")
        }
        defer { for f in [input, output, errors] { unlink(f) } }
        guard let out = try? TextOutput.open(input), (try? out.write(dot)) != nil, (try? out.flush()) != nil else {
            throw Failure(message: "cannot write the graph for Graphviz: \(FileSystem.errorText())")
        }
        out.close()
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_TRUNC, 0o600)
        let args = [exe, "-Tsvg", "-o", output, input]
        var argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        guard posix_spawn(&pid, exe, &actions, nil, &argv, environ) == 0 else {
            throw Failure(message: "cannot run \(exe): \(FileSystem.errorText())")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7F == 0
        guard exited && (status >> 8) & 0xFF == 0 else {
            let said = (try? FileSystem.read(errors)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let firstLine = said.split(separator: "\n").first.map(String.init) ?? "no message"
            throw Failure(message: "Graphviz could not lay out the graph: \(firstLine)")
        }
        do throws(FileSystem.IOError) {
            return String(decoding: try FileSystem.read(output), as: UTF8.self)
        } catch {
            throw Failure(message: "cannot read Graphviz's SVG: \(error.message)")
        }
    }

    /// An SVG document without its XML declaration and doctype, to sit inside HTML.
    static func inline(_ svg: String) -> String {
        guard let start = svg.firstRange(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }
}
