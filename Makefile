# Newsdesk: every target installs what it needs into ./.venv from the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test bench reliability lint format clean-venv cluster cluster-down cluster-status cluster-test

# The stamp files make re-runs instant while the lock file is unchanged.
# The lock files pin every dependency with its hashes, so pip installs them as listed
# (--no-deps) instead of resolving again: a resolve could pick a newer release than the
# lock names (lxml 6.2.0 did, through justext's lxml[html_clean]) and then refuse it.
# pip check then proves the lock complete.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Newsdesk needs Python 3.11 or newer; run make with PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV) || { echo "Creating the virtualenv failed: on Debian, apt-get install python3-venv"; exit 1; }

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(VENV)/.installed $@

# The demo runs in debug mode: plain HTTP on 127.0.0.1, so cookies cannot be HTTPS-only.
demo: export NEWSDESK_DEBUG ?= true
demo: $(VENV)/.installed
	$(BIN)/newsdesk migrate --no-input --verbosity 0
	$(BIN)/newsdesk collectstatic --no-input --verbosity 0
	$(BIN)/newsdesk demo
# --demo-admin: the admin account's sign-in details come last, once the site and worker are up.
	$(BIN)/newsdesk serve --host 127.0.0.1 --port $(PORT) --demo-admin

test: $(VENV)/.installed-dev
	bash scripts/test.sh

# make bench ONLY=feeds,search re-runs some parts and keeps the other sections of BENCHMARKS.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run $(if $(ONLY),--only $(ONLY))

# make reliability ONLY=backup TRIALS=3 re-runs some scenarios and keeps the rest of RELIABILITY.md.
reliability: $(VENV)/.installed-dev
	$(BIN)/python -m reliability.run $(if $(ONLY),--only $(ONLY)) $(if $(TRIALS),--trials $(TRIALS))

# Several hosts on this machine in network namespaces, as root (docs/scaling.md). The cluster
# package needs only the standard library, so cluster-down and cluster-status run anywhere.
# MEDIA=0 / PUSH=0 leave out SeaweedFS / Pushpin (media on each host's disk, streams in-process).
NET ?= 10.77.0.0/24
CLUSTER_PARTS = $(if $(filter 0,$(MEDIA)),--no-media) $(if $(filter 0,$(PUSH)),--no-push)
cluster: $(VENV)/.installed-dev
	$(BIN)/python -m cluster up --network $(NET) $(CLUSTER_PARTS)

cluster-down:
	$(PYTHON) -m cluster down $(if $(WIPE),--wipe)

cluster-status:
	$(PYTHON) -m cluster status

# KEEP=1 leaves the cluster running afterwards (and skips the test that stops it).
cluster-test: $(VENV)/.installed-dev
	$(BIN)/python -m cluster test --network $(NET) $(CLUSTER_PARTS) $(if $(KEEP),--keep)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean-venv:
	rm -rf $(VENV)
