# Every target sets up what it needs on a fresh machine: a .venv with the project installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

## run: the main job: the policy comparison batch (7 scenarios x 30 paired seeds) and its report
run: $(STAMP)
	$(BIN)/egov-sim batch experiments/policy_comparison.toml --resume
	$(BIN)/egov-sim report results/policy_comparison

## test: the whole suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

## bench: speed and memory benchmarks (not part of make test); writes benchmarks/results.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench
