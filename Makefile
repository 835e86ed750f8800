# Newsdesk: every target installs what it needs into ./.venv from the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres bench lint format clean-venv

# The stamp files make re-runs instant while the lock file is unchanged.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/newsdesk migrate --no-input
	$(BIN)/newsdesk collectstatic --no-input --verbosity 0
	$(BIN)/newsdesk demo --with-admin
	$(BIN)/newsdesk serve --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-dev
	bash scripts/test.sh

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean-venv:
	rm -rf $(VENV)
