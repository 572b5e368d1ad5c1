# The two commands of the README. Everything runs in local virtualenvs, so a
# fresh clone needs only python3 (>= 3.10), kpt and kubectl; `make test` sets
# up the container engine itself (ci/engine-setup: podman, via apt-get).
#
#   make test    the suite twice: on the locked dependencies (hashes checked),
#                then on the newest ones pyproject.toml allows
#   make lock    regenerate requirements/*.txt after changing a dependency
PYTHON ?= python3
VENV ?= .venv
LATEST ?= .venv-latest
LOWEST ?= .venv-lowest
ORACLE_VENV ?= .venv-oracle
BIN := $(VENV)/bin
PIP := -m pip --disable-pip-version-check
PYTEST := -m pytest
# Where tests/oracles/nca.py finds the oracle's virtualenv (`make oracle`).
export PIPELOCK_ORACLE_VENV := $(abspath $(ORACLE_VENV))

.PHONY: test deps lint engine checkov oracle test-locked test-latest test-lowest lock bench clean

test: test-locked test-latest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The locked set, every file checked against its hash; the function itself
# editable, built with the locked setuptools. `pip check` fails when
# pyproject.toml asks for something the lock does not give (run `make lock`).
deps: $(BIN)/python
	$(BIN)/python $(PIP) install --quiet --require-hashes -r requirements/build.txt -r requirements/test.txt
	$(BIN)/python $(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python $(PIP) check

# Linters and type checks, one line each, on the locked set (their packages
# go in the test extra), e.g. `$(BIN)/python -m ruff check fn tests`.
lint: deps

# podman and the base image for the container-path tests: apt-get only for
# a missing tool, the base image cached (ci/engine-setup says how).
engine:
	ci/engine-setup >/dev/null

# checkov (tests/test_checkov.py) in its own virtualenv, from its own lock,
# hashes checked: it pins networkx<2.7 and packaging<24, which the test
# extra cannot share. The test runs $(CHECKOV_VENV)/bin/checkov.
CHECKOV_VENV ?= .venv-checkov
checkov:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP) install --quiet --require-hashes -r requirements/checkov.txt

# The NetworkPolicy oracle, network-config-analyzer, in its own virtualenv,
# from its own lock, hashes checked: it pins its dependencies exactly (PyYAML
# among them), and an oracle must not choose the versions of what it checks.
# Every test run uses this one; tests/oracles/nca.py runs its worker there.
oracle:
	test -x $(ORACLE_VENV)/bin/python || $(PYTHON) -m venv $(ORACLE_VENV)
	$(ORACLE_VENV)/bin/python $(PIP) install --quiet --require-hashes -r requirements/oracle.txt
	$(ORACLE_VENV)/bin/python $(PIP) check

# PIPELOCK_ENGINE=required: the container tests fail instead of skipping
# when the engine does not work.
test-locked: deps lint engine checkov oracle
	PIPELOCK_ENGINE=required $(BIN)/python $(PYTEST)

# The newest releases pyproject.toml allows, resolved afresh each run, so a
# new release that breaks the function fails here before a user sees it.
# The container tests skip (PIPELOCK_ENGINE=skip): the image is built from
# the lock, and the locked run has just run them. The code-quality tests do
# not run: a newer ruff or mypy with new rules is no breakage of the
# function, and the locked run checks the code with the locked tools.
test-latest: checkov oracle
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python $(PIP) install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	$(LATEST)/bin/python $(PIP) check
	@$(LATEST)/bin/python $(PIP) freeze --exclude-editable | tr '\n' ' ' | sed 's/^/newest: /; s/ $$/\n/'
	PIPELOCK_ENGINE=skip $(LATEST)/bin/python $(PYTEST) --ignore=tests/test_code_quality.py

# The lowest versions pyproject.toml allows (not part of `make test`): run it
# after changing a lower bound.
test-lowest: oracle
	rm -rf $(LOWEST) && $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python $(PIP) install --quiet uv==$(UV_VERSION)
	$(LOWEST)/bin/uv pip compile --quiet --python $(LOWEST)/bin/python pyproject.toml --extra test \
	  --resolution lowest-direct --no-header \
	  -o $(LOWEST)/lowest.txt
	$(LOWEST)/bin/python $(PIP) install --quiet --only-binary=:all: -r $(LOWEST)/lowest.txt
	$(LOWEST)/bin/python $(PIP) install --quiet --no-deps -e .
	$(LOWEST)/bin/python $(PIP) check
	PIPELOCK_ENGINE=skip $(LOWEST)/bin/python $(PYTEST)

# The locks: exact versions and the hashes of every file of each, for every
# Python >= 3.10 (--universal), from pyproject.toml: runtime.txt (the image),
# test.txt (the suite), checkov.txt and oracle.txt (their own virtualenvs),
# build.txt ([build-system] requires). To add a
# dependency: one line in pyproject.toml, then `make lock`, and commit both.
# `make lock` keeps the pinned versions that still fit pyproject.toml;
# `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release.
UV_VERSION := 0.13.9
LOCK_TOOL := .venv-lock
LOCK := $(LOCK_TOOL)/bin/uv pip compile --quiet --universal --python-version 3.10 --generate-hashes \
  --custom-compile-command 'make lock' $(LOCK_ARGS)
lock:
	test -x $(LOCK_TOOL)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOL) && \
	  $(LOCK_TOOL)/bin/python $(PIP) install --quiet uv==$(UV_VERSION); }
	$(LOCK) pyproject.toml -o requirements/runtime.txt
	$(LOCK) pyproject.toml --extra test -o requirements/test.txt
	$(LOCK) pyproject.toml --extra checkov -o requirements/checkov.txt
	$(LOCK) pyproject.toml --extra oracle -o requirements/oracle.txt
	$(LOCK_TOOL)/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	  | $(LOCK) - -o requirements/build.txt

# The benchmark report (issues 7, 17): prints figures, ratios and PASS/FAIL
# per target, never fails. It measures the function as the image runs it:
# installed from a wheel (not editable: the editable finder adds imports to
# every start) in a virtualenv of its own holding only the runtime lock,
# hashes checked. BENCH_ARGS: e.g. --large (100,000 items too), --quick.
BENCH_VENV ?= .venv-bench
bench: deps
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python $(PIP) install --quiet --require-hashes -r requirements/runtime.txt
	$(BENCH_VENV)/bin/python $(PIP) uninstall --quiet --yes setuptools 2>/dev/null || true
	rm -rf $(BENCH_VENV)/wheel
	$(BIN)/python $(PIP) wheel --quiet --no-deps --no-build-isolation --wheel-dir $(BENCH_VENV)/wheel .
	$(BENCH_VENV)/bin/python $(PIP) install --quiet --no-deps --force-reinstall $(BENCH_VENV)/wheel/*.whl
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(LATEST) $(LOWEST) $(LOCK_TOOL) $(CHECKOV_VENV) $(ORACLE_VENV) $(BENCH_VENV) build *.egg-info .pytest_cache .hypothesis
