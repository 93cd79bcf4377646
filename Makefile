# Everyday commands. Each target installs what is missing first (libedit-dev).
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: all deps venv view-tools case-graph build release run test soak bench bench-kbq bench-startup bench-csv bench-variants bench-rules clean install uninstall

all: build

# libedit from Debian (libedit-dev), as root or with sudo; left alone when installed.
deps:
	@if ! pkg-config --exists libedit 2>/dev/null || [ ! -f /usr/include/histedit.h ]; then \
	  echo "kbq: installing libedit-dev (needed for line editing)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "kbq: libedit-dev is missing and neither root nor sudo is available: install it, then run make again" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libedit-dev pkg-config >/dev/null \
	    || { echo "kbq: could not install libedit-dev with apt-get" >&2; exit 1; }; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# Graphviz (lays out .graph's SVG) and Chromium (the test that renders a dossier), from
# Debian, as root or with sudo; left alone when installed. kbq itself needs neither.
view-tools:
	@missing=""; command -v dot >/dev/null 2>&1 || missing="graphviz"; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then \
	    echo "kbq: installing$$missing (the tests of .graph and .report use them)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	    else echo "kbq: $$missing missing and neither root nor sudo is available: install them, then run make test again" >&2; exit 1; fi; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null \
	      || { echo "kbq: could not install$$missing with apt-get" >&2; exit 1; }; \
	  fi

# The README's picture of the bundled case's claim network (a test checks it is current).
case-graph: build view-tools
	$$($(SWIFT) build --show-bin-path)/kbq --no-cache -e '.graph > docs/case-graph.svg'

# The Swift runtime linked in: a third less start-up time for `kbq -e` (CPU 5.8 -> 4.0 ms here).
release: deps
	$(SWIFT) build -c release -Xswiftc -static-stdlib --scratch-path .build-static --product kbq $(BUILD_FLAGS)

# Opens the REPL on the bundled knowledge base.
run: build
	@$$($(SWIFT) build --show-bin-path)/kbq

# The independent engines the RDF tests compare with (pyoxigraph, owlrl), from PyPI.
venv: .venv/bin/python
.venv/bin/python:
	@python3 -m venv .venv && .venv/bin/pip install -q pyoxigraph owlrl rdflib \
	  || { echo "kbq: could not install pyoxigraph/owlrl from PyPI: the tests that compare with them are skipped" >&2; rm -rf .venv; }

# Every test: unit, golden files, end-to-end runs of the binary, the REPL in a pty, the RDF
# suites, LUBM checked against an independent engine.
test: deps venv view-tools
	$(SWIFT) build $(BUILD_FLAGS)
	@# The install test copies this release build (built first, not while tests run).
	$(SWIFT) build -c release -Xswiftc -static-stdlib --scratch-path .build-static --product kbq $(BUILD_FLAGS)
	$(SWIFT) test $(BUILD_FLAGS)

# The random queries of `make test` (RandomQueryTests: the reference evaluator, metamorphic
# relations, Oxigraph over the export), many more of them: make soak N=20000 [SEED=7]
N ?= 20000
soak: deps venv
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	KBQ_RANDOM_QUERIES=$(N) $(if $(SEED),KBQ_SEED=$(SEED)) $(SWIFT) test --skip-build --filter RandomQueryTests $(BUILD_FLAGS)

