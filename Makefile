# The two commands a new user needs: `make demo` and `make test`. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQS := requirements.txt requirements-dev.txt requirements-bench.txt
STAMP := $(VENV)/.installed

.PHONY: venv test demo lint format bench bench-scale migrate clean

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

## make test: the whole suite against the machine's real PostgreSQL and Redis, fresh test database.
test: venv
	@$(BIN)/python scripts/wait_for_services.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make demo: migrate, seed a demo clinic, run API + Celery worker + beat in the foreground.
demo: venv
	@bash scripts/demo.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/.bench-installed: $(STAMP) requirements-bench.txt
	@$(BIN)/python -m pip install -q -r requirements-bench.txt
	@touch $@

## make bench: seed the benchmark database and load-test the API (under 10 minutes on 2 cores).
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make bench-scale: the growth comparison across data scales (longer).
bench-scale: $(VENV)/.bench-installed
	$(BIN)/python -m bench.run --scales 0.1,1,10 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
