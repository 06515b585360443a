# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   create .venv, install, ingest data/raw into data/archive.db, run two sample searches
#   make test   create .venv if needed and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/briefings ingest data/raw
	$(BIN)/briefings search smuggling --limit 3
	$(BIN)/briefings search '"Hong Kong" national security' --lang en --original --limit 1
	@echo 'In a browser: $(BIN)/briefings serve, then open http://127.0.0.1:8001/search?q=Hong+Kong'

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) data/archive.db data/archive.db-wal data/archive.db-shm
