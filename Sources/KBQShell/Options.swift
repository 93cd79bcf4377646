import KBQ

/// The command line's options, in one table: the parser, `--help`, the man page and the
/// shell completions are all made from it, so that they cannot drift apart (a test compares
/// the committed man page and completions with what this table makes).
struct OptionSpec {
    /// `--format`; `names` holds every spelling, the first the one documented.
    let names: [String]
    /// The value's name (`MODE`), or nil for a flag.
    let value: String?
    /// What a value may be, for completion (empty: any).
    let choices: [String]
    /// The value is a file name (completion offers files).
    let takesFile: Bool
    let help: String

    init(_ names: [String], value: String? = nil, choices: [String] = [], file: Bool = false, _ help: String) {
        self.names = names
        self.value = value
        self.choices = choices
        self.takesFile = file
        self.help = help
    }

    var long: String { names.first { $0.hasPrefix("--") } ?? names[0] }
    var short: String? { names.first { !$0.hasPrefix("--") } }
}

enum Options {
    /// The version `--version`, the man page and CHANGELOG.md share.
    static let version = "0.2.0"

    static let all: [OptionSpec] = [
        OptionSpec(["-e", "--eval"], value: "QUERY", "run QUERY (repeatable, in order), then exit"),
        OptionSpec(["-f", "--file"], value: "SCRIPT", file: true, "run SCRIPT, then exit"),
        OptionSpec(["-p", "--param"], value: "NAME=VALUE", "set the query parameter $NAME (repeatable), typed as a literal"),
        OptionSpec(["--format", "-m", "--mode"], value: "MODE", choices: OutputMode.allCases.map(\.rawValue), "table, box, line, markdown, tsv, csv, json, jsonl, or dot or svg for a claim graph (default: table on a terminal, else tsv)"),
        OptionSpec(["--no-header", "--noheader"], "leave out the heading line"),
        OptionSpec(["--header"], "print the heading line (the default)"),
        OptionSpec(["--keep-going"], "run the rest of a script after an error (exit status 1 at the end)"),
        OptionSpec(["--bail"], "stop at the first error (the default)"),
        OptionSpec(["--timeout"], value: "SECONDS", "stop any query that runs longer"),
        OptionSpec(["--memory-limit"], value: "SIZE", "stop a query when kbq grows past SIZE (K, M, G; default 3/4 of RAM)"),
        OptionSpec(["--max-file-size"], value: "SIZE", "the largest file or standard input to read (default 16G)"),
        OptionSpec(["--color"], value: "WHEN", choices: ["auto", "always", "never"], "colour in tables and messages: auto (a terminal, NO_COLOR unset), always or never"),
        OptionSpec(["--empty"], "start without the bundled knowledge base"),
        OptionSpec(["--safe"], "for scripts from others: no commands, no files written, nothing read outside the knowledge base's folder"),
        OptionSpec(["--rc"], value: "FILE", file: true, "run FILE before anything else (the REPL runs $XDG_CONFIG_HOME/kbq/kbqrc by itself)"),
        OptionSpec(["--no-rc"], "do not run the start-up file"),
        OptionSpec(["--no-cache"], "load the knowledge base from its text; neither use nor write a cached image"),
        OptionSpec(["--compile"], "write the knowledge base's image (to the cache, or to the -o file), then exit"),
        OptionSpec(["-o", "--output"], value: "IMAGE", file: true, "with --compile: the image file to write (.kbqi)"),
        OptionSpec(["--verify"], "check every section's checksum when opening an image"),
        OptionSpec(["--export"], value: "FORMAT", choices: ["nt", "nt11", "ttl", "kb"], "write the knowledge base to stdout as RDF 1.2 N-Triples (nt), RDF 1.1 N-Triples (nt11), Turtle 1.2 (ttl) or .kb text (kb)"),
        OptionSpec(["--to-sparql"], "print each query as SPARQL (for the export) instead of running it"),
        OptionSpec(["-h", "--help"], "show this help"),
        OptionSpec(["-V", "--version"], "show the version"),
    ]

    static func spec(_ name: String) -> OptionSpec? { all.first { $0.names.contains(name) } }

    static var allNames: [String] { all.flatMap(\.names) }

    // MARK: help

