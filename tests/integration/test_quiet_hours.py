"""Quiet hours of a taller's channel, enforced at send time: the row waits as pending (no attempt counted,
nothing sent) until `next_attempt_at`, then the relay sweep sends it once. Tasks run in-process, the channel
port is faked, the clock is frozen with time-machine (03:00 in Guayaquil is inside 21:00–07:00)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.notifications.admin.channels import TallerChannelConfigForm
from apps.notifications.models import (
    CustomerContactInfo,
    Dispatch,
    NotificationAttempt,
    NotificationLog,
    Taller,
    TallerChannelConfig,
)
from apps.notifications.services.outbox import notification_relay_pending
from apps.notifications.services.quiet_hours import row_quiet_hours_end
from apps.notifications.services.send_statements import notification_for_send
from apps.notifications.services.transitions import DEFERRED
from apps.notifications.tasks import retry_failed_notifications, send_notification_task

pytestmark = pytest.mark.django_db(transaction=True)

GYE = ZoneInfo("America/Guayaquil")
URL = "/api/v1/notifications/events/dispatch/"
AT_3AM = datetime(2026, 1, 20, 3, 0, tzinfo=GYE)
END = datetime(2026, 1, 20, 7, 0, tzinfo=GYE)
BODY = {
    "event_type": "vehicle_received",
    "service_type_id": "mantenimiento-preventivo",
    "phase_id": "phase-reception",
    "customer_id": "customer-001",
    "target": "clients",
    "context": {"placa": "ABC123", "vehiculo": "Haval H6 2024"},
}


@pytest.fixture
def seeded(db, fake_senders):
    call_command("seed_initial_data", verbosity=0)
    CustomerContactInfo.objects.create(
        customer_id="customer-001", name="Carlos Mendoza", email="carlos@example.com", phone="+593991234567"
    )
    return fake_senders


def quiet(channel: str, *, taller=None, start=time(21, 0), end=time(7, 0)) -> None:
    taller = taller or Taller.objects.get(is_default=True)
    TallerChannelConfig.objects.update_or_create(
        taller=taller, channel=channel, defaults={"quiet_hours_start": start, "quiet_hours_end": end}
    )


def dispatch_at(client_api, when: datetime, **changes) -> Dispatch:
    with time_machine.travel(when, tick=False):
        r = client_api.post(URL, {**BODY, **changes}, format="json")
    assert r.status_code == 202, r.content
    return Dispatch.objects.get(id=r.json()["dispatch_id"])


def relay_at(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return notification_relay_pending(grace=timedelta(0))


def test_inside_quiet_hours_nothing_is_sent_and_no_attempt_is_counted(client_api, seeded):
    quiet("whatsapp")
    with time_machine.travel(AT_3AM, tick=False):
        r = client_api.post(URL, BODY, format="json")
        # The API still answers 202 at once with the plan.
        assert r.status_code == 202, r.content
        assert r.json()["channel_plan"] == ["whatsapp", "email"]
        dispatch_id = r.json()["dispatch_id"]
        detail = client_api.get(f"/api/v1/notifications/dispatches/{dispatch_id}/").json()
        summary = client_api.get("/api/v1/analytics/summary/?days=1").json()
    assert seeded["whatsapp"].calls == 0 and seeded["email"].calls == 0  # no fallback to email either
    row = NotificationLog.objects.get(dispatch_id=dispatch_id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, END)
    assert not NotificationAttempt.objects.filter(notification=row).exists()
    assert detail["status"] == "queued"
    [shown] = detail["notifications"]
    assert (shown["channel"], shown["status"], shown["attempts"]) == ("whatsapp", "pending", 0)
    assert datetime.fromisoformat(shown["next_attempt_at"]) == END
    assert (summary["totals"]["pending"], summary["totals"]["sent"]) == (1, 0)


def test_the_sweeps_do_not_send_before_the_end_and_the_relay_sends_once_after(client_api, seeded):
    quiet("whatsapp")
    dispatch = dispatch_at(client_api, AT_3AM)
    row = dispatch.notifications.get()
    just_before = END - timedelta(seconds=1)
    assert relay_at(just_before) == 0
    with time_machine.travel(just_before, tick=False):
        # Hours after the deferral the row looks stuck, but its next_attempt_at is still ahead.
        assert retry_failed_notifications.apply().get()["requeued"] == 0
    assert seeded["whatsapp"].calls == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)

    assert relay_at(END) == 1
    assert relay_at(END + timedelta(minutes=1)) == 0
    [message] = seeded["whatsapp"].sent
    assert message.recipient == "+593991234567"
    assert seeded["whatsapp"].calls == 1
    row.refresh_from_db()
    dispatch.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 1, None)
    assert dispatch.status == "sent"


def test_a_taller_without_quiet_hours_is_unaffected(client_api, seeded):
    quiet("email")  # another channel's quiet hours
    quiet("whatsapp", taller=Taller.objects.create(slug="taller-norte", name="Taller Norte"))  # another taller
    dispatch = dispatch_at(client_api, AT_3AM)
    assert len(seeded["whatsapp"].sent) == 1
    row = dispatch.notifications.get()
    assert (row.status, row.attempts, row.next_attempt_at) == ("sent", 1, None)


def test_the_dispatch_taller_decides_over_the_default_one(client_api, seeded):
    norte = Taller.objects.create(slug="taller-norte", name="Taller Norte")
    quiet("whatsapp", taller=norte)
    dispatch = dispatch_at(client_api, AT_3AM, taller_id="taller-norte")
    assert seeded["whatsapp"].calls == 0
    assert dispatch.notifications.get().status == "pending"
    # The default taller's quiet hours do not hold back a dispatch of a taller without them.
    quiet("whatsapp")
    TallerChannelConfig.objects.filter(taller=norte).delete()
    dispatch_at(client_api, AT_3AM, taller_id="taller-norte")
    assert seeded["whatsapp"].calls == 1


def test_quiet_hours_are_read_in_the_tallers_timezone(client_api, seeded):
    Taller.objects.filter(is_default=True).update(timezone="Europe/Madrid")
    quiet("whatsapp")
    dispatch_at(client_api, AT_3AM)  # 09:00 in Madrid: outside its quiet hours
    assert seeded["whatsapp"].calls == 1
    # 16:00 in Guayaquil is 22:00 in Madrid: quiet until 07:00 Madrid time.
    dispatch = dispatch_at(client_api, datetime(2026, 1, 20, 16, 0, tzinfo=GYE))
    assert seeded["whatsapp"].calls == 1
    assert dispatch.notifications.get().next_attempt_at == datetime(2026, 1, 21, 6, 0, tzinfo=UTC)


def test_staff_notifications_wait_for_the_end_of_the_quiet_hours(client_api, seeded):
    taller = Taller.objects.get(is_default=True)
    TallerChannelConfig.objects.filter(taller=taller, channel="whatsapp").update(
        staff_recipients=["+593991111111"], quiet_hours_start=time(21, 0), quiet_hours_end=time(7, 0)
    )
    context = {**BODY["context"], "nombre": "Carlos Mendoza"}
    dispatch = dispatch_at(client_api, AT_3AM, target="staff", customer_id=None, context=context)
    assert dispatch.channel_plan == ["whatsapp"]
    assert seeded["whatsapp"].calls == 0
    assert relay_at(END - timedelta(minutes=1)) == 0
    assert relay_at(END) == 1
    [message] = seeded["whatsapp"].sent
    assert message.recipient == "+593991111111"
    assert dispatch.notifications.get().status == "sent"


def test_a_fallback_row_in_quiet_hours_waits_too(client_api, seeded):
    quiet("email")
    seeded["whatsapp"].fail_next(SendError("no está en WhatsApp", ErrorKind.PERMANENT))
    dispatch = dispatch_at(client_api, AT_3AM)
    whatsapp, email = dispatch.notifications.order_by("created_at")
    assert whatsapp.status == "failed"
    assert (email.status, email.attempts, email.next_attempt_at) == ("pending", 0, END)
    assert seeded["email"].calls == 0
    assert relay_at(END) == 1
    assert len(seeded["email"].sent) == 1


def test_the_send_task_defers_a_queued_row_without_retrying(client_api, seeded):
    quiet("whatsapp")
    row = dispatch_at(client_api, AT_3AM).notifications.get()
    # As a row the broker holds (queued) when the worker takes it, an hour later, still in quiet hours.
    NotificationLog.objects.filter(pk=row.pk).update(status="queued", next_attempt_at=None)
    with time_machine.travel(AT_3AM + timedelta(hours=1), tick=False):
        assert send_notification_task.apply(args=[str(row.pk)]).get() == DEFERRED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, END)
    assert seeded["whatsapp"].calls == 0


def test_the_row_and_its_quiet_hours_are_one_query(client_api, seeded, django_assert_num_queries):
    quiet("whatsapp")
    row = dispatch_at(client_api, AT_3AM).notifications.get()
    with django_assert_num_queries(1):
        read = notification_for_send(row.pk)
        assert row_quiet_hours_end(read.quiet_hours, now=AT_3AM) == END
    # A row without a dispatch takes the default taller's settings.
    NotificationLog.objects.filter(pk=row.pk).update(dispatch=None)
    with django_assert_num_queries(1):
        read = notification_for_send(row.pk)
        assert row_quiet_hours_end(read.quiet_hours, now=AT_3AM) == END
    assert row_quiet_hours_end(read.quiet_hours, now=END) is None
    # Another channel of the same taller has none.
    NotificationLog.objects.filter(pk=row.pk).update(channel="email")
    assert notification_for_send(row.pk).quiet_hours is None


@pytest.mark.parametrize(
    ("start", "end", "valid"),
    [("21:00", "07:00", True), ("", "", True), ("21:00", "", False), ("07:00", "07:00", False)],
)
def test_admin_form_refuses_half_or_empty_quiet_hours(seeded, start, end, valid):
    config = TallerChannelConfig.objects.get(taller__is_default=True, channel="whatsapp")
    data = {
        "taller": config.taller_id,
        "channel": "whatsapp",
        "is_enabled": "on",
        "staff_recipients": "",
        "quiet_hours_start": start,
        "quiet_hours_end": end,
    }
    form = TallerChannelConfigForm(data=data, instance=config)
    assert form.is_valid() is valid, form.errors
