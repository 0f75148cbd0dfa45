# Two commands on a fresh machine:  `make run`  (the whole app)  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# Development defaults; production sets SECRET_KEY, FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY,
# DEBUG=0, DATABASE_URL, CELERY_BROKER_URL. (makemigrations reads no data: DEBUG=1 lets it
# use the development encryption keys.)
DEV_ENV := DEBUG=$${DEBUG:-1}
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-not-secret}

.PHONY: run test lint ci install clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock ".[dev]"
	touch $@

install: $(VENV)/.installed

## run: web at http://127.0.0.1:8000 + Celery worker + beat, with demo data
run: $(VENV)/.installed
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho -f Procfile.dev start

## test: the whole suite (SQLite unless DATABASE_URL is set)
test: $(VENV)/.installed
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf var .pytest_cache
