# Everyday commands. Each target installs what is missing first (libedit-dev).
SWIFT ?= swift
BUILD_FLAGS ?=

.PHONY: all deps build release run test bench clean

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

release: deps
	$(SWIFT) build -c release $(BUILD_FLAGS)

# Opens the REPL on the bundled knowledge base.
run: build
	@$$($(SWIFT) build --show-bin-path)/kbq

# Every test: unit, golden files, end-to-end runs of the binary, the REPL in a pty.
test: deps
	$(SWIFT) build $(BUILD_FLAGS)
	$(SWIFT) test $(BUILD_FLAGS)

clean:
	rm -rf .build
