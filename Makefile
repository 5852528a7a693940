# The two commands a newcomer needs: `make run` and `make test`.
# Python 3.11: the distribution's where it can make a virtual environment
# (Debian builds it with profile-guided and link-time optimisation, which a
# pyenv build lacks unless asked for: bench_pages' pages ran 10-15% faster
# on it), else the first python3.11, or python3, on the PATH that can, else
# the first on the PATH (whose venv module then says what is missing).
PYTHON ?= $(shell for p in /usr/bin/python3.11 "$$(command -v python3.11)" \
	"$$(command -v python3)"; do [ -x "$$p" ] && "$$p" -c 'import ensurepip' \
	2>/dev/null && { echo "$$p"; exit 0; }; done; \
	command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint format audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Development defaults; real environment variables override them.
.env:
	printf 'DJANGO_DEBUG=1\n' > .env

setup: $(VENV)/.installed .env

## Set up, migrate SQLite, load the demo data, serve on http://127.0.0.1:8000
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Set up and run the whole test suite
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Security checks: bandit (an issue of medium or high severity fails), then
## known vulnerabilities in the pinned requirements (pip-audit, which asks
## PyPI's JSON API about each release: it fails on a known vulnerability, and,
## with --strict, on a package it could not check). Where that API does not
## answer for a release (a mirror serving only the index and each project's
## latest data), it says so: nothing was audited.
AUDIT_SERVICE := https://pypi.org/pypi/pip/23.2.1/json
audit: setup
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium
	@if $(BIN)/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)" $(AUDIT_SERVICE) 2>/dev/null; then \
		$(BIN)/pip-audit --strict -r requirements.txt -r requirements-dev.txt --progress-spinner off; \
	else \
		echo "pip-audit: NOT RUN. The vulnerability service ($(AUDIT_SERVICE)) cannot be reached from this machine, so the pinned requirements were not audited."; \
	fi
