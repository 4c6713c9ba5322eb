# The README's commands. `make run` and `make test` set everything up themselves on first use.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: help install run demo migrate test lint bench content-check

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create the virtual environment and install dependencies

run: $(STAMP) ## Start the bot (long polling with BOT_TOKEN, else the local demo chat)
	$(PY) -m bot run

demo: $(STAMP) ## Chat with the bot in this terminal
	$(PY) -m bot demo

migrate: $(STAMP) ## Migrate the database to the latest version
	$(PY) -m bot migrate

test: $(STAMP) ## Run the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(PY) -m pytest -q

lint: $(STAMP) ## ruff and mypy
	$(PY) -m ruff check bot tests bench alembic
	$(PY) -m ruff format --check bot tests bench alembic
	$(PY) -m mypy bot

content-check: $(STAMP) ## Check every content file
	$(PY) -m bot content check

bench: $(STAMP) ## Run the benchmarks
	$(PY) bench/screening.py
	$(PY) bench/throughput.py
	$(PY) bench/processing.py
