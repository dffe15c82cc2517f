"""POST /api/webhooks/evolution/: WhatsApp delivery and read receipts move a sent row forward, never back."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo, DeliveryReceipt, Dispatch, NotificationLog
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.receipts import receipts_purge_unmatched
from apps.notifications.views.receipts import V1_EXAMPLE, V2_EXAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/webhooks/evolution/"
TOKEN = "evo-webhook-token"


@pytest.fixture
def evo(settings):
    settings.EVOLUTION_WEBHOOK_TOKEN = TOKEN
    settings.EVOLUTION_INSTANCE = "ambacar"
    client = APIClient()
    client.credentials(HTTP_X_WEBHOOK_TOKEN=TOKEN)
    return client


@pytest.fixture
def sent_row(client_api, fake_senders):
    """The seed's dispatch, sent on WhatsApp by the fake sender with provider id `whatsapp-1`."""
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    r = client_api.post("/api/v1/notifications/events/dispatch/", DISPATCH_EXAMPLE, format="json")
    assert r.status_code == 202, r.content
    row = NotificationLog.objects.get(dispatch_id=r.json()["dispatch_id"])
    assert (row.channel, row.status, row.provider_message_id) == ("whatsapp", "sent", "whatsapp-1")
    return row


def update(status, key="whatsapp-1", *, version="v2", **data):
    if version == "v1":
        item = {**V1_EXAMPLE["data"], "id": key, "status": status, **data}
        return {**V1_EXAMPLE, "data": item}
    return {**V2_EXAMPLE, "data": {**V2_EXAMPLE["data"], "keyId": key, "status": status, **data}}


def post(client, body, url=URL):
    return client.post(url, body, format="json")


def test_delivery_ack_marks_row_and_dispatch_delivered(evo, sent_row, client_api):
    r = post(evo, update("DELIVERY_ACK"))
    assert r.status_code == 200, r.content
    assert r.json() == {"status": "ok", "recorded": 1, "duplicates": 0, "applied": 1, "ignored": 0}
    sent_row.refresh_from_db()
    assert sent_row.status == "delivered" and sent_row.delivered_at is not None and sent_row.read_at is None
    detail = client_api.get(f"/api/v1/notifications/dispatches/{sent_row.dispatch_id}/").json()
    assert detail["status"] == "delivered"
    assert detail["notifications"][0]["status"] == "delivered"
    assert detail["notifications"][0]["delivered_at"] is not None


def test_read_then_late_delivery_never_goes_back(evo, sent_row):
    assert post(evo, update("READ")).json()["applied"] == 1
    sent_row.refresh_from_db()
    assert sent_row.status == "read" and sent_row.read_at is not None
    assert sent_row.delivered_at == sent_row.read_at  # a read message was delivered, at the latest then
    late = post(evo, update("DELIVERY_ACK")).json()
    assert (late["recorded"], late["applied"]) == (1, 0)
    sent_row.refresh_from_db()
    assert sent_row.status == "read"
    assert Dispatch.objects.get(id=sent_row.dispatch_id).status == "read"


def test_repeated_receipt_is_counted_once(evo, sent_row):
    post(evo, update("DELIVERY_ACK"))
    again = post(evo, update("DELIVERY_ACK")).json()
    assert again == {"status": "ok", "recorded": 0, "duplicates": 1, "applied": 0, "ignored": 0}
    assert DeliveryReceipt.objects.filter(notification=sent_row).count() == 1


def test_v1_body_with_token_in_query_and_its_own_timestamp(settings, sent_row):
    settings.EVOLUTION_WEBHOOK_TOKEN = TOKEN
    settings.EVOLUTION_INSTANCE = "ambacar"
    at = timezone.now().replace(microsecond=0) - timedelta(minutes=3)
    body = update("READ", version="v1", datetime=int(at.timestamp() * 1000))
    r = post(APIClient(), body, url=f"{URL}?token={TOKEN}")
    assert r.status_code == 200, r.content
    sent_row.refresh_from_db()
    assert (sent_row.status, sent_row.read_at) == ("read", at)


@pytest.mark.parametrize("url", ["/api/webhooks/evolution", "/api/webhooks/evolution/messages-update"])
def test_url_without_slash_and_by_events_suffix_work(evo, sent_row, url):
    assert post(evo, update("DELIVERY_ACK"), url=url).json()["applied"] == 1


def test_receipt_before_the_send_is_recorded_applies_when_it_is(evo, client_api, fake_senders):
    """Evolution may confirm before the send task stored the message id: the task applies it then."""
    early = post(evo, update("DELIVERY_ACK")).json()
    assert (early["recorded"], early["applied"]) == (1, 0)
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza", phone="+593991234567")
    r = client_api.post("/api/v1/notifications/events/dispatch/", DISPATCH_EXAMPLE, format="json")
    row = NotificationLog.objects.get(dispatch_id=r.json()["dispatch_id"])
    assert (row.status, row.provider_message_id) == ("delivered", "whatsapp-1")
    assert DeliveryReceipt.objects.get().notification_id == row.id