# The peer benchmark (../shared/bench): kbq beside SQLite, DuckDB, SWI-Prolog, Oxigraph and
# Kùzu on the same generated data; installs the peers, not part of the tests.
BENCH_SIZES ?= 100k 1M
BENCH_REPS ?= 5
BENCH_WORK ?= $(CURDIR)/bench-work
BENCH_DIR ?= $(CURDIR)/../shared/bench
bench: deps
	$(SWIFT) build -c release --product kbq-bench
	@# One run a report: the runs of an earlier one are kept aside (run_all.sh appends).
	@if [ -f "$(BENCH_WORK)/results/runs.jsonl" ]; then mv -f "$(BENCH_WORK)/results/runs.jsonl" "$(BENCH_WORK)/results/runs.previous.jsonl"; fi
	BENCH_WORK="$(BENCH_WORK)" SIZES="$(BENCH_SIZES)" REPS="$(BENCH_REPS)" \
	  EXTRA_ENGINE_NAME=kbq EXTRA_ENGINE_CMD="$$($(SWIFT) build -c release --show-bin-path)/kbq-bench" \
	  bash "$(BENCH_DIR)/run_all.sh"
	@# One question in a fresh process (kbq's image beside sqlite3 and DuckDB on their files).
	@if [ -f "$(BENCH_WORK)/data/1M/params.json" ]; then \
	  printf '\n## One question in a fresh process, 1M (bench/startup.sh)\n\n' >> "$(BENCH_WORK)/results/report.md"; \
	  MARKDOWN="$(BENCH_WORK)/results/startup.md" bash bench/startup.sh "$(BENCH_WORK)/data/1M" \
	  && cat "$(BENCH_WORK)/results/startup.md" >> "$(BENCH_WORK)/results/report.md"; fi
	@echo "report: $(BENCH_WORK)/results/report.md"

# One question in a fresh process: kbq from its text and from its image beside sqlite3 and
# DuckDB on database files (hyperfine); needs the 1M data of make bench or bench-kbq.
bench-startup: deps
	bash bench/startup.sh $(BENCH_WORK)/data/$(or $(SIZE_STARTUP),1M)

# A 1M-row statements sheet (bench/csv_sheets.py, from gen.py's CSVs) loaded by kbq, beside
# DuckDB's read_csv of the same file into a table (hyperfine); needs the data of bench-kbq.
bench-csv: deps
	$(SWIFT) build -c release --product kbq
	@test -f "$(BENCH_WORK)/data/$(SIZE)/kbq-csv/statements.csv" || python3 bench/csv_sheets.py "$(BENCH_WORK)/data/$(SIZE)"
	@D="$(BENCH_WORK)/data/$(SIZE)/kbq-csv"; K=$$($(SWIFT) build -c release --show-bin-path)/kbq; \
	  hyperfine -N --warmup 1 --runs 5 \
	    -n "kbq (sheets)" "$$K --no-cache --empty $$D/entities.csv $$D/statements.csv -e 'find count(*) where _ _ _'" \
	    -n "duckdb read_csv" "$(BENCH_WORK)/duckdb-cli/duckdb -c \"CREATE TABLE s AS SELECT * FROM read_csv('$$D/statements.csv')\""

# Rules against DuckDB's recursive CTEs (bench/rules.json), each in a fresh process so that
# the fixpoint is computed anew; after bench-variants, which makes the data and DuckDB's file.
bench-rules: bench-variants
	python3 bench/rules.py "$$($(SWIFT) build -c release --show-bin-path)/kbq" --work "$(BENCH_WORK)"

# Query shapes beyond the six questions, kbq against DuckDB's CLI, answers compared: the
# shared ones (../shared/bench/variants/public.json) and the project's own (bench/variants.json).
bench-variants: deps
	$(SWIFT) build -c release --product kbq
	$(SWIFT) build -c release --product kbq-bench
	BIN=$$($(SWIFT) build -c release --show-bin-path); \
	  python3 "$(BENCH_DIR)/variants.py" "$$BIN/kbq" "$$BIN/kbq-bench" --work "$(BENCH_WORK)" --goal 0; \
	  python3 "$(BENCH_DIR)/variants.py" "$$BIN/kbq" "$$BIN/kbq-bench" bench/variants.json --work "$(BENCH_WORK)" --goal 0

# kbq alone on data the benchmark generated (faster to iterate): make bench-kbq SIZE=100k
SIZE ?= 100k
bench-kbq: deps
	$(SWIFT) build -c release --product kbq-bench
	@test -f "$(BENCH_WORK)/data/$(SIZE)/params.json" || python3 "$(BENCH_DIR)/gen.py" \
	  $$(case $(SIZE) in 10k) echo 10000;; 100k) echo 100000;; 1M) echo 1000000;; 10M) echo 10000000;; *) echo $(SIZE);; esac) \
	  "$(BENCH_WORK)/data/$(SIZE)"
	$$($(SWIFT) build -c release --show-bin-path)/kbq-bench "$(BENCH_WORK)/data/$(SIZE)" $(SIZE)

