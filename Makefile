# Two commands do all the set-up on a fresh machine:
#   make run   – create .venv, install, OCR packages (when root), serve on 127.0.0.1:8000 at once while
#                corpus/ is indexed in the background (progress on /healthz, the page and the terminal)
#   make test  – create .venv with test extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tesseract with Swedish data reads scanned PDFs (ingest/loaders/pdf_ocr.py); optional, never required.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-swe

.PHONY: run test install install-test ocr-deps ingest serve bench eval clean

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

# Installs Tesseract when it is missing and we are root with apt-get; otherwise says what to install.
# Never fails: without OCR everything works except reading scanned PDFs.
ocr-deps:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -x swe >/dev/null; then \
		:; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installerar textigenkänning (OCR) för inskannade PDF-filer: $(OCR_PACKAGES)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OCR_PACKAGES) >/dev/null; } \
			|| echo "Kunde inte installera $(OCR_PACKAGES); inskannade PDF-filer läses först när de är installerade."; \
	else \
		echo "Inskannade PDF-filer läses med textigenkänning (OCR) först när Debian-paketen $(OCR_PACKAGES) är installerade: sudo apt-get install $(OCR_PACKAGES)"; \
	fi

ingest: install ocr-deps
	$(BIN)/kompetens ingest corpus

serve: install
	$(BIN)/kompetens serve --host $(HOST) --port $(PORT)

# The server answers from the first indexed document on; unchanged files are skipped on the next run.
run: install ocr-deps
	$(BIN)/kompetens serve --host $(HOST) --port $(PORT) --ingest corpus

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run.py

eval: install-test
	$(BIN)/kompetens ingest corpus
	$(BIN)/kompetens eval

clean:
	rm -rf $(VENV) kompetens-data .pytest_cache
