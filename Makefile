# Keyturn: `make run` starts it, `make test` runs the whole suite, `make check` lints.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LAUNCHER := tests/neo4j/target/.built
# The web app (web/): npm ci from the committed lockfile, then codegen, tsc and vite build.
WEB_DEPS := web/node_modules/.package-lock.json
WEB_BUILT := web/dist/index.html
WEB_SOURCES := schema.graphql web/index.html web/codegen.ts web/vite.config.ts web/tsconfig.json \
	$(shell find web/src -type f -not -path 'web/src/gql/*' 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check neo4j web clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Keyturn needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build

## Build the web app into web/dist (the API serves it at /).
web: $(WEB_BUILT)

$(LAUNCHER): tests/neo4j/pom.xml $(shell find tests/neo4j/src -type f 2>/dev/null)
	tests/neo4j/build.sh

## Start Keyturn on the embedded graph under ./var, with the demo organisation.
run: $(INSTALLED) $(WEB_BUILT)
	@mkdir -p var
	$(BIN)/keyturn serve --demo --host $(HOST) --port $(PORT) --graph embedded:./var/keyturn.db

## Run every test, graph tests on both the embedded graph and a real Neo4j.
test: $(INSTALLED) $(LAUNCHER) $(WEB_BUILT)
	$(BIN)/pytest -p no:cacheprovider

## Lint, format check and type check.
check: $(INSTALLED) $(WEB_DEPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd web && npm run --silent typecheck

## A local Neo4j for development: then `keyturn serve --graph neo4j://neo4j:keyturn-dev@127.0.0.1:7687`.
neo4j: $(LAUNCHER)
	tests/neo4j/run.sh --port 7687 --password keyturn-dev

clean:
	rm -rf $(VENV) tests/neo4j/target web/node_modules web/dist web/src/gql .pytest_cache .mypy_cache .ruff_cache
