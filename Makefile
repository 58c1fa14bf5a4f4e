# The two commands a new user runs (see README.md):
#   make demo   set up a virtual environment and run the main job on the local Temporal server
#   make test   set up a virtual environment and run every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/wfb demo

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

# Style, formatting, types (mypy strict) and the import contract (which layer may import which).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check wfb_jupyter compiler widgets tests benchmarks conftest.py
	$(VENV)/bin/ruff format --check wfb_jupyter compiler widgets tests benchmarks conftest.py
	$(VENV)/bin/mypy wfb_jupyter
	$(VENV)/bin/lint-imports

bench: $(VENV)/.installed
	for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
