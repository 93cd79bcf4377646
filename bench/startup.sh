#!/usr/bin/env bash
# One question in a fresh process, side by side (hyperfine -N): kbq from its text, kbq from
# its image, sqlite3 on an indexed database file, DuckDB's CLI on a database file. The
# question is the benchmark's Q1 (every statement about one entity), answers to /dev/null.
# Then the REPL's first prompt on the image (bench/first_prompt.py).
#
#   bench/startup.sh [DATA]      DATA: a folder gen.py wrote (default bench-work/data/1M)
#
# Needs make bench (or make bench-kbq SIZE=1M) to have generated DATA; builds the sqlite3
# and DuckDB files from its CSVs once (beside DATA), and kbq's image in a cache of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-bench-work/data/1M}
[ -f "$DATA/params.json" ] || { echo "startup: no $DATA/params.json: run make bench-kbq SIZE=1M first" >&2; exit 2; }
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || sudo apt-get install -y -qq hyperfine; }
command -v sqlite3 >/dev/null || { apt-get install -y -qq sqlite3 >/dev/null 2>&1 || sudo apt-get install -y -qq sqlite3; }
# The build `make install` installs (the Swift runtime linked in: a faster start).
swift build -c release -Xswiftc -static-stdlib --scratch-path .build-static --product kbq >/dev/null
KBQ=$(swift build -c release --scratch-path .build-static --show-bin-path)/kbq
KB="$DATA/kbq/kb.kb"
[ -f "$KB" ] || { echo "startup: no $KB (kbq-bench writes it)" >&2; exit 2; }
ENTITY=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['q1_entity'])" "$DATA/params.json")
NAME=$(printf 'e%08d' "$ENTITY")

SQLITE_DB="$DATA/startup.sqlite"
if [ ! -f "$SQLITE_DB" ]; then
  echo "startup: building $SQLITE_DB"
  sqlite3 "$SQLITE_DB.tmp" <<SQL
CREATE TABLE statements(sid INTEGER PRIMARY KEY, s INTEGER NOT NULL, p INTEGER NOT NULL,
  o_ent INTEGER, o_str TEXT, o_int INTEGER, o_date TEXT, q_according_to INTEGER, q_date TEXT, q_source INTEGER);
.mode csv
.import --skip 1 $DATA/statements.csv statements
CREATE INDEX st_s ON statements(s, p);
CREATE INDEX st_o ON statements(o_ent, p);
ANALYZE;
SQL
  mv "$SQLITE_DB.tmp" "$SQLITE_DB"
fi
SQL_Q1="SELECT s, p, o_ent, o_str, o_int, o_date FROM statements WHERE s = $ENTITY UNION ALL SELECT s, p, o_ent, o_str, o_int, o_date FROM statements WHERE o_ent = $ENTITY;"

DUCKDB=${DUCKDB:-bench-work/duckdb-cli/duckdb}
DUCK_DB="$DATA/startup.duckdb"
if [ -x "$DUCKDB" ] && [ ! -f "$DUCK_DB" ]; then
  echo "startup: building $DUCK_DB"
  "$DUCKDB" "$DUCK_DB" "CREATE TABLE statements AS SELECT * FROM read_csv('$DATA/statements.csv', header=true);" >/dev/null
fi

export XDG_CACHE_HOME="$PWD/bench-work/startup-cache"
KBQ_Q1="find ?st where ($NAME _ _ as ?st) or (_ _ $NAME as ?st)"
"$KBQ" "$KB" -e "$KBQ_Q1" >/dev/null   # writes the image
commands=(
  -n "kbq (text)" "$KBQ --no-cache $KB --format tsv -e '$KBQ_Q1'"
  -n "kbq (image)" "$KBQ $KB --format tsv -e '$KBQ_Q1'"
  -n "sqlite3 (indexed file)" "sqlite3 $SQLITE_DB '$SQL_Q1'"
)
[ -x "$DUCKDB" ] && commands+=(-n "duckdb (file)" "$DUCKDB -readonly $DUCK_DB '$SQL_Q1'")
# MARKDOWN=FILE also writes the table there (make bench appends it to its report).
hyperfine -N --warmup 3 --runs "${RUNS:-20}" --output=null ${MARKDOWN:+--export-markdown "$MARKDOWN"} "${commands[@]}"
python3 bench/first_prompt.py "$KBQ" "$KB" | tee -a "${MARKDOWN:-/dev/null}"
