"""The operations files say what the code does: .env.example, Dockerfile, the compose files and the README.

No Docker engine is needed: the compose files are parsed as YAML, validated against the Compose Specification's
JSON schema (and checked with `docker compose config` when the Compose plugin is installed), the health-check
scripts are compiled, and every `curl` of the README is replayed against the application.
"""

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "config" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# The README and the guides it links, in the order a reader follows them.
GUIDES = [README, DOCS / "guia.md", DOCS / "whatsapp.md", DOCS / "operations.md", DOCS / "deploy.md"]
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}

# SPEC §3: the seed's variables and the ones the contract adds.
SPEC_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "INTERNAL_API_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "DEFAULT_FROM_EMAIL",
    "EVOLUTION_API_URL",
    "EVOLUTION_API_KEY",
    "EVOLUTION_INSTANCE",
    "EVOLUTION_TIMEOUT",
    "VAPID_PUBLIC_KEY",
    "VAPID_PRIVATE_KEY",
    "VAPID_CONTACT_EMAIL",
    "FRONTEND_URL",
    "NOTIFICATION_MAX_RETRIES",
    "NOTIFICATION_RETRY_BASE_SECONDS",
    "DEFAULT_CHANNEL_PRIORITY",
    "PHONE_DEFAULT_REGION",
    "PUSH_ALLOWED_HOSTS",
    "PUSH_ALLOW_INSECURE_ENDPOINTS",
    "EVOLUTION_WEBHOOK_TOKEN",
    "LOG_RETENTION_DAYS",
    "EMAIL_TIMEOUT",
    "PUSH_TIMEOUT",
    "NOTIFICATION_STUCK_AFTER_SECONDS",
    "TIME_ZONE",
    "LANGUAGE_CODE",
}

WORKER_COMMAND = "celery -A config worker -l info -Q notifications,sync,maintenance --pool=threads --concurrency=16"
BEAT_COMMAND = "celery -A config beat -l info --scheduler django_celery_beat.schedulers:DatabaseScheduler"
HEALTH_PATH = "/api/v1/health/database/"
# `NAME=value`, or `# NAME=value` (no spaces) for a variable shown commented out with its default.
ENV_LINE = re.compile(r"^(?:([A-Z][A-Z0-9_]*)=(.*)|# ([A-Z][A-Z0-9_]*)=(\S*))$")


# --- helpers -----------------------------------------------------------------------------------------


