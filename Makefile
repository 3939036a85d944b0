# The project's commands. Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lab bench lint docs docs-serve clean

demo: $(VENV)/.stamp-base
	$(BIN)/genesys-nb demo

test: $(VENV)/.stamp-test
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-reference.sh
	$(BIN)/python -m pytest

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(VENV)/.stamp-lab
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ROOT)

bench: $(VENV)/.stamp-test
	$(BIN)/python bench/run_all.py

# The site (mkdocs.yml): guides, the five notebooks executed on the embedded emulator, the API reference.
# Strict: a broken link, a missing reference entry or a failing notebook cell fails the build.
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check genesys_nb tests bench
	$(BIN)/mypy genesys_nb

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,notebook,dev]'
	touch $@ $(VENV)/.stamp-base $(VENV)/.stamp-lab

$(VENV)/.stamp-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@ $(VENV)/.stamp-base

$(VENV)/.stamp-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[notebook]'
	touch $@ $(VENV)/.stamp-base

clean:
	rm -rf $(VENV) demo-out .pytest_cache site build/docs-notebooks
