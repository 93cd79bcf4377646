import KBQ

/// The command line: `kbq [OPTIONS] [FILE...]`.
struct Arguments {
    enum Action {
        case query(String)
        case script(String)  // a path, or "-" for standard input
        case export(ExportFormat)
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
    var parameters: [String: String] = [:]
    var safe = false
    var rcFile: String? = nil
    var noRC = false
    var noCache = false
    var compile = false
    var output: String? = nil
    var verify = false
    var toSPARQL = false
    var help = false
    var version = false

    struct UsageError: Error { var message: String }

    static var usage: String { Options.usage }

    /// When to colour: `--color=auto|always|never`.
    enum ColorChoice: String { case auto, always, never }
    var color = ColorChoice.auto

    static func parse(_ arguments: [String]) throws(UsageError) -> Arguments {
        var a = Arguments()
        // `--format=csv` and `-e=QUERY` are `--format csv` and `-e QUERY`, as getopt_long
        // takes them; a value given after `=` is taken as it is, even if it starts with `-`.
        var args: [(text: String, attached: Bool)] = []
        var literal = false
        for arg in arguments {
            if !literal, arg.hasPrefix("-"), arg != "-", arg != "--", let eq = arg.firstIndex(of: "="),
                Options.spec(String(arg[..<eq]))?.value != nil
            {
                args.append((String(arg[..<eq]), false))
                args.append((String(arg[arg.index(after: eq)...]), true))
            } else {
                if arg == "--" { literal = true }
                args.append((arg, false))
            }
        }
        var i = 0
        func value(_ flag: String) throws(UsageError) -> String {
            i += 1
            guard i < args.count else { throw UsageError(message: "missing value for '\(flag)'") }
            let v = args[i]
            // `-e --format csv` forgot the query: the next option is not taken for it.
            if !v.attached, v.text.count > 1, v.text.hasPrefix("-"), Options.spec(v.text) != nil || v.text.hasPrefix("--") {
                throw UsageError(message: "missing value for '\(flag)' (found the option '\(v.text)'; a value that starts with '-' is written \(flag)=VALUE)")
            }
            return v.text
        }
        func size(_ flag: String) throws(UsageError) -> Int {
            let v = try value(flag)
            guard let size = FileSystem.parseSize(v) else { throw UsageError(message: "\(flag) takes a size in bytes (or with K, M, G, T), not '\(v)'") }
            return size
        }
        var onlyFiles = false
        while i < args.count {
            let arg = args[i].text
            if onlyFiles || arg == "-" || !arg.hasPrefix("-") {
                if arg == "-" || arg.hasSuffix(".kbq") || Arguments.hasKbqShebang(arg) {
                    a.actions.append(.script(arg))
                } else {
                    a.kbFiles.append(arg)
                }
                i += 1
                continue
            }
            guard let spec = Options.spec(arg) else {
                if arg == "--" { onlyFiles = true; i += 1; continue }
                let name = arg.split(separator: "=", maxSplits: 1).first.map(String.init) ?? arg
                throw UsageError(message: "unknown option '\(name)'\(Suggest.hint(name, Options.allNames))")
            }
            switch spec.long {
            case "--eval": a.actions.append(.query(try value(arg)))
            case "--file": a.actions.append(.script(try value(arg)))
            case "--format":
                let m = try value(arg)
                guard let mode = OutputMode(rawValue: m) else {
                    let names = OutputMode.allCases.map(\.rawValue)
                    throw UsageError(message: "unknown format '\(m)'\(Suggest.hint(m, names)); use one of \(names.joined(separator: ", "))")
                }
                a.format = mode
            case "--no-header": a.headers = false
            case "--header": a.headers = true
            case "--keep-going": a.keepGoing = true
            case "--bail": a.keepGoing = false
            case "--timeout":
                let v = try value(arg)
                guard let s = Limits.seconds(v) else { throw UsageError(message: "--timeout takes a number of seconds above zero, not '\(v)'") }
                a.timeLimit = s
            case "--max-file-size": a.maxFileSize = try size(arg)
            case "--memory-limit": a.memoryLimit = try size(arg)
            case "--color":
                let v = try value(arg)
                guard let c = ColorChoice(rawValue: v) else { throw UsageError(message: "--color takes auto, always or never, not '\(v)'") }
                a.color = c
            case "--empty": a.emptyKB = true
            case "--param":
                let v = try value(arg)
                guard let eq = v.firstIndex(of: "="), Session.isParameterName(String(v[..<eq])) else {
                    throw UsageError(message: "\(arg) takes NAME=VALUE (a name of letters, digits and _), not '\(v)'")
                }
                a.parameters[String(v[..<eq])] = String(v[v.index(after: eq)...])
            case "--safe": a.safe = true
            case "--rc": a.rcFile = try value(arg)
            case "--no-rc": a.noRC = true
            case "--no-cache": a.noCache = true
            case "--compile": a.compile = true
            case "--output": a.output = try value(arg)
            case "--verify": a.verify = true
            case "--to-sparql": a.toSPARQL = true
            case "--export":
                let f = try value(arg)
                guard let format = ExportFormat(rawValue: f) else {
                    throw UsageError(message: "--export takes 'nt' (RDF 1.2 N-Triples), 'nt11' (RDF 1.1 N-Triples), 'ttl' (Turtle 1.2) or 'kb' (kbq text), not '\(f)'")
                }
                a.actions.append(.export(format))
            case "--help": a.help = true
            case "--version": a.version = true
            default: throw UsageError(message: "option '\(arg)' is not handled")  // a row of the table without a case
            }
            i += 1
        }
        if a.output != nil && !a.compile { throw UsageError(message: "-o names the image --compile writes; add --compile") }
        if a.compile && !a.actions.isEmpty { throw UsageError(message: "--compile writes an image and runs nothing: leave out the queries and scripts") }
        return a
    }

    /// A script named without `.kbq`, recognised by its first line (`#!/usr/bin/env kbq`).
    static func hasKbqShebang(_ path: String) -> Bool {
        guard !Loader.isKnowledgeBase(path), let bytes = try? FileSystem.read(path, upTo: 256),
            bytes.starts(with: Array("#!".utf8))
        else { return false }
        let first = String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self)
        return first.contains("kbq")
    }
}
