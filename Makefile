# l2perp: `make up` starts the devnet, `make test` runs the whole suite, `make bench` the benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

# The browser tests (tests/e2e) drive Debian's chromium, started by path; `make test` requires
# them (L2PERP_E2E=required: a missing browser fails them, where plain pytest skips them).
# With chromium come fonts, so that screenshots show text, and libatomic1, which the node.js
# driver inside the playwright wheel needs (a minimal Debian lacks it).
CHROMIUM   := /usr/bin/chromium
E2E_DEBS   := chromium fonts-dejavu-core fonts-liberation libatomic1
L2PERP_E2E ?= required

.PHONY: up test bench venv clean core

# The deterministic core compiled with mypyc (src/l2perp/build.py says which modules): built
# beside the sources, a no-op when they have not changed since the last build. Without a C
# compiler the package runs interpreted, with one warning; L2PERP_PURE=1 chooses that on purpose.
core: $(RUN_STAMP)
	L2PERP_QUIET_BUILD=1 $(BIN)/python -m l2perp.corebuild

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make up` installs what running the node needs (pyproject's dependencies); `make test` adds
# the test extra (pytest, hypothesis, the SDK and ccxt, ray, playwright).
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

venv: $(TEST_STAMP)

# Nothing to do when chromium is there; else apt-get installs E2E_DEBS (sudo only when not root),
# running `apt-get update` only if the plain install fails (a fresh machine has no package
# lists). Where that cannot work, say so and go on: the e2e tests then fail with the reason.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else sudo="none"; fi; \
	apt="env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends"; \
	if ! command -v apt-get >/dev/null 2>&1 || [ "$$sudo" = none ]; then \
	  echo "make: cannot install $(CHROMIUM) (needs apt-get, as root or with sudo):" \
	       "the e2e browser tests will fail; install Debian's chromium package," \
	       "or run 'make test L2PERP_E2E=' to skip them"; \
	else \
	  echo "make: installing $(E2E_DEBS) for the e2e browser tests"; \
	  $$sudo $$apt install $(E2E_DEBS) >/dev/null 2>&1 \
	  || { $$sudo apt-get -qq update && $$sudo $$apt install $(E2E_DEBS) >/dev/null; } \
	  || echo "make: apt-get could not install $(E2E_DEBS): the e2e browser tests will fail"; \
	fi

# The whole suite on the compiled core, then the engine and rollup tests on the interpreted one
# (the same modules loaded from their .py files), which also runs the tests that patch engine
# internals and so need interpreted code.
test: $(TEST_STAMP) core | $(CHROMIUM)
	L2PERP_E2E=$(L2PERP_E2E) $(BIN)/python -m pytest -n auto -q
	L2PERP_PURE=1 $(BIN)/python -m pytest -n auto -q tests/engine tests/rollup

$(BENCH_STAMP): $(TEST_STAMP) benchmarks/requirements-peers.txt
	-$(BIN)/python -m pip install --quiet -r benchmarks/requirements-peers.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) core
	$(BIN)/python benchmarks/book.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/api.py
	$(BIN)/python benchmarks/rollup.py
	$(BIN)/python benchmarks/lab.py
	$(BIN)/python benchmarks/web.py

up: $(RUN_STAMP) core
	$(BIN)/l2perp up

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .hypothesis src/l2perp/_core.json
	find src -name '*.so' -delete
