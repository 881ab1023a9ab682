# The two commands: `make run` (the whole OMS with simulators) and `make test` (lint + the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test lint audit format bench install install-dev migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m oms.devserver --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -c pyproject.toml -r . -q

# Known vulnerabilities in every package installed from the pinned requirements (pip-audit asks PyPI's
# advisory database, so it needs the network and is not part of `make test`; --strict fails when a package
# could not be checked), then bandit's full report. Run it before each release.
audit: install-dev
	$(BIN)/pip-audit --strict --progress-spinner off
	$(BIN)/bandit -c pyproject.toml -r .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two passes: most tests on two processes, then the `serial` ones (real Celery workers sharing one Redis
# broker, which must not see another test's tasks) one at a time.
# The browser tests drive Debian's chromium: installed here when missing and we are root with apt-get. If that
# fails the suite still runs, and those tests are skipped saying why.
test: lint
	-@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing chromium for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1; } \
		|| echo "chromium could not be installed: the browser tests will be skipped"; \
	fi
	$(BIN)/python -m pytest -n 2 -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial --cov-append $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .coverage
