# The two commands README.md opens with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup setup-dev system-packages lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

# axe-core (the accessibility checker the browser tests inject) from the npm
# registry, at the version tests/browser/package-lock.json pins.
setup-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	npm ci --prefix tests/browser --no-audit --no-fund --silent

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loaddata fixtures/demo.json fixtures/demo_agreement.json
	$(BIN)/python manage.py refresh_agreement
	$(BIN)/python manage.py create_demo_users
	@echo "Open http://$(HOST):$(PORT)/ and log in with a user above."
# The release worker builds the releases the Export page queues, the train worker the
# models the dashboard queues: in the background for as long as the server runs,
# stopped with it (Ctrl+C included).
	$(BIN)/python manage.py release_worker & worker=$$!; \
	$(BIN)/python manage.py train_worker & trainer=$$!; \
	trap 'kill $$worker $$trainer 2>/dev/null; wait $$worker $$trainer' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Debian packages the tests drive: Chromium for the browser tests, Info-ZIP's
# unzip to check the zips we write.
system-packages:
	@command -v chromium >/dev/null && command -v unzip >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium unzip; }

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/deptry .

test: setup-dev system-packages lint
	$(BIN)/python -m pytest
