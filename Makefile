# Two commands do all the set-up on a fresh machine:
#   make run   – create .venv, install, index corpus/, serve the web page + API on 127.0.0.1:8000
#   make test  – create .venv with test extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test ingest serve bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

ingest: install
	$(BIN)/kompetens ingest corpus

serve: install
	$(BIN)/kompetens serve --host $(HOST) --port $(PORT)

run: ingest serve

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run.py

eval: install-test
	$(BIN)/kompetens ingest corpus
	$(BIN)/kompetens eval

clean:
	rm -rf $(VENV) kompetens-data .pytest_cache
