#!/usr/bin/env python3
"""Rules against DuckDB's recursive CTEs: each shape's rules defined and its query asked in a
fresh kbq process (the fixpoint computed anew, as DuckDB computes its CTE anew each time),
against DuckDB's CLI on the same data; answers compared row by row.

    python3 bench/rules.py KBQ_BIN [bench/rules.json] [--size 1M] [--work DIR] [--runs 5]

Run `make bench-variants` (or ../shared/bench/variants.py) once first: it makes the data, its
kbq form, the DuckDB CLI and its database file under --work. kbq's time is its `.timer` for
the query (the rules' relations are computed then, on first use), the median over fresh
processes; DuckDB's the median of warm runs in one process. Shapes: a JSON list of {"name",
"rules", "kbq", "sql"}, constants as in variants.py ({e_q1_entity}, {q1_entity}, {p_knows})."""
import argparse, json, os, re, statistics, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("kbq")
ap.add_argument("shapes", nargs="?", default=os.path.join(here, "rules.json"))
ap.add_argument("--size", default="1M")
ap.add_argument("--work", default=os.environ.get("BENCH_WORK", os.path.join(os.getcwd(), "bench-work")))
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()
data = os.path.join(a.work, "data", a.size)
kb = os.path.join(data, "kbq", "kb.kb")
duck = os.path.join(a.work, "duckdb-cli", "duckdb")
db = os.path.join(a.work, f"variants-{a.size}.duckdb")
for need in (kb, duck, db):
    if not os.path.exists(need):
        sys.exit(f"missing {need}: run make bench-variants first")

params = json.load(open(os.path.join(data, "params.json")))
preds = {name: int(i) for i, name in (l.rstrip("\n").split(",", 1)
         for l in open(os.path.join(data, "predicates.csv")).readlines()[1:])}
class Consts(dict):
    def __missing__(self, key):
        if key.startswith("e_"): return "e%08d" % params[key[2:]]
        if key.startswith("p_"): return str(preds[key[2:]])
        return str(params[key])
def fill(s): return s.format_map(Consts())

def rows(out):
    return [tuple(re.sub(r"^e0*(\d)", r"\1", f.strip()) for f in line.split("\t")) for line in out.splitlines()]

worst = None
differ = []
for shape in json.load(open(a.shapes)):
    rules = [fill(r) for r in shape["rules"]]
    query, sql = fill(shape["kbq"]), fill(shape["sql"])
    args = [a.kbq, kb, "--format", "tsv", "--no-header"] + [x for r in rules for x in ("-e", r)]
    times, answer = [], None
    for _ in range(a.runs):
        r = subprocess.run(args + ["-e", ".timer on", "-e", query], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit(f"{shape['name']}: kbq failed: {r.stderr.strip()[-400:]}")
        times.append(float(re.findall(r"Run Time: ([0-9.]+) ms", r.stderr)[-1]))
        answer = r.stdout
    script = ".timer on\n" + (sql + ";\n") * (a.runs + 1)
    d = subprocess.run([duck, "-readonly", db], input=script, capture_output=True, text=True, timeout=600)
    dt = [float(x) * 1000 for x in re.findall(r"Run Time \(s\): real ([0-9.]+)", d.stdout)][1:]
    da = subprocess.run([duck, "-readonly", db, "-noheader", "-list", "-separator", "\t", "-c", sql],
                        capture_output=True, text=True, timeout=600).stdout
    k, dd = statistics.median(times), statistics.median(dt)
    same = rows(answer) == rows(da)
    if not same: differ.append(shape["name"].split()[0])
    ratio = dd / k if k > 0 else float("inf")
    worst = ratio if worst is None else min(worst, ratio)
    print(f"{shape['name'][:58]:58s} kbq {k:9.3f} ms  duckdb {dd:8.3f} ms  duckdb/kbq {ratio:6.2f}x  "
          f"answers {'same' if same else 'DIFFER'}")
print(f"{os.path.basename(a.shapes)} at {a.size}: smallest duckdb/kbq ratio {worst:.2f}x; answers differ in {differ or 'none'}")
sys.exit(1 if differ else 0)
