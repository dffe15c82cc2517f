# One image for every role: web (default CMD, gunicorn), Celery worker and Celery beat
# (docker-compose*.yml override the command). Configuration comes only from the environment (.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    GUNICORN_WORKERS=4 \
    GUNICORN_THREADS=1 \
    GUNICORN_TIMEOUT=60

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every package ships a wheel
# (psycopg[binary], cryptography): no compiler or libpq is needed in the image.
COPY requirements/ requirements/
RUN pip install -r requirements/production.txt

# The code belongs to root and is read-only for the user that runs it.
COPY . .

# Static files (admin, Swagger UI / ReDoc from the sidecar) are collected at build time and served by
# whitenoise. settings.py refuses to start with DEBUG off and no secrets, so this one step gets throwaway
# values; they are not stored in the image (no ENV) and never used at run time.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-build-only-not-a-secret \
    INTERNAL_API_SECRET_KEY=collectstatic-build-only-not-a-secret \
    python manage.py collectstatic --noinput \
    && python -m compileall -q apps config

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
USER app

EXPOSE 8000

# GET /api/v1/health/database/ (anonymous form: {"status"}), with a Host header that ALLOWED_HOSTS accepts.
# No curl in the slim image: the standard library does it. Worker and beat set their own check in compose.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:%s/api/v1/health/database/' % os.environ.get('PORT', '8000'), headers={'Host': h}), timeout=8)"]

# Workers and threads from the environment (GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT, PORT);
# any other gunicorn option through GUNICORN_CMD_ARGS. `exec` keeps gunicorn as PID 1 so it gets SIGTERM.
# No control socket: it would go to $HOME, which the app user cannot write.
CMD ["sh", "-c", "exec gunicorn -c config/gunicorn.conf.py config.wsgi:application --bind 0.0.0.0:${PORT} --workers ${GUNICORN_WORKERS} --threads ${GUNICORN_THREADS} --timeout ${GUNICORN_TIMEOUT} --no-control-socket"]
