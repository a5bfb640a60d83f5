PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench clean synapse screenshots

$(BIN)/denialwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-extras: pyproject.toml $(BIN)/denialwatch
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Synapse is a test dependency (tests/matrix) in its own venv: its pins clash with ours.
SYNAPSE_VENV := .venv-synapse

$(SYNAPSE_VENV)/.installed:
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install --quiet 'matrix-synapse>=1.100'
	touch $@

synapse: $(SYNAPSE_VENV)/.installed

install: $(BIN)/denialwatch

run: install
	$(BIN)/denialwatch run

test: $(VENV)/.test-extras $(SYNAPSE_VENV)/.installed
	$(BIN)/ruff check bot adapters storage tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.test-extras
	$(BIN)/ruff check bot adapters storage tests bench
	$(BIN)/ruff format --check bot adapters storage tests bench
	$(BIN)/mypy

# PNGs of the evidence pages from the dev stream (needs ../shared and Debian chromium).
screenshots: $(VENV)/.test-extras
	$(BIN)/python -m tests.pages.screenshots docs

# BENCH=api runs only the write-API benchmark (issue 16) and updates its section;
# BENCH="api-before COMMIT" the write API on COMMIT and on this tree, in turns;
# BENCH=one-pair only the one pair re-sent 3,000 times (memory and SQLite stores);
# BENCH=load (or "load --seconds 60 --statements 100000 --pg-workers 2") only the service
# at 1M statements.
BENCH ?=
bench: install
	$(BIN)/python -m bench.run $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
