# Every target sets up what it needs on a fresh machine: a .venv with the project installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# make test runs the suite twice: on $(PYTHON) (3.11 here: the oldest Python supported, where
# pip resolves Mesa 3.3.1, the oldest Mesa supported) and on a newer Python in .venv-next,
# where pip resolves the newest Mesa 3.x. PYTHON_NEXT is the first of python3.12, python3.13
# (on PATH, or installed by pyenv) that runs; `make test PYTHON_NEXT=` skips the second run.
NEXT_VENV  := .venv-next
NEXT_BIN   := $(NEXT_VENV)/bin
NEXT_STAMP := $(NEXT_VENV)/.installed
ifeq ($(origin PYTHON_NEXT),undefined)
PYTHON_NEXT := $(shell for v in 3.12 3.13; do \
  for py in python$$v "$$(pyenv root 2>/dev/null)"/versions/$$v.*/bin/python$$v \
            "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$$v.*/bin/python$$v; do \
    $$py -c 'import sys; print(sys.executable)' 2>/dev/null && exit 0; \
  done; done)
endif
VERSIONS = -c 'import sys, mesa; print(f"Python {sys.version.split()[0]}, Mesa {mesa.__version__}")'

.PHONY: run figures test test-fast test-next docs lint bench soak browser dashboard screenshot clean

# $(call venv,PYTHON,FOLDER): a virtual environment with the project and every extra installed
define venv
	$(1) -m venv $(2)
	$(2)/bin/python -m pip install --quiet --upgrade pip
	$(2)/bin/python -m pip install --quiet -e '.[dev,dask,viz,docs]'
	$(2)/bin/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	@echo "compiling the model's kernels (once per machine; cached on disk)"
	$(2)/bin/python -c 'from sim.model.model import warm_up; warm_up()'
	touch $(2)/.installed
endef

$(STAMP): pyproject.toml
	$(call venv,$(PYTHON),$(VENV))

$(NEXT_STAMP): pyproject.toml
	$(call venv,$(PYTHON_NEXT),$(NEXT_VENV))

## run: the main job: the policy comparison batch (7 scenarios x 30 paired seeds) and its report
run: $(STAMP)
	$(BIN)/egov-sim batch experiments/policy_comparison.toml --resume
	$(BIN)/egov-sim report results/policy_comparison

## figures: the README's figures and the numbers it quotes (docs/figures/policy_comparison.png,
## status_quo.png and policy_comparison.csv), from make run's batch and report, a status_quo
## run and the same comparison on the scenarios' own parameters (tests/test_readme.py checks
## the README against them)
figures: run
	$(BIN)/egov-sim run scenarios/mongolia/status_quo.toml --out results/status_quo -q
	$(BIN)/egov-sim compare status_quo central_ministry open_databases legal_esignature \
	  rural_connectivity digital_skills paper_recommendations --seeds 30 --seed 2022 \
	  --out results/policy_comparison_defaults -q
	$(BIN)/python -m sim.analysis.readme_figures --batch results/policy_comparison \
	  --run results/status_quo --defaults results/policy_comparison_defaults --out docs/figures

## test: the whole suite on Python 3.11 with Mesa 3.3.1, then the documentation site built
## strictly (once, on .venv), then the suite on Python 3.12/3.13 with the newest Mesa 3.x
## (dashboard tests drive Debian's Chromium, installed here if missing; they fail, not skip,
## when it is missing: EGOV_SIM_REQUIRE_BROWSER=1)
test: $(STAMP) browser
	@echo "== the suite on $$($(BIN)/python $(VERSIONS)) =="
	EGOV_SIM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q
	@echo "== the documentation site, strictly: a warning, a broken link or a public name without a docstring fails =="
	@$(MAKE) --no-print-directory docs SPHINXOPTS="-E -W --keep-going"
ifneq ($(PYTHON_NEXT),)
	@$(MAKE) --no-print-directory test-next
else
	@echo "no Python 3.12/3.13 found: the suite ran on $$($(BIN)/python $(VERSIONS)) only"
endif

## test-next: the whole suite on Python 3.12/3.13 with the newest Mesa 3.x (.venv-next)
test-next: browser
	@test -n "$(PYTHON_NEXT)" || { echo "no Python 3.12/3.13 found"; exit 1; }
	@$(MAKE) --no-print-directory $(NEXT_STAMP)
	@echo "== the suite on $$($(NEXT_BIN)/python $(VERSIONS)) =="
	EGOV_SIM_REQUIRE_BROWSER=1 $(NEXT_BIN)/python -m pytest -q

## test-fast: the model tier on .venv's Python: every test but the system ones (processes,
## servers, the browser, the wheel, signals and faults), for a quick loop while changing a rule
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not system"

## docs: the documentation site in docs/_build/html: docs/*.md, the README as its front page and
## the API reference from the docstrings of what `import sim` exports (Sphinx with MyST;
## offline: no intersphinx, the theme ships with Sphinx). make test builds it strictly.
DOCS_HTML := docs/_build/html
SPHINXOPTS ?=
docs: $(STAMP)
	$(BIN)/python -m sphinx -b html -q $(SPHINXOPTS) docs $(DOCS_HTML)
	@echo "the documentation: open file://$(abspath $(DOCS_HTML))/index.html"

## soak: thousands of small runs in one process, memory must stay flat (not part of make test)
soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak -s tests/test_soak.py

## browser: Debian's chromium for the dashboard tests (Playwright drives it; no download)
browser:
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium not found and cannot be installed here: make test will fail the dashboard page tests"; fi; }

## dashboard: the interactive dashboard on http://127.0.0.1:8765/
dashboard: $(STAMP)
	$(BIN)/egov-sim dashboard

## screenshot: docs/figures/dashboard.png (the README's picture) from the running dashboard
## in headless Chromium; the script stops its server afterwards
screenshot: $(STAMP) browser
	$(BIN)/python -m tests.test_dashboard

## lint: ruff, and the layer contract of pyproject.toml (CI runs it before make test)
lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks docs/conf.py docs/_ext
	$(BIN)/ruff format --check sim tests benchmarks docs/conf.py docs/_ext
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(NEXT_VENV) .pytest_cache build dist *.egg-info docs/_build

## bench: speed and memory benchmarks (not part of make test); writes benchmarks/results.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench
