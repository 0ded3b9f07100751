# The two commands a new user needs: `make demo` and `make test`. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQS := requirements.txt requirements-dev.txt requirements-bench.txt
STAMP := $(VENV)/.installed

.PHONY: venv chromium test demo lint format bench bench-scale migrate clean web web-types

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The suite's test database, one per checkout, so two checkouts can run `make test` at once:
# test_kat_<folder name>_<hash of the checkout's path>. Set TEST_DATABASE_NAME to choose another.
CHECKOUT_SLUG := $(shell basename "$(CURDIR)" | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z' | cut -c1-20)
CHECKOUT_HASH := $(shell printf '%s' "$(CURDIR)" | md5sum | cut -c1-8)
TEST_DATABASE_NAME ?= test_kat_$(CHECKOUT_SLUG)_$(CHECKOUT_HASH)
export TEST_DATABASE_NAME
# Two test processes; the Celery-worker, broker-flush and browser tests share one of them, in turn.
PYTEST_WORKERS ?= 2
CHROMIUM ?= /usr/bin/chromium

## make chromium: Debian's Chromium for the browser tests (Playwright drives it; it downloads none).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "$(CHROMIUM) is missing: installing Debian's chromium package with apt-get"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

## make test: the whole suite against the machine's real PostgreSQL and Redis, fresh test database.
test: venv chromium web
	@$(BIN)/python scripts/wait_for_services.py
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## make demo: migrate, seed a demo clinic, run API + Celery worker + beat in the foreground.
demo: venv web
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

## make bench-scale: the growth comparison across data scales (longer), then scales 1 and 10
## served side by side (bench/growth.py).
bench-scale: $(VENV)/.bench-installed
	$(BIN)/python -m bench.run --scales 0.1,1,10 $(BENCH_ARGS)
	$(BIN)/python -m bench.growth

## make web: the web app (web/): npm ci when the lock file changed, type check, unit tests, build
## into web/dist (Django serves it at /), and the bundle-size check. Needs Node.js 20.19+ and npm.
web:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  echo "make web needs Node.js (20.19 or newer) and npm, which are not installed."; \
	  echo "  Debian/Ubuntu: apt-get install -y nodejs npm    other systems: https://nodejs.org/"; exit 1; }
	@test web/node_modules/.package-lock.json -nt web/package-lock.json || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	@cd web && npm run --silent typecheck && npx vitest run --silent && npx vite build --logLevel warn && node scripts/check-bundle-size.mjs

## make web-types: regenerate web/src/api/schema.d.ts from the live OpenAPI schema.
web-types: venv
	@test -d web/node_modules || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	DEBUG=true $(BIN)/python manage.py spectacular --format openapi-json --file web/openapi.json
	cd web && npx openapi-typescript openapi.json -o src/api/schema.d.ts

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
