# sbt-sync: the two set-up commands are `make demo` and `make test` (README).
# Needs only Python 3.11+ on the machine; everything else goes into .venv from constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint typecheck pytest lock dagster-dev bench-ingest bench-identity bench-national clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt pip setuptools wheel
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)  ## create or update .venv from the pinned constraints

demo: venv  ## run the demo: the main job on embedded defaults (SQLite, local Dagster storage)
	$(BIN)/sbt-sync demo

test: venv lint typecheck pytest  ## ruff, mypy and the whole test suite

lint: venv  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv  ## mypy (strict)
	$(BIN)/mypy

# On every core (pytest-xdist): a module's tests stay on one worker, a test marked xdist_group(name) on
# the worker of its group, the group "serial" last and alone (tests/support/scheduling.py);
# PYTEST_ARGS=-n0 runs the suite serially.
pytest: venv  ## the test suite (SQLite always; PostgreSQL too when SBT_TEST_DATABASE_URL is set)
	$(BIN)/pytest -n logical --dist loadgroup --durations=30 $(PYTEST_ARGS)

lock:  ## re-pin constraints.txt from a fresh resolve of pyproject.toml
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.venv-lock/bin/python -m pip install --quiet -e ".[dev,bench]"
	.venv-lock/bin/python -m pip freeze --exclude-editable --all | grep -v '^sbt-sync' | sort -f > constraints.txt
	rm -rf .venv-lock

bench-ingest: venv  ## ingest benchmark: ours vs dlt vs the raw limit (writes benchmarks/results)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python -m benchmarks.ingest

bench-identity: venv  ## identity benchmark: 10k rows vs the 4.29M registry, ours vs Splink (benchmarks/identity)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python -m benchmarks.identity

bench-national: venv  ## national benchmark: registry refresh, full/unchanged/one-change cycles on PostgreSQL
	$(BIN)/python -m benchmarks.national

dagster-dev: venv  ## the Dagster UI and daemon on this project's instance (dagster.yaml)
	DAGSTER_HOME=$(CURDIR) $(BIN)/dagster dev -m sbt_sync.definitions

clean:  ## remove the virtualenv and local state (database, Dagster storage, sandbox data)
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