    static var usage: String {
        var text = """
            usage: kbq [OPTIONS] [FILE...]

            Opens a query shell over a knowledge base. With no FILE, the bundled case (kb/main.kb).
            FILE ending in .kbq (or starting with a #! line naming kbq) is a script to run;
            '-' runs the script on standard input; any other FILE is a knowledge base to load
            (.nt and .ntriples: RDF N-Triples 1.1 or 1.2).


            """
        for o in all {
            var left = ([o.short].compactMap { $0 } + [o.long]).joined(separator: ", ")
            if o.short == nil { left = "    " + left }
            if let v = o.value { left += " " + v }
            text += "  " + left + String(repeating: " ", count: max(1, 26 - left.count)) + o.help + "\n"
        }
        text += """

            A value may follow its option as the next argument or after '=' (--format=csv).
            Exit status: 0 success, 1 a query or knowledge-base error, 2 usage or I/O error,
            130 interrupted.

            """
        return text
    }

    // MARK: man page

    static func roff(_ s: String) -> String {
        s.replacing("\\", with: "\\e").replacing("-", with: "\\-")
    }

    static var manPage: String {
        var m = """
            .TH KBQ 1 "" "kbq \(version)" "User Commands"
            .SH NAME
            kbq \\- a query shell for a knowledge base of entities, statements and who says so
            .SH SYNOPSIS
            .B kbq
            [\\fIOPTIONS\\fR] [\\fIFILE\\fR...]
            .SH DESCRIPTION
            .B kbq
            opens an interactive shell (line editing, history, completion) over a knowledge base of
            entities and statements, runs saved query scripts, and writes answers for pipes
            (TSV, CSV, JSON). Statements carry their provenance (document, paragraph, quote);
            propositions in brackets are claims that are not facts.
            .PP
            With no \\fIFILE\\fR, the bundled case is loaded. A \\fIFILE\\fR ending in \\fB.kbq\\fR (or
            whose first line is a \\fB#!\\fR line naming kbq) is a script; \\fB\\-\\fR runs the script on
            standard input; any other \\fIFILE\\fR is a knowledge base (\\fB.kb\\fR text, RDF
            N\\-Triples in \\fB.nt\\fR, Turtle in \\fB.ttl\\fR, a spreadsheet in \\fB.csv\\fR or \\fB.tsv\\fR,
            or an image in \\fB.kbqi\\fR).
            .SH OPTIONS

            """
        for o in all {
            let names = ([o.short].compactMap { $0 } + [o.long]).map { "\\fB" + roff($0) + "\\fR" }.joined(separator: ", ")
            m += ".TP\n" + names + (o.value.map { " \\fI" + $0 + "\\fR" } ?? "") + "\n" + roff(o.help) + "\n"
        }
        m += """
            .PP
            A value may follow its option as the next argument or after \\fB=\\fR
            (\\fB\\-\\-format=csv\\fR). A query that starts with \\fB\\-\\fR is given as \\fB\\-e=\\fR\\fIQUERY\\fR.
            .SH THE LANGUAGE IN BRIEF
            .nf
            find ?who, ?s.source, ?s.para
              where ?who says [?gov used Pegasus] as ?s, ?gov is_a Government
              order by ?who
            .fi
            .PP
            Patterns \\fIsubject predicate object\\fR \\fB{\\fR\\fIkey\\fR\\fB:\\fR \\fIvalue\\fR\\fB}\\fR
            \\fBas\\fR \\fI?s\\fR; propositions \\fB[\\fR...\\fB]\\fR; \\fB,\\fR or \\fBand\\fR, \\fBor\\fR,
            \\fBnot\\fR, \\fBoptional (\\fR...\\fB)\\fR; filters \\fB= != < <= > >= contains matches in\\fR;
            paths \\fBp* p+ ^p p/q p|q\\fR; aggregates \\fBcount sum min max avg\\fR with \\fBgroup by\\fR;
            \\fBorder by\\fR, \\fBlimit\\fR, \\fBoffset\\fR; rules (\\fBrule\\fR \\fIname\\fR\\fB(\\fR...\\fB) :=\\fR ...);
            \\fBwhy\\fR \\fIN\\fR explains row \\fIN\\fR down to document, paragraph and quote.
            .PP
            \\fB.graph\\fR [\\fINAME\\fR] [\\fBdepth\\fR \\fIN\\fR] draws the claim network as Graphviz DOT
            (SVG for a \\fB.svg\\fR file or \\fB\\-\\-format svg\\fR, through Graphviz's \\fBdot\\fR);
            \\fB.timeline\\fR [\\fINAME\\fR] lists the dated statements in date order (SVG for a \\fB.svg\\fR file);
            \\fB.report\\fR \\fINAME\\fR writes a dossier in sentences with footnotes to the sources
            (Markdown, or HTML for a \\fB.html\\fR file). Each writes to a file after \\fB>\\fR.
            .PP
            The grammar and the meaning of every construct are in the source's \\fBgrammar/\\fR folder.
            .SH FILES
            .TP
            \\fI$XDG_STATE_HOME/kbq/history\\fR (default \\fI~/.local/state/kbq/history\\fR)
            the REPL's history, saved after each statement by a rename.
            .TP
            \\fIPREFIX/share/kbq/kb/main.kb\\fR
            the bundled case, found beside the installed program.
            .SH ENVIRONMENT
            .TP
            .B KBQ_KB
            the knowledge base to open when no \\fIFILE\\fR is named, instead of the bundled one.
            .TP
            .B NO_COLOR
            when set and not empty, no colour (as \\fB\\-\\-color=never\\fR).
            .TP
            .B XDG_STATE_HOME
            where the history is kept.
            .TP
            .B TERM
            \\fBdumb\\fR turns colour off.
            .SH EXIT STATUS
            0 success (a closed output included), 1 a query or knowledge\\-base error, 2 a usage or
            I/O error, 130 interrupted by Ctrl\\-C.
            .SH EXAMPLES
            .nf
            kbq                                   # the REPL on the bundled case
            kbq \\-e 'find ?x where ?x is_a Person' | sort
            kbq case.kb \\-\\-format json \\-e 'find ?who where ?who denies _' | jq .
            kbq case.kb questions.kbq > answers.tsv
            kbq case.kb \\-\\-export nt > case.nt
            .fi
            .SH SEE ALSO
            .BR sqlite3 (1),
            .BR jq (1)

            """
        return m
    }

