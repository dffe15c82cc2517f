"""Settings come from the environment with embedded defaults; production refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env) -> subprocess.CompletedProcess:
    """Import config.settings in a fresh interpreter with exactly this environment (no .env influence)."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(env)
    code = (
        "import json, config.settings as s; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'broker': s.CELERY_BROKER_URL, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, 'debug': s.DEBUG, "
        "'email': s.EMAIL_BACKEND, 'retries': s.NOTIFICATION_MAX_RETRIES, 'prio': s.DEFAULT_CHANNEL_PRIORITY}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def database_options(**env) -> dict:
    import json

    code = "import json, config.settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, "DEBUG": "true", **env}, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(autouse=True)
def no_dotenv(tmp_path, monkeypatch):
    if (ROOT / ".env").exists():
        pytest.skip("a local .env would change the defaults under test")


def test_embedded_defaults_sqlite_eager_ecuador():
    r = load_settings(DEBUG="true")
    assert r.returncode == 0, r.stderr
    import json

    s = json.loads(r.stdout)
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["eager"] is True
    assert s["tz"] == "America/Guayaquil"
    assert s["lang"] == "es-ec"
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert s["retries"] == 3
    assert s["prio"] == ["whatsapp", "email", "push"]


def test_database_and_redis_urls_switch_to_postgres_and_broker():
    r = load_settings(
        DEBUG="true", DATABASE_URL="postgres://u:p@db.example:5432/x", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert r.returncode == 0, r.stderr
    import json

    s = json.loads(r.stdout)
    assert s["engine"] == "apps.core.postgresql"
    assert s["eager"] is False
    assert s["broker"] == "redis://127.0.0.1:6379/3"


def run(args: list[str], timeout: float = 60, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(env)
    return subprocess.run(args, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=timeout, check=False)


def test_web_start_up_stops_without_secret_key_with_clear_message():
    r = run([sys.executable, "-c", "import config.wsgi"], DEBUG="false", INTERNAL_API_SECRET_KEY="x")
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stderr and "DEBUG" in r.stderr


def test_web_start_up_stops_without_internal_secret():
    r = run([sys.executable, "-c", "import config.wsgi"], DEBUG="false", SECRET_KEY="a" * 50)
    assert r.returncode != 0
    assert "INTERNAL_API_SECRET_KEY" in r.stderr


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_celery_start_up_stops_without_secrets(program, tmp_path):
    r = run(
        [sys.executable, "-m", "celery", "-A", "config", program, "-l", "warning", "--pidfile", str(tmp_path / "p")],
        DEBUG="false",
        REDIS_URL="redis://127.0.0.1:1/0",  # never reached: start-up stops first
    )
    assert r.returncode != 0
    assert "INTERNAL_API_SECRET_KEY" in r.stdout + r.stderr


def test_offline_commands_work_on_a_fresh_clone_without_secrets():
    r = run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], DEBUG="false")
    assert r.returncode == 0, r.stderr
    assert "No changes detected" in r.stdout


def test_debug_defaults_to_off():
    r = load_settings(SECRET_KEY="a" * 50, INTERNAL_API_SECRET_KEY="b")
    assert r.returncode == 0, r.stderr
    assert '"debug": false' in r.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("NOTIFICATION_MAX_RETRIES", "three"), ("DEFAULT_CHANNEL_PRIORITY", "whatsapp,fax")],
)
def test_bad_values_are_refused(name, value):
    r = load_settings(**{"DEBUG": "true", name: value})
    assert r.returncode != 0
    assert name in r.stderr


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"NOTIFICATION_STUCK_AFTER_SECONDS": "300"}, "NOTIFICATION_STUCK_AFTER_SECONDS=300"),
        ({"NOTIFICATION_TASK_TIME_LIMIT": "900"}, "NOTIFICATION_TASK_TIME_LIMIT=900"),
        ({"EVOLUTION_TIMEOUT": "280"}, "EVOLUTION_TIMEOUT=280"),
    ],
)
def test_start_up_refuses_a_lease_or_a_channel_timeout_that_a_task_can_outlive(env, names):
    """The sweep takes a row still `sending` past the lease as one whose worker died: no task may run that long."""
    r = load_settings(DEBUG="true", **env)
    assert r.returncode != 0
    assert names in r.stderr and "ImproperlyConfigured" in r.stderr


