# Two commands for a newcomer: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto

.PHONY: run test lint format assets system-deps worker beat bench clean

run: $(VENV)/.runtime static/govuk/.built
	$(PY) scripts/run_local.py --host $(HOST) --port $(PORT)

test: $(VENV)/.dev static/govuk/.built system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	TESTING=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	DATABASE_URL=postgres://localhost/typecheck $(VENV)/bin/mypy
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml $(VENV)/bin/python
	$(PIP) install --quiet .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/bin/python
	$(PIP) install --quiet ".[dev]"
	touch $@ $(VENV)/.runtime

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/govuk/.built: node_modules/.installed scripts/build-assets.mjs $(wildcard static/app/scss/*.scss)
	npm run --silent build
	touch $@

assets: static/govuk/.built

# Debian packages the test suite needs (WeasyPrint's libraries, Chromium for browser tests).
system-deps:
	bash scripts/system-deps.sh

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: $(VENV)/.runtime
	$(VENV)/bin/celery -A config worker -l info -Q default,pdf,reports

beat: $(VENV)/.runtime
	$(VENV)/bin/celery -A config beat -l info

bench: $(VENV)/.dev
	$(PY) bench/children.py

clean:
	rm -rf $(VENV) node_modules static/govuk staticfiles