clean:
	rm -rf .build .build-static

# An install that needs no Swift toolchain: the release build with the Swift runtime linked
# in, stripped; the bundled case, the man page and the completions for bash, zsh and fish in
# their usual places. `make install PREFIX=~/.local`, `make uninstall` with the same PREFIX.
PREFIX ?= /usr/local
DESTDIR ?=
BIN_DIR = $(DESTDIR)$(PREFIX)/bin
SHARE_DIR = $(DESTDIR)$(PREFIX)/share
install: release
	install -d "$(BIN_DIR)" "$(SHARE_DIR)/kbq/kb" "$(SHARE_DIR)/man/man1" \
	  "$(SHARE_DIR)/bash-completion/completions" "$(SHARE_DIR)/zsh/site-functions" "$(SHARE_DIR)/fish/vendor_completions.d"
	install -m 755 "$$($(SWIFT) build -c release --scratch-path .build-static --show-bin-path)/kbq" "$(BIN_DIR)/kbq"
	strip "$(BIN_DIR)/kbq"
	install -m 644 kb/*.kb "$(SHARE_DIR)/kbq/kb/"
	install -m 644 share/man/man1/kbq.1 "$(SHARE_DIR)/man/man1/kbq.1"
	install -m 644 share/completions/kbq.bash "$(SHARE_DIR)/bash-completion/completions/kbq"
	install -m 644 share/completions/_kbq "$(SHARE_DIR)/zsh/site-functions/_kbq"
	install -m 644 share/completions/kbq.fish "$(SHARE_DIR)/fish/vendor_completions.d/kbq.fish"

uninstall:
	rm -f "$(BIN_DIR)/kbq" "$(SHARE_DIR)/man/man1/kbq.1" "$(SHARE_DIR)/bash-completion/completions/kbq" \
	  "$(SHARE_DIR)/zsh/site-functions/_kbq" "$(SHARE_DIR)/fish/vendor_completions.d/kbq.fish"
	rm -rf "$(SHARE_DIR)/kbq"

# libFuzzer targets (Fuzz/: the query parser and compiler, the .kb loader, the N-Triples
# loader, the image reader), built with AddressSanitizer in /tmp/fuzz-build, each run for SECONDS (60).
# Crashes go to Fuzz/crashes/, new inputs to /tmp/kbq-fuzz-work (Fuzz/README.md).
.PHONY: fuzz fuzz-smoke sanitize
SECONDS ?= 60
fuzz: deps
	@SWIFT="$(SWIFT)" bash Fuzz/fuzz.sh $(SECONDS)

# The same, 20 s a target (CI).
# Seeded, so that CI and a developer see the same run for the same code, and a 60 s limit
# per input, so that only a hang (not a slow machine) fails it.
fuzz-smoke: deps
	@SWIFT="$(SWIFT)" FUZZ_ARGS="-seed=1 -timeout=60 $(FUZZ_ARGS)" bash Fuzz/fuzz.sh 20

# The tests under AddressSanitizer, then the loader's and the join's parallel work (and the
# end-to-end runs, one a join on every core) under ThreadSanitizer, each in a build folder
# of its own. Leaks in libedit, XCTest, Foundation and two test helpers are
# suppressed (Fuzz/lsan.supp says why).
sanitize: deps venv
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan.supp:print_suppressions=0 \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan $(BUILD_FLAGS)
	SWIFT_BACKTRACE=enable=no $(SWIFT) test --sanitize=thread --scratch-path .build-tsan \
	  --filter 'FastLineTests|LargeFileTests|IDJoinTests|AnswersTests|PathTests|EndToEndTests|ImageCacheTests|ImageTests' $(BUILD_FLAGS)