def test_the_task_time_limits_follow_one_setting():
    code = "import config.settings as s; print(s.CELERY_TASK_TIME_LIMIT, s.CELERY_TASK_SOFT_TIME_LIMIT)"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(DEBUG="true", NOTIFICATION_TASK_TIME_LIMIT="20", NOTIFICATION_STUCK_AFTER_SECONDS="30")
    env.update(EVOLUTION_TIMEOUT="5", EMAIL_TIMEOUT="5", PUSH_TIMEOUT="5")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["20", "18"]


def test_a_development_internal_secret_only_with_debug():
    code = "import config.settings as s; print(repr(s.INTERNAL_API_SECRET_KEY), s.MISSING_REQUIRED_SETTINGS)"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    debug = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DEBUG": "true"}, capture_output=True, text=True
    )
    prod = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, "DEBUG": "false"}, capture_output=True, text=True
    )
    assert debug.stdout.split() == ["'dev-internal-secret'", "[]"]
    assert prod.stdout.strip() == "'' ['SECRET_KEY', 'INTERNAL_API_SECRET_KEY']"  # refused where a process starts


def test_an_unknown_log_format_stops_start_up():
    r = load_settings(DEBUG="true", LOG_FORMAT="xml")
    assert r.returncode != 0 and "LOG_FORMAT='xml'" in r.stderr


@pytest.mark.parametrize(
    ("url", "setting", "prepared"),
    [
        ("postgres://u:p@db.example:5432/x", None, True),
        ("postgres://u:p@aws-0-sa-east-1.pooler.supabase.com:6543/postgres", None, False),
        ("postgres://u:p@aws-0-sa-east-1.pooler.supabase.com:6543/postgres", "true", True),
        ("postgres://u:p@db.example:5432/x", "false", False),
        # SQLite's driver refuses psycopg's options: a sqlite:// URL used to stop start-up with a TypeError.
        ("sqlite:////tmp/ambacar.sqlite3", None, False),
        ("sqlite:////tmp/ambacar.sqlite3", "true", False),
        ("postgis://u:p@db.example:5432/x", None, True),
    ],
)
def test_prepared_statements_are_on_except_behind_a_transaction_pooler(url, setting, prepared):
    env = {"DATABASE_URL": url} | ({"DB_PREPARED_STATEMENTS": setting} if setting else {})
    options = database_options(**env)
    assert options.get("server_side_binding", False) is prepared
    assert (options.get("prepare_threshold") == 2) is prepared


def broker_connection(**env) -> dict:
    """The transport and TLS options of Celery's broker connection under this environment (nothing connects)."""
    import json

    code = (
        "import json, django; django.setup(); from config.celery import app; c = app.connection_for_write(); "
        "print(json.dumps({'transport': type(c.transport).__module__, 'ssl': bool(c.ssl), 'host': c.hostname}))"
    )
    r = run([sys.executable, "-c", code], DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings", **env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_redis_broker_uses_the_project_transport_and_a_tls_one_keeps_kombus():
    # apps/core/broker.py reuses a client per channel; kombu turns TLS on from the rediss:// scheme's name, which an
    # explicit transport would replace, so that URL keeps kombu's own transport (and its TLS).
    assert broker_connection(REDIS_URL="redis://h.example:6379/1") == {
        "transport": "apps.core.broker",
        "ssl": False,
        "host": "h.example",
    }
    assert broker_connection(REDIS_URL="rediss://h.example:6380/1") == {
        "transport": "kombu.transport.redis",
        "ssl": True,
        "host": "h.example",
    }


def test_celery_takes_every_celery_setting_from_django():
    """config/celery.py reads the CELERY_* settings once into a plain mapping: each under Celery's name, the Django
    fixup's own (CELERY_DB_REUSE_MAX) under its full name, in a fresh interpreter as a worker starts."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; from config.celery import app; "
        "names = [n for n in dir(settings) if n.startswith('CELERY_')]; "
        "print(json.dumps({n: [repr(getattr(settings, n)), repr(app.conf.get(n))] for n in names}))"
    )
    r = run(
        [sys.executable, "-c", code],
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="config.settings",
        REDIS_URL="redis://h.example:6379/1",
        DATABASE_URL="postgres://u@h.example/x",
    )
    assert r.returncode == 0, r.stderr
    import json

    settings = json.loads(r.stdout)
    assert {"CELERY_BROKER_URL", "CELERY_DB_REUSE_MAX", "CELERY_TASK_TIME_LIMIT"} <= set(settings)
    assert {name: django for name, (django, celery) in settings.items()} == {
        name: celery for name, (django, celery) in settings.items()
    }
