# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate seed api-key worker beat check-deploy schema clean bench-dispatch bench-worker bench-whatsapp bench-analytics bench-analytics-scale bench-sync

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
	$(VENV)/bin/celery -A config worker -l info -Q notifications,sync,maintenance --pool=threads --concurrency=16

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

## Benchmarks (docs/benchmarks.md): each creates its scratch database in the local PostgreSQL and uses its own
## Redis database; none runs in CI.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
ROWS ?= 1000000

bench-dispatch: $(STAMP)
	DATABASE_URL=$(BENCH_PG)/ambacar_bench_dispatch REDIS_URL=redis://127.0.0.1:6379/7 $(PY) bench/bench_dispatch.py

bench-worker: $(STAMP)
	$(PY) bench/bench_worker.py --database-url $(BENCH_PG)/ambacar_bench_worker --redis-url redis://127.0.0.1:6379/2

bench-whatsapp: $(STAMP)
	$(PY) bench/bench_whatsapp_pacing.py --database-url $(BENCH_PG)/ambacar_bench_worker --redis-url redis://127.0.0.1:6379/2

# Rows left by an earlier run would be measured as bloat: the database is recreated every time, so the rows are kept
# at the end (deleting 10 M rows through the rollup's triggers takes longer than inserting them).
bench-analytics: $(STAMP)
	dropdb -h 127.0.0.1 -U postgres --if-exists ambacar_bench_analytics
	createdb -h 127.0.0.1 -U postgres ambacar_bench_analytics
	DEBUG=true DATABASE_URL=$(BENCH_PG)/ambacar_bench_analytics $(PY) manage.py migrate --noinput --verbosity 0
	DATABASE_URL=$(BENCH_PG)/ambacar_bench_analytics $(PY) bench/bench_analytics.py --rows $(ROWS) --keep

# 10M ÷ 1M in one run (bench/bench_analytics_scale.py). The two databases are kept between runs (filling 10M rows
# takes about 25 minutes): each is filled when it does not exist, and migrated every time; drop one to refill it.
bench-analytics-scale: $(STAMP)
	@for rows in 1000000 10000000; do \
	  db=ambacar_bench_analytics_$$rows; \
	  if psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$$db'" postgres | grep -q 1; then \
	    DEBUG=true DATABASE_URL=$(BENCH_PG)/$$db $(PY) manage.py migrate --noinput --verbosity 0 || exit 1; \
	  else \
	    createdb -h 127.0.0.1 -U postgres $$db && \
	    DEBUG=true DATABASE_URL=$(BENCH_PG)/$$db $(PY) manage.py migrate --noinput --verbosity 0 && \
	    DATABASE_URL=$(BENCH_PG)/$$db $(PY) bench/bench_analytics.py --rows $$rows --keep || exit 1; \
	  fi; \
	done
	DATABASE_URL=$(BENCH_PG)/ambacar_bench_analytics_10000000 $(PY) bench/bench_analytics_scale.py \
	    $(BENCH_PG)/ambacar_bench_analytics_1000000

bench-sync: $(STAMP)
	DATABASE_URL=$(BENCH_PG)/ambacar_bench_sync REDIS_URL=redis://127.0.0.1:6379/8 $(PY) bench/bench_sync.py
