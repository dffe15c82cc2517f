"""The admin's "resend" action goes through the normal delivery flow."""

import pytest
from django.core.management import call_command

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def static_without_manifest(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def dispatch_sent_on_whatsapp(client_api) -> NotificationLog:
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(customer_id="c-1", name="Ana", email="ana@example.com", phone="+593991234567")
    body = {
        "event_type": "vehicle_received",
        "service_type_id": "mantenimiento-preventivo",
        "phase_id": "phase-reception",
        "customer_id": "c-1",
        "context": {"placa": "ABC123", "vehiculo": "Kia Rio"},
    }
    r = client_api.post("/api/v1/notifications/events/dispatch/", body, format="json")
    original = NotificationLog.objects.get(dispatch_id=r.json()["dispatch_id"])
    assert original.status == "sent"
    return original


def resend(admin_client, row):
    return admin_client.post(
        "/admin/notifications/notificationlog/",
        {"action": "resend", "_selected_action": [str(row.id)]},
        follow=True,
    )


def test_resend_creates_a_new_row_and_sends_it(admin_client, client_api, fake_senders):
    original = dispatch_sent_on_whatsapp(client_api)
    response = admin_client.post(
        "/admin/notifications/notificationlog/",
        {"action": "resend", "_selected_action": [str(original.id)]},
        follow=True,
    )
    assert response.status_code == 200
    rows = NotificationLog.objects.filter(dispatch_id=original.dispatch_id).order_by("created_at")
    assert [(row.channel, row.status) for row in rows] == [("whatsapp", "sent"), ("whatsapp", "sent")]
    assert len(fake_senders["whatsapp"].sent) == 2
    assert fake_senders["whatsapp"].sent[0].body == fake_senders["whatsapp"].sent[1].body
    assert Dispatch.objects.get(id=original.dispatch_id).status == "sent"


def test_a_resend_never_moves_a_finished_dispatch_back(admin_client, client_api, fake_senders):
    original = dispatch_sent_on_whatsapp(client_api)
    Dispatch.objects.filter(id=original.dispatch_id).update(status="read")
    fake_senders["whatsapp"].fail_next(SendError("401 Unauthorized", ErrorKind.PERMANENT))
    assert resend(admin_client, original).status_code == 200
    assert Dispatch.objects.get(id=original.dispatch_id).status == "read"
    # The copy failed on WhatsApp and, like any row, the plan went on to email.
    rows = NotificationLog.objects.filter(dispatch_id=original.dispatch_id).order_by("created_at")
    assert [(row.channel, row.status) for row in rows] == [
        ("whatsapp", "sent"),
        ("whatsapp", "failed"),
        ("email", "sent"),
    ]


def test_a_resend_reopens_a_failed_dispatch(admin_client, client_api, fake_senders):
    original = dispatch_sent_on_whatsapp(client_api)
    Dispatch.objects.filter(id=original.dispatch_id).update(status="failed")
    assert resend(admin_client, original).status_code == 200
    assert Dispatch.objects.get(id=original.dispatch_id).status == "sent"
