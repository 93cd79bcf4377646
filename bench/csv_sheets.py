#!/usr/bin/env python3
"""kbq's two sheets of the peer benchmark's data (README: "Your own case"), from the CSVs
gen.py writes: DATA/kbq-csv/entities.csv (id, type, label) and statements.csv (subject,
predicate, object, according_to, date, source), named as kbq-bench names them in kb.kb.

    bench/csv_sheets.py DATA
"""
import csv, os, sys

data = sys.argv[1]
out = os.path.join(data, "kbq-csv")
os.makedirs(out, exist_ok=True)
name = lambda i: "e%08d" % int(i)
predicates = {row["id"]: row["name"] for row in csv.DictReader(open(os.path.join(data, "predicates.csv")))}
with open(os.path.join(out, "entities.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "type", "label"])
    for row in csv.DictReader(open(os.path.join(data, "entities.csv"))):
        w.writerow([name(row["id"]), row["type"], row["label"]])
with open(os.path.join(out, "statements.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["subject", "predicate", "object", "according_to", "date", "source"])
    for row in csv.DictReader(open(os.path.join(data, "statements.csv"))):
        if row["o_ent"]:
            obj = name(row["o_ent"])
        else:
            obj = row["o_str"] or row["o_int"] or row["o_date"]
        w.writerow([name(row["s"]), predicates[row["p"]], obj,
                    name(row["q_according_to"]) if row["q_according_to"] else "",
                    row["q_date"], name(row["q_source"]) if row["q_source"] else ""])
