# One task runner, the same targets locally and in CI. Works on a fresh machine:
# the first target that needs the virtualenv creates it.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8000

.PHONY: install serve ingest test test-fast eval bench lint wheel-check clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# The CPU build of torch first: a plain `torch` requirement would pull CUDA wheels.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ingest: $(STAMP)
	$(BIN)/tthc ingest

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

# ruff over the tree, mypy over the product's rooms (settings in pyproject.toml), and the
# shape checker (function length, which room may import which). All three run, so one pass
# lists every finding; any finding fails.
lint: $(STAMP)
	status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/mypy ingest retriever service || status=1; \
	$(BIN)/python -m eval.shape || status=1; \
	exit $$status

# The built wheel installed in a fresh virtualenv, ingesting and serving from outside the
# checkout (eval/wheel_check.sh). Takes a few minutes: it installs everything anew.
wheel-check:
	PY=$(PY) bash eval/wheel_check.sh

clean:
	rm -rf $(VENV) data build *.egg-info