@pytest.mark.parametrize(
    "body",
    [
        update("SERVER_ACK"),
        update("DELIVERY_ACK", fromMe=False),
        {**update("DELIVERY_ACK"), "event": "send.message"},
        {**update("DELIVERY_ACK"), "event": "connection.update"},
        {**update("DELIVERY_ACK"), "instance": "otra-instancia"},
        {"event": "messages.update", "instance": "ambacar", "data": {"status": "READ"}},
        update(["READ"]),
        update({"code": 4}),
        update(True),
        update("READ", key=123),
        update("READ", key="A" * 201),
        {"event": "messages.update", "instance": "ambacar", "data": "READ"},
    ],
    ids=[
        "server-ack",
        "incoming",
        "send-message",
        "connection",
        "other-instance",
        "no-id",
        "list-status",
        "object-status",
        "bool-status",
        "numeric-id",
        "id-too-long",
        "data-not-object",
    ],  # fmt: skip
)
def test_what_is_not_our_receipt_is_acknowledged_and_ignored(evo, sent_row, body):
    r = post(evo, body)
    assert r.status_code == 200
    assert r.json()["status"] == "ignored"
    sent_row.refresh_from_db()
    assert sent_row.status == "sent"
    assert not DeliveryReceipt.objects.exists()


def test_a_nul_in_an_id_is_refused_at_the_edge_and_nothing_changes(evo, sent_row):
    r = post(evo, update("READ", key="\x00abc"))
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {"code": "null_character", "detail": r.json()["errors"][0]["detail"], "attr": "data.keyId"}
    ]
    sent_row.refresh_from_db()
    assert sent_row.status == "sent"
    assert not DeliveryReceipt.objects.exists()


def test_numeric_status_codes_and_a_list_of_updates(evo, sent_row):
    body = {**V2_EXAMPLE, "data": [{"keyId": "whatsapp-1", "status": 3, "fromMe": True}, {"keyId": "x", "status": 1}]}
    assert post(evo, body).json() == {"status": "ok", "recorded": 1, "duplicates": 0, "applied": 1, "ignored": 1}


def test_unknown_message_is_kept_a_while_then_purged(evo, db):
    assert post(evo, update("READ", key="3EB0FFFFFFFF")).json()["applied"] == 0
    assert receipts_purge_unmatched() == 0
    assert receipts_purge_unmatched(now=timezone.now() + timedelta(days=8)) == 1


def test_missing_or_wrong_token_is_401(settings, sent_row):
    settings.EVOLUTION_WEBHOOK_TOKEN = TOKEN
    missing = post(APIClient(), update("READ"))
    assert missing.status_code == 401
    assert missing.json()["type"] == "client_error"
    wrong = APIClient()
    wrong.credentials(HTTP_X_WEBHOOK_TOKEN="not-the-token")
    assert post(wrong, update("READ")).status_code == 401
    assert post(APIClient(), update("READ"), url=f"{URL}?token=nope").status_code == 401
    sent_row.refresh_from_db()
    assert sent_row.status == "sent"


def test_api_key_is_not_a_webhook_token(settings, client_api):
    settings.EVOLUTION_WEBHOOK_TOKEN = TOKEN
    assert post(client_api, update("READ")).status_code == 401


def test_receipts_off_without_a_token_configured(settings, db):
    settings.EVOLUTION_WEBHOOK_TOKEN = ""
    client = APIClient()
    client.credentials(HTTP_X_WEBHOOK_TOKEN="")
    r = post(client, update("READ"), url=f"{URL}?token=")
    assert r.status_code == 404
    assert "EVOLUTION_WEBHOOK_TOKEN" in r.json()["errors"][0]["detail"]


@pytest.mark.parametrize("body", ['["no", "un", "objeto"]', "{roto"])
def test_a_body_that_is_not_a_json_object_is_400(evo, db, body):
    r = evo.post(URL, body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["type"] in ("client_error", "validation_error")


def test_daily_purge_takes_receipts_with_their_rows_and_drops_strays(evo, sent_row, settings):
    settings.LOG_RETENTION_DAYS = 30
    post(evo, update("READ"))
    post(evo, update("READ", key="3EB0FFFFFFFF"))
    DeliveryReceipt.objects.filter(provider_message_id="3EB0FFFFFFFF").update(
        received_at=timezone.now() - timedelta(days=8)
    )
    NotificationLog.objects.filter(id=sent_row.id).update(created_at=timezone.now() - timedelta(days=31))
    from apps.notifications.services.maintenance import notification_logs_purge

    assert notification_logs_purge() == 1
    assert not DeliveryReceipt.objects.exists()
