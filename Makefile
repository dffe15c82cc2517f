# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate seed api-key worker beat check-deploy schema clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements/base.txt requirements/production.txt requirements/development.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/development.txt
	touch $(STAMP)

## make run: virtualenv, dependencies, migrations, seed data, a development API key, then the API
## (embedded defaults: SQLite, tasks in-process, DEBUG on unless .env or the environment says otherwise).
# Developer targets run with DEBUG on unless .env or the environment says otherwise.
run migrate seed api-key worker beat: export DEBUG ?= true
# Development only: lets the README's internal-sync curl work at once. Production sets its own secret.
run worker: export INTERNAL_API_SECRET_KEY ?= dev-internal-secret

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_initial_data
	$(PY) manage.py dev_api_key
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite by default; PostgreSQL when DATABASE_URL is set).
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest no ejecutó ninguna prueba: esto es un fallo."; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: $(STAMP)
	$(PY) manage.py seed_initial_data

api-key: $(STAMP)
	$(PY) manage.py dev_api_key

worker: $(STAMP)
	$(VENV)/bin/celery -A config worker -l info -Q notifications,sync,maintenance --pool=solo

beat: $(STAMP)
	$(VENV)/bin/celery -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler

check-deploy: $(STAMP)
	DEBUG=false SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-looking-secret-value-xyz \
	INTERNAL_API_SECRET_KEY=check ALLOWED_HOSTS=api.example.com \
	$(PY) manage.py check --deploy --fail-level WARNING

schema: $(STAMP)
	DEBUG=true $(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

clean:
	rm -rf $(VENV) db.sqlite3 .dev-api-key staticfiles
