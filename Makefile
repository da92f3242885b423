# dspl-eval — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help report test test-all test-fast lint format lab bench browser-deps clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-install
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

report: $(VENV)/.stamp-install  ## build the environment and run the batch on the demo data
	$(BIN)/dspl-eval demo

browser-deps:  ## Debian chromium + axe-core for the browser tests (skipped when not possible)
	@bash scripts/browser-deps.sh

# The slow end-to-end tests (whole batches, the demo year, warm against fresh kernels) run
# in CI, where CI is set (as CI services do; .ci/run sets it too), and with make test-all.
SLOW := $(if $(CI),,-m 'not slow')

test: $(VENV)/.stamp-dev browser-deps  ## ruff, then the tests (CI=1 or test-all: the slow ones too)
	$(BIN)/ruff check dspl_eval tests benchmarks
	$(BIN)/ruff format --check dspl_eval tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(SLOW)

test-all: $(VENV)/.stamp-dev browser-deps  ## ruff, then every test, slow ones included (as CI)
	$(MAKE) test CI=1

test-fast: $(VENV)/.stamp-dev  ## the quick tests only (no notebooks, no browser)
	$(BIN)/python -m pytest -m 'not slow and not browser'

lint: $(VENV)/.stamp-dev  ## ruff lint and format check
	$(BIN)/ruff check dspl_eval tests benchmarks
	$(BIN)/ruff format --check dspl_eval tests benchmarks

format: $(VENV)/.stamp-dev  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix dspl_eval tests benchmarks
	$(BIN)/ruff format dspl_eval tests benchmarks

LAB_DATA ?= data/demo
lab: $(VENV)/.stamp-install  ## JupyterLab on a copy of the notebooks in data/demo/notebooks/ (LAB_DATA=data: yours)
	$(BIN)/dspl-eval lab --data $(LAB_DATA)

bench: $(VENV)/.stamp-dev  ## run the benchmarks (figures go in the README)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/gate.py --record --scales 1 10 100
	$(BIN)/python benchmarks/batch.py

clean:  ## remove the environment and generated demo data/reports
	rm -rf $(VENV) data/demo reports/demo
