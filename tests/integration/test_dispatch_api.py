"""POST events/dispatch/ and GET dispatches/{id}/ with fakes at the channel port, tasks run in-process."""

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    IdempotencyRecord,
    NotificationLog,
    OrchestrationConfig,
    PhaseChannelConfig,
)
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/events/dispatch/"


def post(client, body=None, **headers):
    return client.post(URL, body or SEED_EXAMPLE, format="json", **headers)


def test_seed_example_is_accepted_and_sent_on_whatsapp(client_api, customer, fake_senders):
    r = post(client_api)
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued"
    assert body["channel_plan"] == ["whatsapp", "email"]
    assert body["notifications"][0]["channel"] == "whatsapp"
    assert [e["channel"] for e in body["excluded_channels"]] == ["push"]
    assert r["Location"].endswith(f"/dispatches/{body['dispatch_id']}/")

    [message] = fake_senders["whatsapp"].sent
    assert message.recipient == "+593991234567"
    assert "Carlos Mendoza" in message.body and "ABC123" in message.body
    assert "{{" not in message.body
    assert fake_senders["email"].sent == []
    dispatch = Dispatch.objects.get(id=body["dispatch_id"])
    assert dispatch.status == "sent"
    row = dispatch.notifications.get()
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 1, "whatsapp-1")
    assert row.queued_at is not None and row.queued_at <= row.sent_at


def test_customer_preferences_order_the_plan(client_api, customer, fake_senders):
    customer.channel_preferences.create(channel="email", priority=1)
    customer.channel_preferences.create(channel="whatsapp", priority=2)
    r = post(client_api)
    assert r.json()["channel_plan"] == ["email", "whatsapp"]
    [message] = fake_senders["email"].sent
    assert message.recipient == "carlos@example.com"
    assert message.subject and "{{" not in message.html_body


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"service_type_id": "no-existe"}, "service_type_id"),
        ({"phase_id": "phase-nope"}, "phase_id"),
        ({"target": "everyone"}, "target"),
        ({"event_type": "vehicle_exploded"}, "event_type"),
        ({"subtype_id": "averia-frenos"}, "subtype_id"),
        ({"context": "texto"}, "context"),
    ],
)
def test_malformed_input_is_400_naming_the_field(client_api, customer, fake_senders, change, attr):
    r = post(client_api, {**SEED_EXAMPLE, **change})
    assert r.status_code == 400, r.content
    assert r.json()["type"] == "validation_error"
    assert attr in [e["attr"] for e in r.json()["errors"]]
    assert Dispatch.objects.count() == 0


def test_subtype_slug_as_service_type_resolves_its_main_type(client_api, customer, fake_senders):
    r = post(client_api, {**SEED_EXAMPLE, "service_type_id": "averia-frenos", "phase_id": "phase-reception"})
    assert r.status_code == 202, r.content
    dispatch = Dispatch.objects.get()
    assert (dispatch.service_type.slug, dispatch.subtype.slug) == ("averia-revision", "averia-frenos")


def test_every_bad_field_is_named_in_one_400(client_api, seeded):
    r = post(client_api, {**SEED_EXAMPLE, "service_type_id": "x", "phase_id": "y", "event_type": "z"})
    assert r.status_code == 400
    assert {e["attr"] for e in r.json()["errors"]} == {"service_type_id", "phase_id", "event_type"}


def test_unknown_customer_is_422(client_api, seeded, fake_senders):
    r = post(client_api)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "unknown_customer"


def test_no_orchestration_config_is_422(client_api, customer, fake_senders):
    OrchestrationConfig.objects.filter(service_type__slug="mantenimiento-preventivo", target="clients").update(
        is_active=False
    )
    r = post(client_api)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "no_orchestration_config"


def test_no_channel_enabled_is_422(client_api, customer, fake_senders):
    PhaseChannelConfig.objects.filter(
        config__service_type__slug="mantenimiento-preventivo", config__target="clients", phase__slug="phase-schedule"
    ).update(is_enabled=False)
    r = post(client_api)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "no_channel_enabled"


def test_no_reachable_channel_names_each_reason(client_api, customer, fake_senders):
    CustomerContactInfo.objects.filter(pk=customer.pk).update(email="", phone="")
    PhaseChannelConfig.objects.filter(config__target="clients", phase__slug="phase-schedule", channel="push").update(
        is_enabled=True
    )
    r = post(client_api)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors[0]["code"] == "no_reachable_channel"
    reasons = {e["attr"]: e["code"] for e in errors[1:]}
    assert reasons == {"whatsapp": "unreachable", "email": "unreachable", "push": "unreachable"}


