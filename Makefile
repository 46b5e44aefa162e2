# One task runner, the same targets locally and in CI. Works on a fresh machine:
# the first target that needs the virtualenv creates it.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: install serve ingest test test-fast eval bench lint clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull CUDA wheels.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ingest: $(STAMP)
	$(BIN)/tthc ingest corpus/

serve: ingest
	$(BIN)/tthc serve --host $(HOST) --port $(PORT)

# Everything, including the slow tests (real segmenter, real model, real server).
test: $(STAMP)
	$(BIN)/python -m pytest -m "slow or not slow"

test-fast: $(STAMP)
	$(BIN)/python -m pytest

eval: ingest
	$(BIN)/tthc eval
	$(BIN)/python -m eval.procedures --report eval/reports/procedures.md
	$(BIN)/python -m eval.duties --data $${TTHC_DATA_DIR:-data} --report eval/reports/duties.md

bench: ingest
	$(BIN)/python -m eval.bench

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data build *.egg-info
