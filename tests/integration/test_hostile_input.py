"""Hostile input: every value that used to be a 500 (issue 9), and the classic attacks, gets a clear 4xx in the
documented shape; nothing stored changes, and nothing PostgreSQL refuses reaches it or the log."""

import io
import json
import logging
import time

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from apps.core.exception_handler import exception_handler
from apps.core.logging import DatabaseErrorTextFilter
from apps.notifications.models import (
    CustomerContactInfo,
    DeliveryReceipt,
    Dispatch,
    IdempotencyRecord,
    MaintenanceReminder,
    NotificationTemplate,
    PushSubscription,
    Vehicle,
)
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.rendering import RENDERED_MAX_CHARS, TEMPLATE_TEXT_MAX_CHARS
from apps.synchronization.models import SyncBatch
from tests.services import postgres_or_fail

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"
DISPATCH = f"{API}/events/dispatch/"
PREVIEW = f"{API}/templates/preview/"
WEBHOOK = "/api/webhooks/evolution/"
WEBHOOK_TOKEN = "evo-webhook-token"


@pytest.fixture
def vehicle(customer):
    return Vehicle.objects.create(vehicle_id="vehicle-001", customer=customer, plate="ABC123", brand="Haval")


@pytest.fixture
def internal() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_INTERNAL_SECRET=django_settings.INTERNAL_API_SECRET_KEY)
    return client


@pytest.fixture
def evo(settings) -> APIClient:
    settings.EVOLUTION_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    client = APIClient()
    client.credentials(HTTP_X_WEBHOOK_TOKEN=WEBHOOK_TOKEN)
    return client


def send(client, method: str, url: str, body=None, **extra):
    """`body` as JSON text (hostile values cannot all go through a Python dict) or as an object."""
    text = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, text, content_type="application/json", **extra)


def assert_refused(response, code: str, attr: str | None, status: int = 400) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "client_error"
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [(code, attr)]
    assert body["errors"][0]["detail"]


def dispatch_text(context: str) -> str:
    """The seed's dispatch example with `context` spliced in as raw JSON text."""
    return json.dumps({**DISPATCH_EXAMPLE, "context": "@CONTEXT@"}).replace('"@CONTEXT@"', context)


# --- The 500s of issue 9, one test each ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "attr"),
    [
        ("post", f"{API}/reminders/", {"vehicle_id": "vehicle\x00001", "due_mileage": 5000}, "vehicle_id"),
        ("post", f"{API}/vehicles/", {"vehicle_id": "v-9", "customer_id": "customer\x00001"}, "customer_id"),
        (
            "post",
            f"{API}/templates/",
            {"name": "x", "phase": "phase\x00-repair", "channel": "whatsapp", "target": "clients", "body": "Hola"},
            "phase",
        ),
        ("post", f"{API}/orchestration/", {"service_type": "averia\x00", "target": "staff"}, "service_type"),
        ("post", f"{API}/push/subscribe/", {"customer_id": "customer\x00001", "subscription": {}}, "customer_id"),
    ],
)
def test_nul_in_a_slug_or_an_external_id_in_a_body_is_400(client_api, vehicle, method, url, body, attr):
    assert_refused(send(client_api, method, url, body), "null_character", attr)


@pytest.mark.parametrize(
    ("url", "attr"),
    [
        (f"{API}/customers/customer%00001/", "customer_id"),
        (f"{API}/customers/customer%00001/vehicles/", "customer_id"),
        (f"{API}/vehicles/vehicle%00001/", "vehicle_id"),
        (f"{API}/push/status/customer%00001/", "customer_id"),
        (f"{API}/templates/for_context/?service_type=averia%00&phase=phase-repair&channel=email&target=clients",
         "service_type"),
        (f"{API}/customers/?search=Carlos%00", "search"),
        (f"{API}/vehicles/?plate=ABC%00", "plate"),
    ],
)  # fmt: skip
def test_nul_in_a_url_path_id_or_a_query_parameter_is_400(client_api, vehicle, url, attr):
    assert_refused(client_api.get(url), "null_character", attr)


@pytest.mark.parametrize(
    ("context", "code", "attr"),
    [
        ('{"Nombre\\u0000": "Carlos"}', "null_character", "context"),
        ('{"Nombre": "Carlos \\u0000 Mendoza"}', "null_character", "context.Nombre"),
        ('{"Nombre": "Carlos \\ud800"}', "lone_surrogate", "context.Nombre"),
        ('{"placa": 1e400}', "non_finite_number", "context.placa"),
        ('{"placa": NaN}', "non_finite_number", "context.placa"),
    ],
)
def test_unstorable_dispatch_context_is_400_and_nothing_is_stored(
    client_api, customer, fake_senders, context, code, attr
):
    assert_refused(send(client_api, "post", DISPATCH, dispatch_text(context)), code, attr)
    assert not Dispatch.objects.exists()


