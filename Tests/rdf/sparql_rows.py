#!/usr/bin/env python3
"""Runs a SPARQL query (stdin) with pyoxigraph over an N-Triples file (argv[1]) and prints
the rows as kbq prints TSV: entity IRIs as kbq ids, literals by their text, unbound as
empty, propositions as PROP. The differential tests compare this with kbq's own answer."""
import sys, pyoxigraph as o

store = o.Store()
store.load(path=sys.argv[1], format=o.RdfFormat.N_TRIPLES)
# kbq's names for IRIs that are not its own, and statement names.
names = {q.subject.value: q.object.value for q in store.quads_for_pattern(None, o.NamedNode("urn:kbq:id"), None)}
statement_names = {q.subject.value: q.object.value for q in store.quads_for_pattern(None, o.NamedNode("urn:kbq:name"), None)}

def show(t):
    if t is None:
        return ""
    if isinstance(t, o.NamedNode):
        v = t.value
        if v.startswith("urn:kbq:prop:"):
            return "PROP"
        if v in ("urn:kbq:unknown", "urn:kbq:none"):
            return v[8:]
        if v in names:
            return names[v]
        if v.startswith("urn:kbq:s:"):
            return statement_names.get(v, "#" + str(int(v[10:]) + 1))
        for p in ("urn:kbq:e:", "urn:kbq:p:", "urn:kbq:t:"):
            if v.startswith(p):
                return v[len(p):]
        return v
    if isinstance(t, o.Literal):
        dt = t.datatype.value if t.datatype else ""
        # What kbq keeps as a typed literal it shows as one: "v"^^<datatype>, "v"@lang.
        quoted = '"' + t.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if t.language:
            return quoted + "@" + t.language
        xsd = "http://www.w3.org/2001/XMLSchema#"
        native = ("string", "integer", "decimal", "double", "float", "date", "gYear", "gYearMonth", "dateTime")
        if dt and not (dt.startswith(xsd) and dt[len(xsd):] in native) and not dt.endswith("#langString"):
            return quoted + "^^<" + dt + ">"
        if dt.endswith("#decimal") or dt.endswith("#double") or dt.endswith("#float"):
            x = round(float(t.value), 3)
            s = repr(x)
            return s[:-2] if s.endswith(".0") else s
        return t.value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return str(t)

result = store.query(sys.stdin.read())
for solution in result:
    print("\t".join(show(solution[v]) for v in result.variables))