def test_unconfigured_channel_is_skipped_with_a_reason(client_api, customer, fake_senders):
    fake_senders["whatsapp"].configured = False
    r = post(client_api)
    assert r.status_code == 202
    assert r.json()["channel_plan"] == ["email"]
    reasons = {e["channel"]: e["code"] for e in r.json()["excluded_channels"]}
    assert reasons["whatsapp"] == "channel_not_configured"


def test_missing_variables_are_listed(client_api, customer, fake_senders):
    context = {k: v for k, v in SEED_EXAMPLE["context"].items() if k not in ("fecha", "hora")}
    r = post(client_api, {**SEED_EXAMPLE, "context": context})
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["code"] == "missing_variables"
    assert sorted(body["missing_variables"]) == ["Fecha", "Hora"]
    assert NotificationLog.objects.count() == 0


def test_known_values_fill_the_gaps_and_the_request_wins(client_api, customer, fake_senders):
    context = {"fecha": "1 de Marzo", "hora": "09:00", "placa": "PBX-1234", "vehiculo": "Kia Rio"}
    r = post(client_api, {**SEED_EXAMPLE, "context": context})
    assert r.status_code == 202, r.content
    [message] = fake_senders["whatsapp"].sent
    assert "Carlos Mendoza" in message.body  # from the customer record
    assert "PBX-1234" in message.body


def test_vehicle_in_context_fills_plate_and_must_be_the_customers(client_api, customer, fake_senders):
    from apps.notifications.models import Vehicle

    Vehicle.objects.create(vehicle_id="veh-1", customer=customer, plate="GBA-1234", brand="Haval", model="H6")
    other = CustomerContactInfo.objects.create(customer_id="customer-002", name="Ana Torres", phone="+593987654321")
    Vehicle.objects.create(vehicle_id="veh-9", customer=other, plate="PCX-9999", brand="Kia")
    context = {"fecha": "1 de Marzo", "hora": "09:00", "vehicle_id": "veh-1"}
    assert post(client_api, {**SEED_EXAMPLE, "context": context}).status_code == 202
    [message] = fake_senders["whatsapp"].sent
    assert "GBA-1234" in message.body and "Haval H6" in message.body

    r = post(client_api, {**SEED_EXAMPLE, "context": {**context, "vehicle_id": "veh-9"}})
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert (error["code"], error["attr"]) == ("vehicle_customer_mismatch", "context.vehicle_id")
    assert "veh-9" in error["detail"]
    assert len(fake_senders["whatsapp"].sent) == 1


