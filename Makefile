# Jiangyun (匠云) — `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench load fuzz clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed ## serve the learner app and the API with demo data on http://127.0.0.1:8000/ (Ctrl-C stops it)
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "匠云 Jiangyun: the learner app at http://$(HOST):$(PORT)/ (power-learner / jiangyun-demo), the API docs at http://$(HOST):$(PORT)/api/docs"
	@$(FLASK) tasks worker & worker=$$!; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WEB_WORKERS) --worker-class gthread --threads 4 --keep-alive 75 --graceful-timeout 5 wsgi:app & web=$$!; \
	trap 'kill -TERM $$worker $$web 2>/dev/null; wait; exit 0' INT TERM; \
	wait

# One worker more than cores: a quarter of each worker's time is spent waiting on PostgreSQL,
# SeaweedFS and the browser; work stealing keeps the long fuzz and fault tests from leaving a
# core idle at the end (on 2 cores: 12.5 min instead of 14).
TEST_WORKERS ?= $(shell python3 -c "import os; print((os.cpu_count() or 1) + 1)")

test: $(VENV)/.installed-dev ## run the whole suite on every core (starts what it needs on loopback)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: $(VENV)/.installed-dev ## ruff, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy catalog config ingest search

format: $(VENV)/.installed-dev ## format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-dev ## run every benchmark: one table, also as JSON in var/bench/
	$(BIN)/python benchmarks/run.py

load: $(VENV)/.installed-dev ## locust: 100 then 400 learners on phones against gunicorn (PROFILE=production: 1,000 on PostgreSQL, Redis, SeaweedFS); fails on any error
	$(BIN)/python benchmarks/load.py --profile $(or $(PROFILE),embedded)

fuzz: $(VENV)/.installed-dev ## schemathesis over every operation as every role (FUZZ_EXAMPLES=100)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(BIN)/pytest tests/fuzz -p no:cacheprovider

clean: ## remove the virtualenv and var/ (the embedded database, objects and secret)
	rm -rf $(VENV) var