def test_a_lone_surrogate_with_an_idempotency_key_is_400_and_the_key_stays_free(client_api, customer, fake_senders):
    # The body fingerprint used to call .encode() on it.
    hostile = send(client_api, "post", DISPATCH, dispatch_text('{"Nombre": "\\udc00"}'), HTTP_IDEMPOTENCY_KEY="k-1")
    assert_refused(hostile, "lone_surrogate", "context.Nombre")
    assert not IdempotencyRecord.objects.exists()
    assert send(client_api, "post", DISPATCH, DISPATCH_EXAMPLE, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 202


def test_a_lone_surrogate_in_the_evolution_webhook_is_400_and_nothing_is_recorded(evo, seeded):
    body = '{"event": "messages.update", "instance": "ambacar", "data": {"keyId": "3EB0\\ud800", "status": "READ"}}'
    assert_refused(send(evo, "post", WEBHOOK, body), "lone_surrogate", "data.keyId")
    assert not DeliveryReceipt.objects.exists()


@pytest.mark.parametrize(
    ("client", "url"),
    [
        ("client_api", f"{API}/customers/"),
        ("client_api", DISPATCH),
        ("client_api", PREVIEW),
        ("client_api", f"{API}/customers/customer-001/update_preferences/"),
        ("internal", "/api/internal/v1/customers/sync/"),
        ("evo", WEBHOOK),
    ],
)
@pytest.mark.parametrize("depth", [33, 1000, 50_000])
def test_json_nested_deeper_than_the_limit_is_400_on_every_endpoint(request, customer, client, url, depth):
    # 1000 deep was an uncaught RecursionError (500) on every endpoint; 900 deep was fine.
    response = send(request.getfixturevalue(client), "post", url, '{"a":' * depth + "1" + "}" * depth)
    assert_refused(response, "nesting_too_deep", None)


def test_infinity_elsewhere_is_refused_not_stored_as_the_text_inf(client_api, seeded):
    response = send(client_api, "post", f"{API}/customers/", '{"customer_id": "c-inf", "name": 1e400}')
    assert_refused(response, "non_finite_number", "name")
    assert not CustomerContactInfo.objects.filter(customer_id="c-inf").exists()


@pytest.mark.parametrize(
    ("client", "method", "url"),
    [
        ("client_api", "post", f"{API}/customers/"),
        ("client_api", "put", f"{API}/customers/customer-001/"),
        ("client_api", "post", f"{API}/vehicles/"),
        ("client_api", "post", f"{API}/reminders/"),
        ("client_api", "post", DISPATCH),
        ("client_api", "post", f"{API}/templates/"),
        ("client_api", "post", PREVIEW),
        ("client_api", "post", f"{API}/orchestration/"),
        ("client_api", "post", f"{API}/push/subscribe/"),
        ("client_api", "delete", f"{API}/push/subscribe/"),
        ("internal", "post", "/api/internal/v1/customers/sync/"),
        ("internal", "post", "/api/internal/v1/vehicles/sync/"),
        ("evo", "post", WEBHOOK),
    ],
)
def test_a_body_over_the_limit_is_413_on_every_endpoint(request, settings, customer, client, method, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.SYNC_MAX_BODY_BYTES = 10_000  # the sync webhooks' own limit (10,000-item batches)
    response = send(request.getfixturevalue(client), method, url, {"name": "x" * 20_000})
    assert_refused(response, "request_too_large", None, status=413)
    assert "10000 bytes" in response.json()["errors"][0]["detail"]
    customer.refresh_from_db()
    assert customer.name == "Carlos Mendoza"


def test_a_4_mb_webhook_body_is_413(evo, seeded):
    body = {"event": "messages.update", "instance": "ambacar", "data": [{"keyId": "x" * 100}] * 40_000}
    assert_refused(send(evo, "post", WEBHOOK, body), "request_too_large", None, status=413)


def test_a_2_mb_preview_is_refused_at_once_instead_of_rendering_800_mb(client_api, seeded):
    started = time.perf_counter()
    response = send(client_api, "post", PREVIEW, {"body": "{{Nombre}}" * 200_000, "context": {"Nombre": "x" * 4000}})
    assert response.status_code == 400
    assert len(response.content) < 5_000 and time.perf_counter() - started < 2
    assert {e["attr"] for e in response.json()["errors"]} == {"body", "context.Nombre"}


def test_a_preview_whose_rendering_would_be_too_large_is_400(client_api, seeded):
    body = "{{Nombre}}" * (TEMPLATE_TEXT_MAX_CHARS // 10)
    started = time.perf_counter()
    response = send(client_api, "post", PREVIEW, {"body": body, "context": {"Nombre": "x" * 1000}})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "rendered_too_large", "detail": response.json()["errors"][0]["detail"], "attr": "context"}
    ]
    assert str(RENDERED_MAX_CHARS) in response.json()["errors"][0]["detail"]
    assert len(response.content) < 5_000 and time.perf_counter() - started < 2


def test_a_dispatch_whose_rendering_would_be_too_large_is_400_and_nothing_is_stored(client_api, customer, fake_senders):
    NotificationTemplate.objects.filter(phase__slug="phase-schedule", channel="whatsapp").update(
        body="{{Nombre}} " * 370
    )
    body = {**DISPATCH_EXAMPLE, "context": {**DISPATCH_EXAMPLE["context"], "nombre": "N" * 1000}}
    response = send(client_api, "post", DISPATCH, body)
    assert response.status_code == 400, response.content
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == [("rendered_too_large", "context")]
    assert not Dispatch.objects.exists()
    assert fake_senders["whatsapp"].sent == []


@pytest.fixture
def console_log():
    """What the configured console handler (LOGGING in settings) writes."""
    [console] = [
        h for h in logging.getLogger().handlers if any(isinstance(f, DatabaseErrorTextFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = console.setStream(stream)
    yield stream
    console.setStream(previous)


def test_postgresql_error_text_never_reaches_the_log(console_log):
    """jsonb's `CONTEXT: JSON data, line 1: {"Nombre": "Carlos Mendoza…` copies a customer's data into the
    message; a 500 is logged with the error class and SQLSTATE only."""
    postgres_or_fail()
    name = " ".join(["Rosa", "Quishpe", "Tenesaca"])  # not in any source line a traceback could show
    payload = json.dumps({"Nombre": name}).replace(name, name + "\\u0000")
    request = Request(APIRequestFactory().post(DISPATCH))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT %s::jsonb", [payload])
    except DatabaseError as exc:
        assert "Quishpe" in str(exc)  # what PostgreSQL says, and what must not be logged
        response = exception_handler(exc, {"request": request, "view": None})
        logging.getLogger("apps.test").warning("sync failed: %s", exc)
    assert response.status_code == 500
    written = console_log.getvalue()
    assert "Traceback" in written and "UntranslatableCharacter" in written and "SQLSTATE 22P05" in written
    assert "Quishpe" not in written and "JSON data" not in written


# --- Classic attacks -------------------------------------------------------------------------------------


def test_crlf_in_an_email_is_400_and_in_a_name_never_leaves_its_line(client_api, internal, seeded):
    for url, body, attr in [
        (f"{API}/customers/", {"customer_id": "c-1", "email": "ana@example.com\r\nBcc: evil@example.com"}, "email"),
        ("/api/internal/v1/customers/sync/", {"customers": [{"customer_id": "c-2", "email": "a@b.ec\nX: y"}]},
         "customers.0.email"),
    ]:  # fmt: skip
        response = send(client_api if url.startswith(API) else internal, "post", url, body)
        assert response.status_code == 400 and attr in [e["attr"] for e in response.json()["errors"]]
    assert not CustomerContactInfo.objects.exists()

    name = "Ana\r\nBcc: evil@example.com"
    assert send(client_api, "post", f"{API}/customers/", {"customer_id": "c-3", "name": name}).status_code == 201
    preview = send(
        client_api,
        "post",
        PREVIEW,
        {"channel": "email", "subject": "Hola {{Nombre}}", "body": "{{Nombre}}", "context": {"Nombre": name}},
    ).json()
    assert "\r" not in preview["subject"] and "\n" not in preview["subject"]


def test_script_in_the_context_is_escaped_in_html_and_plain_in_whatsapp(
    client_api, customer, fake_senders, django_capture_on_commit_callbacks
):
    script = "<script>alert('x')</script>"
    email = send(
        client_api,
        "post",
        PREVIEW,
        {
            "channel": "email",
            "subject": "Hola {{Nombre}}",
            "body": "Hola {{Nombre}}",
            "html_body": "<p>Hola {{Nombre}}</p>",
            "context": {"Nombre": script},
        },
    ).json()
    assert email["html_body"] == "<p>Hola &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</p>"
    assert email["body"] == f"Hola {script}"

    body = {**DISPATCH_EXAMPLE, "context": {**DISPATCH_EXAMPLE["context"], "nombre": script}}
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client_api, "post", DISPATCH, body).status_code == 202
    [message] = fake_senders["whatsapp"].sent
    assert script in message.body


def _wrong_values(right: str) -> list[str]:
    lengths = range(len(right) * 2 + 2)
    return ["", *{("x" * n) for n in lengths}, *{right[:n] for n in range(len(right))}, right + "x", right.upper()]


def test_a_wrong_internal_secret_of_any_length_is_401(seeded):
    right = django_settings.INTERNAL_API_SECRET_KEY
    for value in [*_wrong_values(right), "ñ" * len(right), right + "é"]:
        client = APIClient()
        client.credentials(HTTP_X_INTERNAL_SECRET=value)
        response = send(client, "post", "/api/internal/v1/customers/sync/", {"customer_id": "c-1"})
        assert response.status_code == 401, (value, response.content)
    assert not SyncBatch.objects.exists()


def test_a_wrong_api_key_of_any_length_is_401(api_key, seeded):
    for value in [*_wrong_values(api_key), "ñ" * 40, f"{api_key.split('.')[0]}.é"]:
        response = APIClient().get(f"{API}/customers/", HTTP_AUTHORIZATION=f"Api-Key {value}")
        assert response.status_code == 401, (value, response.content)


def test_a_wrong_webhook_token_of_any_length_is_401(evo, seeded):
    for value in _wrong_values(WEBHOOK_TOKEN):
        client = APIClient()
        if value:
            client.credentials(HTTP_X_WEBHOOK_TOKEN=value)
        assert send(client, "post", WEBHOOK, {"event": "messages.update"}).status_code == 401, value


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("HTTP_AUTHORIZATION", "Api-Key abc\x00.def"),
        ("HTTP_X_INTERNAL_SECRET", "x\x00"),
        ("HTTP_COOKIE", 'sessionid="abcdefgh\\000"'),
    ],
)
def test_nul_in_a_header_or_a_cookie_is_400_before_any_lookup(seeded, header, value):
    response = APIClient().get(f"{API}/customers/", **{header: value})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == "null_character"


@pytest.mark.parametrize(
    ("endpoint", "code"),
    [
        ("https://127.0.0.1/push", "push_endpoint_ip_literal"),
        ("https://[::1]/push", "push_endpoint_ip_literal"),
        ("https://169.254.169.254/latest/meta-data/", "push_endpoint_ip_literal"),
        ("https://localhost/push", "push_endpoint_host_not_allowed"),
        ("https://fcm.googleapis.com.evil.example/push", "push_endpoint_host_not_allowed"),
        ("http://fcm.googleapis.com/fcm/send/x", "push_endpoint_not_https"),
        ("https://fcm.googleapis.com:8443/fcm/send/x", "push_endpoint_port"),
        ("https://user:pass@fcm.googleapis.com/fcm/send/x", "push_endpoint_userinfo"),
        ("file:///etc/passwd", "push_endpoint_not_https"),
    ],
)
def test_ssrf_push_endpoints_stay_refused(client_api, customer, settings, endpoint, code):
    settings.PUSH_ALLOWED_HOSTS = ["fcm.googleapis.com"]
    settings.PUSH_ALLOW_INSECURE_ENDPOINTS = False
    keys = {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg"}  # fmt: skip
    body = {"customer_id": "customer-001", "subscription": {"endpoint": endpoint, "keys": keys}}
    response = send(client_api, "post", f"{API}/push/subscribe/", body)
    assert response.status_code == 400
    assert ("subscription.endpoint", code) in [(e["attr"], e["code"]) for e in response.json()["errors"]]
    assert not PushSubscription.objects.exists()


def test_hostile_input_leaves_stored_reminders_alone(client_api, vehicle):
    reminder = MaintenanceReminder.objects.create(vehicle=vehicle, customer=vehicle.customer, due_mileage=20000)
    url = f"{API}/reminders/{reminder.pk}/"
    for body in ['{"description": "a\\u0000"}', '{"due_mileage": 1e400}', "[" * 100 + "]" * 100]:
        assert send(client_api, "patch", url, body).status_code == 400
    reminder.refresh_from_db()
    assert (reminder.description, reminder.due_mileage) == ("", 20000)
