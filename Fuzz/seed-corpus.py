#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/{query,kb,ntriples,turtle,csv}/ from the project's own tests and
data and /work/shared/testdata (../shared/testdata beside the project), plus the crash
reproducers of the hardening issue. Run again to refresh: files are named after where
they come from, so a rerun rewrites the same names. The committed corpus stays small
(under 2 MB): N-Triples files over 48 KB are cut to their first 200 lines."""
import hashlib, os, re, sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
SHARED = os.environ.get("KBQ_TESTDATA", os.path.join(os.path.dirname(ROOT), "shared", "testdata"))
CONTINUATION = ("where", "order", "group", "limit", "offset", "and", "or", "as",
                ",", "|", "/", "{", "}", "]", ")", "=", ":")

seen = {}

def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    if not data.strip():
        return
    digest = hashlib.sha1(data).hexdigest()
    if (target, digest) in seen:
        return
    seen[(target, digest)] = name
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def statements(script):
    """A script's statements, roughly as StatementSplitter cuts them (dot-commands and
    comments dropped)."""
    out, cur = [], []
    for line in script.split("\n"):
        s = line.strip()
        if not s or s.startswith("--") or s.startswith("#"):
            continue
        if s.startswith("."):
            continue
        starts = s.split()[0].lower() if s[0].isalpha() else s[0]
        incomplete = cur and (cur[-1].rstrip().endswith((",", "(", "[", "{", "where")) )
        if cur and (starts in CONTINUATION or incomplete):
            cur.append(line)
        else:
            if cur:
                out.append("\n".join(cur))
            cur = [line]
    if cur:
        out.append("\n".join(cur))
    return [p.strip() for st in out for p in st.split(";") if p.strip()]

def walk(top, suffixes):
    for d, _, files in sorted(os.walk(top)):
        for f in sorted(files):
            if f.endswith(suffixes):
                yield os.path.join(d, f)

def rel(path, base):
    return os.path.relpath(path, base).replace("/", "-")

# query: golden scripts, kb/queries, grammar examples, the issue's reproducers.
for path in walk(os.path.join(ROOT, "Tests", "golden"), (".test",)):
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    script = text.split("\n----")[0]
    script = "\n".join(l for l in script.split("\n") if not l.startswith(("#kb:", "#args:")))
    for i, st in enumerate(statements(script)):
        put("query", "golden-" + rel(path, os.path.join(ROOT, "Tests", "golden"))[:-5] + "-" + str(i), st)
for path in walk(os.path.join(ROOT, "kb", "queries"), (".kbq",)):
    for i, st in enumerate(statements(open(path, encoding="utf-8").read())):
        put("query", "kbq-" + os.path.basename(path)[:-4] + "-" + str(i), st)
for i, m in enumerate(re.findall(r"\(\* example: (.*?) \*\)", open(os.path.join(ROOT, "grammar", "query.ebnf"), encoding="utf-8").read())):
    put("query", "grammar-example-" + str(i), m)
issue = {
    "issue-invalid-utf8": b"\xff\xfe",
    "issue-limit-offset-overflow": b"find ?x where ?x is_a Person order by ?x limit 9223372036854775807 offset 1",
    "issue-count-limit-offset-overflow": b"find count(*) where ?x is_a Person limit 9223372036854775807 offset 1",
    "issue-deep-star-path": b"find ?x where ?x part_of" + b"*" * 10000 + b" ?y",
    "issue-catastrophic-regex": b'find ?x where ?x is_a Person, ?x.label matches "^(.+)+!$"',
}
for name, data in issue.items():
    put("query", name, data)

# kb: the bundled knowledge base, the fixtures, the grammar's examples.
for path in sorted(walk(os.path.join(ROOT, "kb"), (".kb",))) + sorted(walk(os.path.join(ROOT, "Tests", "fixtures"), (".kb",))):
    put("kb", rel(path, ROOT), open(path, "rb").read())
examples = re.findall(r"\(\* example-kb: (.*?) \*\)", open(os.path.join(ROOT, "grammar", "kb.ebnf"), encoding="utf-8").read())
put("kb", "grammar-examples", "\n".join(examples) + "\n")
put("kb", "issue-invalid-utf8", b"\xff\xfe")

# ntriples: the fixtures, the W3C and serd suites, LUBM (cut).
sources = [os.path.join(ROOT, "Tests", "fixtures"), os.path.join(ROOT, "Tests", "rdf")]
sources += [os.path.join(SHARED, p) for p in ("w3c-rdf-tests", "serd", "lubm")]
for top in sources:
    if not os.path.isdir(top):
        print("seed-corpus: missing " + top, file=sys.stderr)
        continue
    for path in walk(top, (".nt", ".ntriples")):
        data = open(path, "rb").read()
        if len(data) > 48 * 1024:
            data = b"\n".join(data.split(b"\n")[:200]) + b"\n"
        put("ntriples", rel(path, os.path.dirname(top)), data)
put("ntriples", "issue-invalid-utf8", b"\xff\xfe")

# turtle: the W3C Turtle suites (1.1 and 1.2) and the fixtures.
for top in [os.path.join(ROOT, "Tests", "fixtures"), os.path.join(SHARED, "w3c-rdf-tests")]:
    for path in walk(top, (".ttl",)):
        if os.path.basename(path) == "manifest.ttl":
            continue
        put("turtle", rel(path, os.path.dirname(top)), open(path, "rb").read()[:48 * 1024])
put("turtle", "issue-invalid-utf8", b"\xff\xfe")

# csv: the README's sheets and the tests' bad ones.
for path in walk(os.path.join(ROOT, "examples"), (".csv", ".tsv")):
    put("csv", rel(path, ROOT), open(path, "rb").read())
tests = open(os.path.join(ROOT, "Tests", "KBQTests", "CSVImportTests.swift"), encoding="utf-8").read()
for k, sheet in enumerate(re.findall(r'\(\"((?:subject|id|name)[^"\\]*(?:\\.[^"\\]*)*)\", \"', tests)):
    put("csv", "bad-%02d" % k, sheet.encode().decode("unicode_escape").replace('\\"', '"').encode())
put("csv", "issue-invalid-utf8", b"\xff\xfe")

total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(FUZZ, "corpus")) for f in fs)
for t in ("query", "kb", "ntriples", "turtle", "csv"):
    print(t, len(os.listdir(os.path.join(FUZZ, "corpus", t))), "files")
print("total", total, "bytes")
