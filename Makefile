# The two commands of the README. Everything runs in a local virtualenv
# (.venv), so a fresh clone needs only python3 (>= 3.10), kpt and kubectl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Install the function with its test extras and run the whole suite.
test: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pytest

# The benchmark report (issue 7): prints figures and ratios, never fails.
bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
