#!/usr/bin/env python3
"""Two kbq builds against each other on variant shapes, alternating, on one noisy machine.

    python3 bench/ab.py OLD_KBQ NEW_KBQ VARIANTS.json [--data bench-work/data/1M] [--rounds 3]

Each round runs every shape (as variants.py substitutes it) five times in one session of
each build, OLD then NEW; a shape's time in a round is the median of its five runs, and
its figure the smallest over the rounds. Rounds alternate the builds because this
machine's speed drifts by half over minutes: two variants.py runs one after the other
compare the drift, not the builds. Prints NEW/OLD per shape, largest first.
"""
import argparse, json, os, re, statistics, subprocess

ap = argparse.ArgumentParser()
ap.add_argument("old")
ap.add_argument("new")
ap.add_argument("variants")
ap.add_argument("--data", default="bench-work/data/1M")
ap.add_argument("--rounds", type=int, default=3)
a = ap.parse_args()

params = json.load(open(os.path.join(a.data, "params.json")))
consts = {k: v for k, v in params.items() if not isinstance(v, (dict, list))}
preds = {name: int(i) for i, name in (l.rstrip("\n").split(",", 1)
         for l in open(os.path.join(a.data, "predicates.csv")).readlines()[1:])}


class Consts(dict):
    def __missing__(self, key):
        if key.startswith("e_"): return "e%08d" % params[key[2:]]
        if key.startswith("p_"): return str(preds[key[2:]])
        raise KeyError(key)


shapes = [dict(v, kbq=v["kbq"].format_map(Consts(consts))) for v in json.load(open(a.variants))]
kb = os.path.join(a.data, "kbq", "kb.kb")
script = ".timer on\n" + "".join((v["kbq"] + "\n") * 5 for v in shapes)


def session(kbq):
    r = subprocess.run([kbq, kb, "--format", "tsv", "--no-header", "-"], input=script,
                       capture_output=True, text=True, timeout=3600)
    times = [float(x) for x in re.findall(r"Run Time: ([0-9.]+) ms", r.stderr)]
    if len(times) != 5 * len(shapes):
        raise SystemExit(f"{kbq}: {len(times)} timings of {5 * len(shapes)}: {r.stderr[-300:]}")
    return [statistics.median(times[5 * i:5 * i + 5]) for i in range(len(shapes))]


best = {"old": [float("inf")] * len(shapes), "new": [float("inf")] * len(shapes)}
for _ in range(a.rounds):
    for which in ("old", "new"):
        for i, t in enumerate(session(getattr(a, which))):
            best[which][i] = min(best[which][i], t)
rows = sorted(range(len(shapes)), key=lambda i: -best["new"][i] / best["old"][i])
for i in rows:
    print(f"{shapes[i]['name'][:50]:50s} old {best['old'][i]:9.3f} ms  new {best['new'][i]:9.3f} ms  "
          f"new/old {best['new'][i] / best['old'][i]:5.2f}")
