import KBQ

/// The command line: `kbq [OPTIONS] [FILE...]`.
struct Arguments {
    enum Action {
        case query(String)
        case script(String)  // a path, or "-" for standard input
        case export
    }

    var kbFiles: [String] = []
    var actions: [Action] = []
    var format: OutputMode? = nil
    var headers = true
    var keepGoing = false
    var timeLimit: Double? = nil
    var maxFileSize: Int? = nil
    var memoryLimit: Int? = nil
    var emptyKB = false
    var toSPARQL = false
    var help = false
    var version = false

    struct UsageError: Error { var message: String }

    static let usage = """
        usage: kbq [OPTIONS] [FILE...]

        Opens a query shell over a knowledge base. With no FILE, the bundled case (kb/main.kb).
        FILE ending in .kbq (or starting with a #! line naming kbq) is a script to run;
        '-' runs the script on standard input; any other FILE is a knowledge base to load
        (.nt and .ntriples: RDF N-Triples 1.1 or 1.2).

          -e QUERY             run QUERY (repeatable, in order), then exit
          -f SCRIPT            run SCRIPT, then exit
          --format MODE        table, tsv, csv, json or jsonl (default: table on a terminal, else tsv)
          --no-header          leave out the heading line
          --keep-going         run the rest of a script after an error (exit status 1 at the end)
          --bail               stop at the first error (the default)
          --timeout SECONDS    stop any query that runs longer
          --max-file-size SIZE largest file or standard input to read (default 16G; K, M, G, T)
          --memory-limit SIZE  stop a query whose process grows past SIZE (default 3/4 of RAM)
          --empty              start without the bundled knowledge base
          --export nt          write the knowledge base as RDF 1.2 N-Triples to stdout
          --to-sparql          print each query as SPARQL (for the export) instead of running it
          -h, --help           show this help
          --version            show the version

        Exit status: 0 success, 1 a query or knowledge-base error, 2 usage or I/O error,
        130 interrupted.

        """

    static func parse(_ arguments: [String]) throws(UsageError) -> Arguments {
        var a = Arguments()
        // `--format=csv` is `--format csv`, as GNU tools take it.
        var args: [String] = []
        var literal = false
        for arg in arguments {
            if !literal, arg.hasPrefix("--"), let eq = arg.firstIndex(of: "="), arg != "--" {
                args.append(String(arg[..<eq]))
                args.append(String(arg[arg.index(after: eq)...]))
            } else {
                if arg == "--" { literal = true }
                args.append(arg)
            }
        }
        var i = 0
        func value(_ flag: String) throws(UsageError) -> String {
            i += 1
            guard i < args.count else { throw UsageError(message: "\(flag) needs a value") }
            return args[i]
        }
        var onlyFiles = false
        while i < args.count {
            let arg = args[i]
            if onlyFiles || arg == "-" || !arg.hasPrefix("-") {
                if arg == "-" || arg.hasSuffix(".kbq") || Arguments.hasKbqShebang(arg) {
                    a.actions.append(.script(arg))
                } else {
                    a.kbFiles.append(arg)
                }
                i += 1
                continue
            }
            switch arg {
            case "--": onlyFiles = true
            case "-e", "--eval": a.actions.append(.query(try value(arg)))
            case "-f", "--file": a.actions.append(.script(try value(arg)))
            case "--format", "-m", "--mode":
                let m = try value(arg)
                guard let mode = OutputMode(rawValue: m) else {
                    let names = OutputMode.allCases.map(\.rawValue)
                    throw UsageError(message: "unknown format '\(m)'\(Suggest.hint(m, names)); use one of \(names.joined(separator: ", "))")
                }
                a.format = mode
            case "--no-header", "--noheader": a.headers = false
            case "--header": a.headers = true
            case "--keep-going": a.keepGoing = true
            case "--bail": a.keepGoing = false
            case "--timeout":
                let v = try value(arg)
                guard let s = Limits.seconds(v) else { throw UsageError(message: "--timeout takes a number of seconds above zero, not '\(v)'") }
                a.timeLimit = s
            case "--max-file-size":
                let v = try value(arg)
                guard let size = FileSystem.parseSize(v) else { throw UsageError(message: "--max-file-size takes a size in bytes (or with K, M, G, T), not '\(v)'") }
                a.maxFileSize = size
            case "--memory-limit":
                let v = try value(arg)
                guard let size = FileSystem.parseSize(v) else { throw UsageError(message: "--memory-limit takes a size in bytes (or with K, M, G, T), not '\(v)'") }
                a.memoryLimit = size
            case "--empty": a.emptyKB = true
            case "--to-sparql": a.toSPARQL = true
            case "--export":
                let f = try value(arg)
                guard f == "nt" else { throw UsageError(message: "--export takes 'nt' (RDF 1.2 N-Triples), not '\(f)'") }
                a.actions.append(.export)
            case "-h", "--help": a.help = true
            case "--version": a.version = true
            default:
                let flags = ["-e", "-f", "--format", "--no-header", "--keep-going", "--bail", "--timeout", "--max-file-size", "--memory-limit", "--empty", "--export", "--to-sparql", "--help", "--version"]
                throw UsageError(message: "unknown option '\(arg)'\(Suggest.hint(arg, flags))")
            }
            i += 1
        }
        return a
    }

    /// A script named without `.kbq`, recognised by its first line (`#!/usr/bin/env kbq`).
    static func hasKbqShebang(_ path: String) -> Bool {
        guard !path.hasSuffix(".kb"), !Loader.isNTriples(path), let bytes = try? FileSystem.read(path, upTo: 256),
            bytes.starts(with: Array("#!".utf8))
        else { return false }
        let first = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        return first.contains("kbq")
    }
}