def test_transient_failures_retry_then_fall_back_to_email(client_api, customer, fake_senders, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0
    fake_senders["whatsapp"].fail_next(*[SendError("HTTP 500")] * 4)
    r = post(client_api)
    assert r.status_code == 202
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert (whatsapp.channel, whatsapp.status, whatsapp.attempts, whatsapp.error_kind) == (
        "whatsapp",
        "failed",
        4,
        "transient",
    )
    assert whatsapp.attempt_rows.count() == 4
    assert (email.channel, email.status, email.fallback_from_id) == ("email", "sent", whatsapp.id)
    assert dispatch.status == "sent"
    assert fake_senders["whatsapp"].calls == 4 and len(fake_senders["email"].sent) == 1

    detail = client_api.get(f"/api/v1/notifications/dispatches/{dispatch.id}/").json()
    assert [n["channel"] for n in detail["notifications"]] == ["whatsapp", "email"]
    assert detail["notifications"][0]["attempts"] == 4
    assert detail["notifications"][0]["error"] == "HTTP 500"
    assert detail["notifications"][0]["recipient"] != "+593991234567"
    assert detail["notifications"][1]["fallback_from"] == str(whatsapp.id)


def test_permanent_failure_falls_back_without_retrying(client_api, customer, fake_senders):
    fake_senders["whatsapp"].fail_next(SendError("número no está en WhatsApp", ErrorKind.PERMANENT))
    r = post(client_api)
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert (whatsapp.status, whatsapp.attempts, whatsapp.error_kind) == ("failed", 1, "permanent")
    assert email.status == "sent"


def test_unknown_outcome_is_never_resent_on_whatsapp(client_api, customer, fake_senders):
    fake_senders["whatsapp"].fail_next(SendError("read timeout", ErrorKind.UNKNOWN_OUTCOME))
    r = post(client_api)
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert (whatsapp.attempts, whatsapp.error_kind) == (1, "unknown_outcome")
    assert fake_senders["whatsapp"].calls == 1
    assert email.status == "sent"


@pytest.mark.parametrize("error", [RuntimeError("adapter bug"), SoftTimeLimitExceeded()], ids=["bug", "soft-limit"])
def test_anything_unexpected_inside_the_whatsapp_send_is_an_unknown_outcome(client_api, customer, fake_senders, error):
    fake_senders["whatsapp"].fail_next(error)
    r = post(client_api)
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert (whatsapp.status, whatsapp.attempts, whatsapp.error_kind) == ("failed", 1, "unknown_outcome")
    assert fake_senders["whatsapp"].calls == 1
    assert email.status == "sent"


def test_an_unknown_outcome_on_email_is_sent_again_on_email(client_api, customer, fake_senders, settings):
    """Email is at least once: every attempt carries the row's Message-ID, so a mailbox drops the duplicate."""
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0
    CustomerContactInfo.objects.filter(pk=customer.pk).update(phone="")  # plan: email only
    fake_senders["email"].fail_next(SendError("sin confirmación tras DATA", ErrorKind.UNKNOWN_OUTCOME))
    r = post(client_api)
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    [email] = dispatch.notifications.all()
    assert (email.channel, email.status, email.attempts) == ("email", "sent", 2)
    assert list(email.attempt_rows.values_list("error_kind", flat=True)) == ["unknown_outcome", ""]


def test_all_channels_failed_marks_the_dispatch_failed(client_api, customer, fake_senders):
    fake_senders["whatsapp"].fail_next(SendError("bad", ErrorKind.PERMANENT))
    fake_senders["email"].fail_next(SendError("refused", ErrorKind.PERMANENT))
    r = post(client_api)
    dispatch = Dispatch.objects.get(id=r.json()["dispatch_id"])
    assert dispatch.status == "failed"
    assert dispatch.completed_at is not None
    assert list(dispatch.notifications.values_list("status", flat=True)) == ["failed", "failed"]


def test_idempotency_key_replays_and_sends_once(client_api, customer, fake_senders):
    first = post(client_api, HTTP_IDEMPOTENCY_KEY="evt-123")
    second = post(client_api, HTTP_IDEMPOTENCY_KEY="evt-123")
    assert first.status_code == second.status_code == 202
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Dispatch.objects.count() == 1
    assert len(fake_senders["whatsapp"].sent) == 1


def test_idempotency_key_with_another_body_is_422(client_api, customer, fake_senders):
    post(client_api, HTTP_IDEMPOTENCY_KEY="evt-123")
    r = post(client_api, {**SEED_EXAMPLE, "event_type": "vehicle_received"}, HTTP_IDEMPOTENCY_KEY="evt-123")
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_idempotency_key_in_flight_is_409(client_api, customer, fake_senders, api_key):
    from rest_framework_api_key.models import APIKey

    from apps.notifications.services.idempotency import body_fingerprint

    key_id = APIKey.objects.get_from_key(api_key).prefix
    IdempotencyRecord.objects.create(client=f"key:{key_id}", key="evt-9", fingerprint=body_fingerprint(SEED_EXAMPLE))
    r = post(client_api, HTTP_IDEMPOTENCY_KEY="evt-9")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "idempotency_request_in_flight"


def test_malformed_request_releases_its_idempotency_key(client_api, customer, fake_senders):
    r = post(client_api, {**SEED_EXAMPLE, "target": "nadie"}, HTTP_IDEMPOTENCY_KEY="evt-7")
    assert r.status_code == 400
    r = post(client_api, HTTP_IDEMPOTENCY_KEY="evt-7")
    assert r.status_code == 202


def test_dispatch_requires_api_key(anon_api, customer, fake_senders):
    assert post(anon_api).status_code == 401


def test_unknown_dispatch_is_404(client_api, db):
    r = client_api.get("/api/v1/notifications/dispatches/6f1c2f0e-8d1a-4f7e-9a57-0b8f0f3f2a11/")
    assert r.status_code == 404
    assert r.json()["type"] == "client_error"


def test_the_request_id_follows_the_dispatch_into_a_later_send(client_api, customer, fake_senders, settings):
    """A worker sending the row (here: a retry outside the request) logs under the request that accepted it."""
    from apps.core.logging import request_id_var
    from apps.notifications.services.delivery import notification_send

    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0
    fake_senders["whatsapp"].fail_next(SendError("HTTP 500"))
    seen = []
    original = fake_senders["whatsapp"].send
    fake_senders["whatsapp"].send = lambda message: seen.append(request_id_var.get()) or original(message)
    from config.celery import app

    app.conf.task_always_eager = False  # the request only stores and tries to enqueue
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("apps.notifications.tasks.send_notification_task.apply_async", lambda *a, **k: None)
            r = post(client_api, HTTP_X_REQUEST_ID="reqfollows0001")
    finally:
        app.conf.task_always_eager = True
    row_id = r.json()["notifications"][0]["id"]
    assert request_id_var.get() == "-"
    notification_send(notification_id=row_id)  # fails (transient) and is queued for a retry
    notification_send(notification_id=row_id)
    assert seen == ["reqfollows0001", "reqfollows0001"]
    assert request_id_var.get() == "-"  # reset: the next task of the worker is not mislabelled
