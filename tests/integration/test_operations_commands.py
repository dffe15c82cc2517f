"""The operator's commands (SPEC §13): a test message through the real adapters, the Evolution webhook registered,
VAPID keys generated, and a periodic task run by hand from the command line and from the admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.test import override_settings

from apps.core.webpush import p256_point_decode
from apps.notifications.adapters import reset_senders
from apps.notifications.adapters.push import _load_vapid
from apps.notifications.models import CustomerContactInfo, PushSubscription
from tests.e2e.conftest import Inbox
from tests.fakes.evolution_server import EvolutionServer
from tests.fakes.push_service import FakePushService, new_vapid_keys
from tests.services import free_port, redis_db_url, redis_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def evolution(settings):
    with EvolutionServer(apikey="ops-key", instance="ambacar", unregistered=("+593990000000",)) as server:
        settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY = server.url, "ops-key"
        settings.EVOLUTION_INSTANCE, settings.WHATSAPP_DAILY_CAP = "ambacar", 1000000
        reset_senders()
        yield server
    reset_senders()


# --- send_test_notification ------------------------------------------------------------------------------------


def test_a_whatsapp_test_message_goes_through_the_real_adapter(evolution):
    code, output = run("send_test_notification", "--channel", "whatsapp", "--to", "0991234567")
    assert code == 0 and output.startswith("OK: WhatsApp aceptado por Evolution API (instancia ambacar")
    [(number, text)] = evolution.sent_texts()
    assert number == "593991234567" and "Mensaje de prueba" in text


def test_a_whatsapp_test_message_that_fails_exits_1_saying_why(evolution):
    code, output = run("send_test_notification", "--channel", "whatsapp", "--to", "+593990000000")
    assert code == 1 and "ERROR: Falló (permanente): El número" in output and "no tiene WhatsApp" in output


def test_an_email_test_message_reaches_a_real_smtp_server(settings):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=controller.port,
        ):
            reset_senders()
            code, output = run("send_test_notification", "--channel", "email", "--to", "ops@example.com")
    finally:
        controller.stop()
        reset_senders()
    assert code == 0 and output.startswith("OK: Email aceptado")
    [(recipients, message)] = inbox.messages
    assert recipients == ["ops@example.com"] and message["Subject"] == "Prueba de Ambacar Notificaciones"


def test_a_push_test_message_reaches_every_device_of_the_customer(settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    settings.VAPID_CONTACT_EMAIL = "soporte@ambacar.ec"
    settings.PUSH_ALLOWED_HOSTS, settings.PUSH_ALLOW_INSECURE_ENDPOINTS = ["localhost"], True
    reset_senders()
    customer = CustomerContactInfo.objects.create(customer_id="CLI-9", name="Ana")
    with FakePushService(endpoint_host="localhost", app_server_key=settings.VAPID_PUBLIC_KEY) as service:
        for sid in ("phone", "laptop"):
            info = service.new_subscription(sid)
            PushSubscription.objects.create(customer=customer, endpoint=info["endpoint"], **info["keys"])
        code, output = run("send_test_notification", "--channel", "push", "--to", "CLI-9")
        assert len(service.received["phone"]) == len(service.received["laptop"]) == 1
    reset_senders()
    assert code == 0 and "Push aceptada en 2 de 2 dispositivos" in output


@pytest.mark.parametrize(("channel", "to"), [("email", "no es un email"), ("whatsapp", "12")])
def test_a_wrong_recipient_exits_1(evolution, channel, to):
    code, output = run("send_test_notification", "--channel", channel, "--to", to)
    assert code == 1 and "Destinatario inválido" in output


# --- configure_evolution_webhook -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_the_webhook_is_registered_with_the_token_and_the_events(settings, version):
    with EvolutionServer(apikey="ops-key", instance="ambacar", version=version, extra_instances=("cuenca",)) as evo:
        settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY, settings.EVOLUTION_INSTANCE = (
            evo.url,
            "ops-key",
            "ambacar",
        )
        settings.EVOLUTION_API_VERSION, settings.EVOLUTION_WEBHOOK_TOKEN = version, "hook-token"
        reset_senders()
        code, output = run(
            "configure_evolution_webhook", "--url", "https://avisos.ambacar.ec", "--instance", "ambacar",
            "--instance", "cuenca",
        )  # fmt: skip
        hooks = [r for r in evo.received if r.path.startswith("/webhook/set/")]
    reset_senders()
    assert code == 0 and output.count("OK ") == 2
    assert [r.path for r in hooks] == ["/webhook/set/ambacar", "/webhook/set/cuenca"]
    body = hooks[0].json
    if version == "v2":
        config = body["webhook"]
        assert config["url"] == "https://avisos.ambacar.ec/api/webhooks/evolution/"
        assert config["headers"] == {"X-Webhook-Token": "hook-token"}
    else:
        config = body
        assert config["url"] == "https://avisos.ambacar.ec/api/webhooks/evolution/?token=hook-token"
    assert config["enabled"] is True
    assert config["events"] == ["MESSAGES_UPDATE", "SEND_MESSAGE", "CONNECTION_UPDATE"]


def test_without_a_webhook_token_nothing_is_registered(evolution, settings):
    settings.EVOLUTION_WEBHOOK_TOKEN = ""
    code, output = run("configure_evolution_webhook", "--url", "https://avisos.ambacar.ec")
    assert code == 1 and "EVOLUTION_WEBHOOK_TOKEN" in output
    assert not [r for r in evolution.received if r.path.startswith("/webhook/set/")]


# --- generate_vapid_keys -------------------------------------------------------------------------------------------


def test_vapid_keys_are_three_env_lines_that_work_together():
    code, output = run("generate_vapid_keys", "--email", "soporte@ambacar.ec")
    lines = dict(line.split("=", 1) for line in output.strip().splitlines())
    assert code == 0 and list(lines) == ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_CONTACT_EMAIL"]
    assert len(p256_point_decode(lines["VAPID_PUBLIC_KEY"])) == 65
    _load_vapid(lines["VAPID_PRIVATE_KEY"], lines["VAPID_PUBLIC_KEY"])  # raises if they do not match
    assert lines["VAPID_CONTACT_EMAIL"] == "soporte@ambacar.ec"


# --- a periodic task by hand ---------------------------------------------------------------------------------------


def test_celery_call_runs_from_the_command_line():
    """`celery -A config call <task>` used to fail before Django was set up (the result backend's models)."""
    url = redis_db_url(redis_or_fail(), 10)
    client = redis.Redis.from_url(url)
    client.flushdb()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(DEBUG="true", REDIS_URL=url)
    proc = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "call", "notifications.probe_channels"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    [message] = [json.loads(raw) for raw in client.lrange("maintenance", 0, -1)]
    assert message["headers"]["task"] == "notifications.probe_channels"
    assert message["headers"]["id"] == proc.stdout.strip()
    client.flushdb()


def test_a_periodic_task_runs_from_the_admin(admin_client, fake_senders, settings):
    from django_celery_beat.models import PeriodicTask

    # DEBUG is off in tests, so the manifest storage would want a collectstatic run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("seed_initial_data", verbosity=0)
    task = PeriodicTask.objects.get(name="probe_channels")
    response = admin_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "run_tasks", "_selected_action": [str(task.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert "1" in message and "error" not in message.lower()
