# Two commands work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := build/demo
ENGINE ?=

.PHONY: venv demo demo-clean test test-fast lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
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
	@echo "Try:    cd $(DEMO) && ../../$(BIN)/locflow stats"

demo-clean:
	rm -rf $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache

