# The two commands: `make demo` (the whole procedure against the embedded simulator) and
# `make test`. Each sets up .venv (and a Chromium) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck sim clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,qa,distributed]'
	$(BIN)/python -m runbook.browser --ensure
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/runbook demo

# The linters and the type checker run first (and stop the run when they fail), then the tests.
test: $(STAMP) lint typecheck
	$(BIN)/python -m runbook.browser --ensure
	@# A virtual screen for the test of the headed sign-in window, and a Redis server for the fleet's Celery
	@# test (each skipped, with the reason, where it cannot be installed).
	@{ command -v Xvfb >/dev/null && command -v redis-server >/dev/null; } || { [ "$$(id -u)" = 0 ] && \
		command -v apt-get >/dev/null && { apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb redis-server >/dev/null; }; } || true
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

sim: $(STAMP)
	$(BIN)/runbook sim

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-results
