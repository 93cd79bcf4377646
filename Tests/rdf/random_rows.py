#!/usr/bin/env python3
"""Runs many SPARQL queries with pyoxigraph over one N-Triples file (argv[1]) for the random
query test (Tests/KBQTests/Reference). Reads a JSON list of query strings on stdin, writes a
JSON list of results: {"rows": [[cell, ...], ...]} or {"error": text} or {"timeout": true}.
A cell is null (unbound), ["s", text] or ["n", text] (a number, by its lexical form);
entity IRIs are shown as kbq ids, statement reifiers by their kbq:name, propositions as
"PROP", unknown/none by name. Each query runs in a forked child, so a slow one is killed
after argv[2] seconds (default 10) without reloading the store."""
import json, os, select, sys, time
import pyoxigraph as o

store = o.Store()
store.load(path=sys.argv[1], format=o.RdfFormat.N_TRIPLES)
timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
names = {q.subject.value: q.object.value for q in store.quads_for_pattern(None, o.NamedNode("urn:kbq:id"), None)}
statement_names = {q.subject.value: q.object.value for q in store.quads_for_pattern(None, o.NamedNode("urn:kbq:name"), None)}
NUMERIC = ("#integer", "#decimal", "#double", "#float", "#int", "#long")


def show(t):
    if t is None:
        return None
    if isinstance(t, o.NamedNode):
        v = t.value
        if v.startswith("urn:kbq:prop:"):
            return ["s", "PROP"]
        if v in ("urn:kbq:unknown", "urn:kbq:none"):
            return ["s", v[8:]]
        if v in names:
            return ["s", names[v]]
        if v.startswith("urn:kbq:s:"):
            return ["s", statement_names.get(v, "#" + v[10:])]
        for p in ("urn:kbq:e:", "urn:kbq:p:", "urn:kbq:t:"):
            if v.startswith(p):
                return ["s", v[len(p):]]
        return ["s", v]
    if isinstance(t, o.Literal):
        dt = t.datatype.value if t.datatype else ""
        if dt.endswith(NUMERIC):
            return ["n", t.value]
        return ["s", t.value]
    return ["s", str(t)]


def run(query):
    result = store.query(query)
    return {"rows": [[show(s[v]) for v in result.variables] for s in result]}


out = []
for query in json.load(sys.stdin):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            data = run(query)
        except Exception as e:  # a query error is an answer too
            data = {"error": str(e)}
        with os.fdopen(w, "w") as f:
            json.dump(data, f)
        os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.time() + timeout
    timed_out = False
    with os.fdopen(r, "r") as f:
        while True:
            left = deadline - time.time()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([f], [], [], left)
            if not ready:
                continue
            chunk = f.read()
            if chunk == "":
                break
            chunks.append(chunk)
    if timed_out:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        out.append({"timeout": True})
        continue
    os.waitpid(pid, 0)
    text = "".join(chunks)
    out.append(json.loads(text) if text else {"error": "no answer"})
json.dump(out, sys.stdout)
