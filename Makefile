# Keyturn: `make run` starts it, `make test` runs the whole suite, `make check` lints.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LAUNCHER := tests/neo4j/target/.built
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check neo4j clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Keyturn needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

$(LAUNCHER): tests/neo4j/pom.xml $(shell find tests/neo4j/src -type f 2>/dev/null)
	tests/neo4j/build.sh

## Start Keyturn on the embedded graph under ./var, with the demo organisation.
run: $(INSTALLED)
	@mkdir -p var
	$(BIN)/keyturn serve --demo --host $(HOST) --port $(PORT) --graph embedded:./var/keyturn.db

## Run every test, graph tests on both the embedded graph and a real Neo4j.
test: $(INSTALLED) $(LAUNCHER)
	$(BIN)/pytest -p no:cacheprovider

## Lint, format check and type check.
check: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## A local Neo4j for development: then `keyturn serve --graph neo4j://neo4j:keyturn-dev@127.0.0.1:7687`.
neo4j: $(LAUNCHER)
	tests/neo4j/run.sh --port 7687 --password keyturn-dev

clean:
	rm -rf $(VENV) tests/neo4j/target .pytest_cache .mypy_cache .ruff_cache
