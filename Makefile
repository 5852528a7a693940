# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
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
## known vulnerabilities in the pinned requirements (pip-audit, which asks PyPI:
## it fails on a known vulnerability and lists the packages it could not check)
audit: setup
	$(BIN)/bandit -c pyproject.toml -r . --severity-level medium
	$(BIN)/pip-audit -r requirements.txt -r requirements-dev.txt --progress-spinner off