def settings_variables() -> set[str]:
    """Every NAME in an env_str/env_bool/env_int/env_list("NAME", ...) call of config/settings.py."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ENV_READERS:
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"settings.py line {node.lineno}: the variable name must be a string literal"
            )
            names.add(first.value)
    return names


def env_example_lines() -> list[str]:
    return ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def env_example_variables() -> dict[str, bool]:
    """NAME -> True when assigned, False when only shown commented out (`# NAME=value`)."""
    found = {}
    for line in env_example_lines():
        match = ENV_LINE.match(line)
        if match:
            found.setdefault(match.group(1) or match.group(3), match.group(1) is not None)
    return found


def load_compose(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def command_text(command) -> str:
    return command if isinstance(command, str) else " ".join(command)


def python_c_code(test: list) -> str:
    """The script of a `["CMD", "python", "-c", code]` health check."""
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def readme_code_blocks(*paths: Path) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of the README (or of these documents), in order."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in (paths or (README,)))
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S)


def settings_in_subprocess(env_values: dict[str, str]) -> dict:
    """Import config.settings in a clean process with exactly these project variables (no .env file)."""
    project_vars = settings_variables() | SPEC_VARIABLES
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in project_vars
        and not (key.endswith("_FILE") and key[: -len("_FILE")] in project_vars)
        and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(env_values)
    script = (
        "import json, dotenv\n"
        "dotenv.load_dotenv = lambda *a, **k: False\n"  # a developer's own .env must not leak in
        "from config import settings as s\n"
        "names = [n for n in dir(s) if n.isupper()]\n"
        "print(json.dumps({n: getattr(s, n) for n in names}, default=str))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# --- .env.example ------------------------------------------------------------------------------------


def test_settings_reads_the_spec_variables():
    names = settings_variables()
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_BACKEND", "PUSH_ALLOWED_HOSTS"} <= names
    missing = (SPEC_VARIABLES - {"EMAIL_BACKEND"}) - names
    assert not missing, f"settings.py does not read: {sorted(missing)}"


def test_env_example_lists_every_variable_settings_reads():
    missing = settings_variables() - set(env_example_variables())
    assert not missing, f".env.example lacks: {sorted(missing)}"


def test_env_example_lists_every_spec_variable():
    missing = SPEC_VARIABLES - set(env_example_variables())
    assert not missing, f".env.example lacks: {sorted(missing)}"


def test_every_env_example_variable_has_a_comment_with_its_default():
    block: list[str] = []
    previous_was_variable = False
    for number, line in enumerate(env_example_lines(), start=1):
        if not line.strip():
            block, previous_was_variable = [], False
        elif ENV_LINE.match(line):
            name = ENV_LINE.match(line).group(1) or ENV_LINE.match(line).group(3)
            text = " ".join(block)
            assert block, f".env.example line {number}: {name} has no comment above it"
            assert "por defecto" in text.lower(), f".env.example line {number}: the comment of {name} gives no default"
            previous_was_variable = True
        elif line.startswith("# ---") or line.startswith("# ==="):
            block, previous_was_variable = [], False  # a section rule: the heading is no comment
        elif line.startswith("#"):
            if previous_was_variable:
                block, previous_was_variable = [], False
            block.append(line.lstrip("# ").strip())
        else:
            pytest.fail(f".env.example line {number} is neither a comment nor NAME=value: {line!r}")


def test_env_example_groups_follow_the_seed_readme():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    headings = [
        "Django Core",
        "Seguridad - API Interna",
        "Base de Datos",
        "Redis",
        "Email (SMTP)",
        "WhatsApp (Evolution API)",
        "Push Notifications (VAPID)",
        "Frontend",
        "Política de notificaciones",
        "Logs",
    ]
    positions = [text.find(f"# {heading}\n") for heading in headings]
    assert -1 not in positions, dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)


def test_env_example_is_a_local_development_setup():
    values = dotenv_values(ENV_EXAMPLE)
    assigned = env_example_variables()
    assert values["DEBUG"] == "True"
    # SQLite and in-process tasks: the database and broker URLs are only shown commented out.
    assert assigned["DATABASE_URL"] is False
    assert assigned["REDIS_URL"] is False
    # Secrets are never shipped with a value someone could deploy by mistake.
    assert values["SECRET_KEY"] == ""
    assert values["INTERNAL_API_SECRET_KEY"] == ""


def test_env_example_values_are_the_embedded_development_defaults():
    """Copying .env.example to .env changes nothing but DEBUG: no value it sets differs from the default
    (an empty list variable, for instance, would silently turn a feature off)."""
    values = {key: value for key, value in dotenv_values(ENV_EXAMPLE).items() if value is not None}
    with_example = settings_in_subprocess(values)
    defaults = settings_in_subprocess({"DEBUG": "true"})
    assert with_example["DEBUG"] is True
    assert with_example["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert with_example["CELERY_TASK_ALWAYS_EAGER"] is True
    different = {
        name: (with_example.get(name), defaults.get(name))
        for name in values
        if name in defaults and with_example.get(name) != defaults[name]
    }
    assert not different, f"(.env.example, default) differ: {different}"


# --- Dockerfile ----------------------------------------------------------------------------------------


def test_dockerfile_builds_one_non_root_image_with_gunicorn():
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert keywords.count("FROM") == 1
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    assert any("pip install -r requirements/production.txt" in run for run in runs)

    # collectstatic at build time, with DEBUG off and throwaway secrets that are not kept in the image.
    collect = next(run for run in runs if "collectstatic --noinput" in run)
    assert "DEBUG=false" in collect and "SECRET_KEY=" in collect and "INTERNAL_API_SECRET_KEY=" in collect
    env_lines = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "SECRET_KEY" not in env_lines

    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k in {"RUN", "COPY"})


def test_dockerfile_default_command_is_the_seed_gunicorn_command():
    instructions = dockerfile_instructions()
    env = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    cmd = json.loads(next(rest for keyword, rest in instructions if keyword == "CMD"))
    assert cmd[:2] == ["sh", "-c"]
    expanded = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], cmd[2])
    assert expanded.startswith(
        "exec gunicorn -c config/gunicorn.conf.py config.wsgi:application --bind 0.0.0.0:8000 --workers 4 "
    )
    assert "${GUNICORN_WORKERS}" in cmd[2] and "${GUNICORN_THREADS}" in cmd[2]


def test_dockerfile_healthcheck_asks_the_database_health_endpoint():
    healthcheck = next(rest for keyword, rest in dockerfile_instructions() if keyword == "HEALTHCHECK")
    options, _, command = healthcheck.partition("CMD ")
    assert "--interval=" in options
    code = python_c_code(["CMD", *json.loads(command)])
    assert HEALTH_PATH in code
    compile(code, "HEALTHCHECK", "exec")


def test_dockerignore_keeps_local_state_out_of_the_image():
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".env", ".dev-api-key", "db.sqlite3", "staticfiles"} <= ignored
    for needed in ("apps", "config", "requirements", "manage.py"):
        assert needed not in ignored


# --- docker compose ------------------------------------------------------------------------------------

COMPOSE_FILES = ["docker-compose.yml", "docker-compose.worker.yml", "docker-compose.beat.yml"]
ALLOWED_INTERPOLATIONS = {"DEBUG", "POSTGRES_PASSWORD", "WEB_PORT", "DATABASE_URL", "REDIS_URL"}


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_interpolates_only_known_variables(name):
    """A lone `$NAME` is replaced by Compose from the host: container-side variables must be written `$$`."""
    text = (ROOT / name).read_text(encoding="utf-8").replace("$$", "")
    used = set(re.findall(r"\$\{(\w+)", text))
    assert "$" not in re.sub(r"\$\{\w+(:?[-?][^}]*)?\}", "", text), "unescaped $ in " + name
    assert used <= ALLOWED_INTERPOLATIONS, used - ALLOWED_INTERPOLATIONS


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_services_use_the_one_image_and_an_optional_env_file(name):
    for service_name, service in load_compose(name)["services"].items():
        if service_name in {"redis", "postgres"}:
            continue
        assert service["build"] == "."
        assert service["image"] == "ambacar-notifications:latest"
        assert service["env_file"] == [{"path": ".env", "required": False}]


def test_full_stack_services_commands_and_dependencies():
    services = load_compose("docker-compose.yml")["services"]
    assert set(services) == {"web", "worker", "beat", "redis", "postgres", "migrate"}

    assert "gunicorn -c config/gunicorn.conf.py config.wsgi:application --bind 0.0.0.0:8000" in command_text(
        services["web"]["command"]
    )
    assert command_text(services["worker"]["command"]) == WORKER_COMMAND
    assert command_text(services["beat"]["command"]) == BEAT_COMMAND
    migrate = command_text(services["migrate"]["command"])
    assert "manage.py migrate --noinput" in migrate and "manage.py seed_initial_data" in migrate
    assert migrate.index("migrate --noinput") < migrate.index("seed_initial_data")
    assert services["migrate"]["restart"] == "no"

    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert re.fullmatch(r"postgres://postgres:\S+@postgres:5432/ambacar", env["DATABASE_URL"]), name
        assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert services["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]


def test_full_stack_redis_and_postgres():
    services = load_compose("docker-compose.yml")["services"]
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    command = command_text(redis["command"])
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command
    assert services["postgres"]["image"] == "postgres:15"
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "ambacar"
    volumes = load_compose("docker-compose.yml")["volumes"]
    assert {"postgres-data", "redis-data"} <= set(volumes)


def test_full_stack_every_long_running_service_has_a_health_check():
    services = load_compose("docker-compose.yml")["services"]
    for name in ("web", "worker", "beat", "redis", "postgres"):
        healthcheck = services[name]["healthcheck"]
        assert healthcheck["test"] and healthcheck["interval"], name
    assert "redis-cli ping" in command_text(services["redis"]["healthcheck"]["test"])
    assert "pg_isready" in command_text(services["postgres"]["healthcheck"]["test"])
    web_check = python_c_code(services["web"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:8000{HEALTH_PATH}" in web_check
    compile(web_check, "web healthcheck", "exec")
    assert services["migrate"]["healthcheck"] == {"disable": True}


def worker_and_beat_checks(services: dict) -> None:
    worker = command_text(services["worker"]["healthcheck"]["test"])
    assert "celery -A config inspect ping -d celery@$$HOSTNAME" in worker
    beat = services["beat"]["healthcheck"]["test"]
    assert beat[:4] == ["CMD", "python", "manage.py", "shell"]
    compile(beat[-1], "beat healthcheck", "exec")
    assert "last_run_at" in beat[-1]


def test_full_stack_worker_and_beat_health_checks():
    worker_and_beat_checks(load_compose("docker-compose.yml")["services"])


@pytest.mark.parametrize(
    ("name", "service", "command"),
    [("docker-compose.worker.yml", "worker", WORKER_COMMAND), ("docker-compose.beat.yml", "beat", BEAT_COMMAND)],
)
def test_standalone_files_run_one_service_against_external_services(name, service, command):
    compose = load_compose(name)
    assert set(compose["services"]) == {service}
    definition = compose["services"][service]
    assert command_text(definition["command"]) == command
    assert "depends_on" not in definition
    assert definition["environment"]["DATABASE_URL"].startswith("${DATABASE_URL:?")
    assert definition["environment"]["REDIS_URL"].startswith("${REDIS_URL:?")
    assert definition["healthcheck"]["test"]
    assert definition["restart"] == "unless-stopped"
    # Distinct project names: bringing one file up never treats another's containers as orphans.
    assert compose["name"].startswith("ambacar-notifications")


def test_standalone_health_checks_match_the_full_stack():
    full = load_compose("docker-compose.yml")["services"]
    worker = load_compose("docker-compose.worker.yml")["services"]["worker"]
    beat = load_compose("docker-compose.beat.yml")["services"]["beat"]
    assert worker["healthcheck"] == full["worker"]["healthcheck"]
    assert beat["healthcheck"] == full["beat"]["healthcheck"]
    worker_and_beat_checks({"worker": worker, "beat": beat})


def test_compose_project_names_are_distinct():
    names = [load_compose(name)["name"] for name in COMPOSE_FILES]
    assert len(set(names)) == len(names)


def _compose_plugin() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_is_valid(name):
    """Valid against the Compose Specification's JSON schema (vendored by check-jsonschema), so the check runs
    without a Docker engine; where the `docker compose` plugin exists, its own `config` must accept it too."""
    out = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    if not _compose_plugin():
        return
    env = {**os.environ, "DATABASE_URL": "postgres://u:p@db.example.com/x", "REDIS_URL": "redis://r.example.com/0"}
    out = subprocess.run(
        ["docker", "compose", "-f", name, "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr


# --- README --------------------------------------------------------------------------------------------


def test_readme_starts_with_make_run_and_make_test():
    text = README.read_text(encoding="utf-8")
    assert text.startswith("# Ambacar Notification Service\n")
    blocks = readme_code_blocks()
    assert [body.strip() for _, body in blocks[:2]] == ["make run", "make test"]
    # Right after the title and a short description.
    assert text.index("```bash\nmake run") < 1200


def test_readme_keeps_the_seed_manual_steps():
    bodies = [body.strip() for _, body in readme_code_blocks()]
    for step in (
        "pip install -r requirements/development.txt",
        "python manage.py migrate",
        "python manage.py seed_initial_data",
        "python manage.py runserver",
        WORKER_COMMAND,
        BEAT_COMMAND,
    ):
        assert any(step in body for body in bodies), step
    deploy = [body.strip() for _, body in readme_code_blocks(DOCS / "deploy.md")]
    for step in (
        "docker-compose up -d",
        "docker-compose -f docker-compose.worker.yml up -d",
        "docker-compose -f docker-compose.beat.yml up -d",
        "gunicorn -c config/gunicorn.conf.py config.wsgi:application --bind 0.0.0.0:8000 --workers 4",
        "python manage.py collectstatic --noinput",
        "make check-deploy",
    ):
        assert any(step in body for body in deploy), step
    assert any(body.startswith("cp .env.example .env") for body in bodies)
    assert any("-m venv" in body for body in bodies)
    assert "export API_KEY=$(tail -1 .dev-api-key)" in README.read_text(encoding="utf-8")


def test_the_configuration_guide_documents_every_variable():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = {name for name in settings_variables() | SPEC_VARIABLES if f"`{name}`" not in text}
    assert not missing, f"docs/configuration.md does not mention: {sorted(missing)}"
    assert "docs/configuration.md" in README.read_text(encoding="utf-8")


def test_the_catalog_guide_lists_the_nine_template_variables():
    text = (DOCS / "catalog.md").read_text(encoding="utf-8")
    for variable, key in [
        ("Nombre", "nombre"),
        ("Placa", "placa"),
        ("Vehículo", "vehiculo"),
        ("Fase", "fase"),
        ("Fecha", "fecha"),
        ("Hora", "hora"),
        ("Orden", "orden"),
        ("Técnico", "tecnico"),
        ("Taller", "taller"),
    ]:
        assert f"| `{{{{{variable}}}}}` | `{key}` |" in text, variable


def readme_curls() -> list[str]:
    """Every `curl` command of the README and its guides, continuation lines and multi-line quoted bodies joined."""
    commands = []
    for _, body in readme_code_blocks(*GUIDES):
        lines = body.replace("\\\n", " ").splitlines()
        while lines:
            line = lines.pop(0).strip()
            if not line.startswith("curl "):
                continue
            while True:
                try:
                    shlex.split(line)
                    break
                except ValueError:  # an open quote: the body goes on in the next line
                    line += "\n" + lines.pop(0)
            commands.append(line)
    return commands


def test_readme_has_curl_examples():
    curls = readme_curls()
    assert len(curls) >= 4
    assert any("/api/v1/notifications/catalog/" in c and "Api-Key $API_KEY" in c for c in curls)
    assert any(c == f"curl http://127.0.0.1:8000{HEALTH_PATH}" for c in curls)


def replay(curl: str, client_api, anon_api, settings):
    """One README `curl`, replayed with Django's test client: same method, path, headers and body."""
    args = shlex.split(curl.replace("$API_KEY", "API_KEY_PLACEHOLDER"))[1:]
    method, headers, url, data = "GET", {}, None, None
    while args:
        arg = args.pop(0)
        if arg in {"-X", "--request"}:
            method = args.pop(0)
        elif arg in {"-H", "--header"}:
            name, _, value = args.pop(0).partition(":")
            headers[name.strip().lower()] = value.strip()
        elif arg in {"-d", "--data"}:
            data = args.pop(0)
            method = "POST" if method == "GET" else method
        elif arg in {"-s", "-i"}:
            continue
        elif arg.startswith("http"):
            url = arg
        else:
            pytest.fail(f"unexpected curl argument {arg!r} in {curl!r}")
    assert url and url.startswith("http://127.0.0.1:8000/"), curl
    authorization = headers.pop("authorization", None)
    extra = {}
    if authorization is not None and authorization.startswith("Bearer "):
        settings.METRICS_TOKEN = "metrics-token-of-the-guide"
        extra["HTTP_AUTHORIZATION"] = authorization.replace("$METRICS_TOKEN", settings.METRICS_TOKEN)
        authorization = None
    elif authorization is not None:
        assert authorization == "Api-Key API_KEY_PLACEHOLDER", curl
    if "x-internal-secret" in headers:
        settings.INTERNAL_API_SECRET_KEY = "dev-internal-secret"
        extra["HTTP_X_INTERNAL_SECRET"] = headers.pop("x-internal-secret")
    if "idempotency-key" in headers:
        extra["HTTP_IDEMPOTENCY_KEY"] = headers.pop("idempotency-key")
    content_type = headers.pop("content-type", "application/json")
    assert not headers, f"unsupported headers in {curl!r}: {headers}"
    client = client_api if authorization else anon_api
    path = url.removeprefix("http://127.0.0.1:8000")
    return client.generic(method, path, data or "", content_type=content_type, **extra)


@pytest.mark.django_db(transaction=True)
def test_readme_curls_work_in_order_against_the_app(client_api, anon_api, settings):
    """Every `curl` of the README, in the order a reader runs them after `make run` (seeded, DEBUG-like
    channels: email on the console backend, WhatsApp and push not configured)."""
    from django.core.management import call_command

    call_command("seed_initial_data", verbosity=0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    task_id = ""
    for curl in readme_curls():
        response = replay(curl.replace("$TASK_ID", task_id), client_api, anon_api, settings)
        if response.get("Content-Type", "").startswith("application/json") and isinstance(response.json(), dict):
            task_id = response.json().get("task_id") or task_id  # the guide's `export TASK_ID=…`
        assert 200 <= response.status_code < 300, (curl, response.status_code, response.content[:400])
        if curl.endswith(HEALTH_PATH):
            assert response.json()["status"] == "healthy"