    // MARK: completions

    static var bashCompletion: String {
        var valueCases = ""
        for o in all where o.value != nil {
            let pattern = o.names.joined(separator: "|")
            if !o.choices.isEmpty {
                valueCases += "        \(pattern)) COMPREPLY=($(compgen -W \"\(o.choices.joined(separator: " "))\" -- \"$cur\")); return ;;\n"
            } else if o.takesFile {
                valueCases += "        \(pattern)) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
            } else {
                valueCases += "        \(pattern)) return ;;\n"
            }
        }
        return """
            # bash completion for kbq \(version) (made from kbq's option table)
            _kbq() {
                local cur prev
                cur="${COMP_WORDS[COMP_CWORD]}"
                prev="${COMP_WORDS[COMP_CWORD-1]}"
                case "$prev" in
            \(valueCases)    esac
                if [[ "$cur" == -* ]]; then
                    COMPREPLY=($(compgen -W "\(allNames.joined(separator: " "))" -- "$cur"))
                else
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
            }
            complete -o filenames -F _kbq kbq

            """
    }

    static var zshCompletion: String {
        var lines: [String] = []
        for o in all {
            let help = o.help.replacing("'", with: "'\\''").replacing("[", with: "\\[").replacing("]", with: "\\]").replacing(":", with: "\\:")
            let action: String
            if o.value == nil { action = "" } else if !o.choices.isEmpty { action = ":\(o.value!.lowercased()):(\(o.choices.joined(separator: " ")))" } else if o.takesFile { action = ":\(o.value!.lowercased()):_files" } else { action = ":\(o.value!.lowercased()):" }
            let names = o.names.count > 1 ? "(\(o.names.joined(separator: " ")))'{\(o.names.joined(separator: ","))}'" : o.names[0]
            lines.append("  '\(names)[\(help)]\(action)'")
        }
        return """
            #compdef kbq
            # zsh completion for kbq \(version) (made from kbq's option table)
            _arguments -s \\
            \(lines.joined(separator: " \\\n")) \\
              '*:file:_files'

            """
    }

    static var fishCompletion: String {
        var text = "# fish completion for kbq \(version) (made from kbq's option table)\n"
        for o in all {
            var line = "complete -c kbq"
            for n in o.names {
                if n.hasPrefix("--") { line += " -l " + n.dropFirst(2) } else { line += " -s " + n.dropFirst(1) }
            }
            if o.value != nil { line += o.takesFile ? " -r -F" : " -x" }
            if !o.choices.isEmpty { line += " -a '\(o.choices.joined(separator: " "))'" }
            line += " -d '" + o.help.replacing("'", with: "\\'") + "'"
            text += line + "\n"
        }
        return text
    }
}
