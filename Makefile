# Every target sets up what it needs on a fresh machine: a .venv with the project installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench soak browser dashboard clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,viz]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

## run: the main job: the policy comparison batch (7 scenarios x 30 paired seeds) and its report
run: $(STAMP)
	$(BIN)/egov-sim batch experiments/policy_comparison.toml --resume
	$(BIN)/egov-sim report results/policy_comparison

## test: the whole suite (dashboard tests drive Debian's Chromium, installed here if missing)
test: $(STAMP) browser
	$(BIN)/python -m pytest -q

## soak: thousands of small runs in one process, memory must stay flat (not part of make test)
soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak -s tests/test_soak.py

## browser: Debian's chromium for the dashboard tests (Playwright drives it; no download)
browser:
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium not found and cannot be installed here: dashboard tests will skip"; fi; }

## dashboard: the interactive dashboard on http://127.0.0.1:8765/
dashboard: $(STAMP)
	$(BIN)/egov-sim dashboard

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache

## bench: speed and memory benchmarks (not part of make test); writes benchmarks/results.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench
