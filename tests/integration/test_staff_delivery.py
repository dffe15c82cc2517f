"""A staff dispatch to several numbers (SPEC §13): one row and one send per address, each with its own outcome,
provider id and receipts; a retry goes only to the numbers that did not get it; the next channel is tried only
when no number of the channel got it. Tasks run in-process, the channel port is faked."""

from datetime import UTC, datetime

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from apps.core.constants import ErrorKind, NotificationStatus
from apps.core.exceptions import SendError
from apps.core.ports import Receipt
from apps.notifications.models import Dispatch
from apps.notifications.services.receipts import receipt_record
from apps.notifications.tasks import send_notification_task
from tests.factories import ASESOR, BODEGA, JEFE, STAFF_BODY, rows_by_recipient

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/events/dispatch/"


def dispatch(client_api) -> Dispatch:
    response = client_api.post(URL, STAFF_BODY, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["channel_plan"] == ["whatsapp", "email"]
    return Dispatch.objects.get(id=response.json()["dispatch_id"])


def test_each_number_gets_its_own_row_send_and_provider_id(client_api, staff):
    d = dispatch(client_api)

    assert sorted(staff["whatsapp"].recipients()) == [JEFE, ASESOR, BODEGA]
    by_number = rows_by_recipient(d, "whatsapp")
    assert sorted(by_number) == [JEFE, ASESOR, BODEGA]
    assert {row.status for row in by_number.values()} == {"sent"}
    assert len({row.provider_message_id for row in by_number.values()}) == 3
    assert staff["email"].sent == []
    d.refresh_from_db()
    assert d.status == "sent"
    # The 202 names every row of the first channel.
    detail = client_api.get(f"/api/v1/notifications/dispatches/{d.id}/").json()
    assert [n["recipient"] for n in detail["notifications"]] == ["+593******111", "+593******222", "+593******333"]


def test_a_retry_goes_only_to_the_number_that_did_not_get_it(client_api, staff, settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0
    staff["whatsapp"].fail_next(None, SendError("Evolution API respondió 503."), None)  # ASESOR, on the 1st try

    d = dispatch(client_api)

    assert staff["whatsapp"].calls == 4  # three numbers, then the retry: ASESOR alone
    assert sorted(staff["whatsapp"].recipients()) == [JEFE, ASESOR, BODEGA]
    by_number = rows_by_recipient(d, "whatsapp")
    assert [(by_number[n].status, by_number[n].attempts) for n in (JEFE, ASESOR, BODEGA)] == [
        ("sent", 1),
        ("sent", 2),
        ("sent", 1),
    ]


def test_a_number_not_on_whatsapp_does_not_bring_the_email_when_others_got_it(client_api, staff):
    staff["whatsapp"].fail_next(SendError("no tiene WhatsApp", ErrorKind.PERMANENT, code="not_on_whatsapp"))

    d = dispatch(client_api)

    by_number = rows_by_recipient(d, "whatsapp")
    assert (by_number[JEFE].status, by_number[JEFE].error_kind) == ("failed", "permanent")
    assert by_number[ASESOR].status == by_number[BODEGA].status == "sent"
    assert staff["email"].sent == [] and not rows_by_recipient(d, "email")
    d.refresh_from_db()
    assert d.status == "sent"


def test_when_no_number_got_it_the_email_goes_to_every_staff_address_once(client_api, staff):
    staff["whatsapp"].fail_next(*[SendError("API key inválida", ErrorKind.PERMANENT)] * 3)

    d = dispatch(client_api)

    assert {row.status for row in rows_by_recipient(d, "whatsapp").values()} == {"failed"}
    emails = rows_by_recipient(d, "email")
    assert sorted(emails) == ["bodega@taller.ec", "jefe@taller.ec"]
    assert {row.status for row in emails.values()} == {"sent"}
    # The last WhatsApp row to fail brought them, and brought them once.
    assert len({row.fallback_from_id for row in emails.values()}) == 1
    assert sorted(staff["email"].recipients()) == ["bodega@taller.ec", "jefe@taller.ec"]
    d.refresh_from_db()
    assert d.status == "sent"


def test_a_soft_time_limit_mid_send_is_an_unknown_outcome_never_resent(client_api, staff):
    staff["whatsapp"].fail_next(None, SoftTimeLimitExceeded())  # ASESOR's request was in flight

    d = dispatch(client_api)

    by_number = rows_by_recipient(d, "whatsapp")
    assert (by_number[ASESOR].status, by_number[ASESOR].error_kind) == ("failed", ErrorKind.UNKNOWN_OUTCOME)
    assert by_number[ASESOR].attempts == 1
    assert staff["whatsapp"].calls == 3  # ASESOR was not asked again, nor were the others
    assert sorted(staff["whatsapp"].recipients()) == [JEFE, BODEGA]
    assert staff["email"].sent == []  # two numbers got it


def test_receipts_apply_to_their_own_number(client_api, staff):
    d = dispatch(client_api)
    by_number = rows_by_recipient(d, "whatsapp")
    at = datetime(2026, 1, 20, 14, 0, tzinfo=UTC)

    receipt_record(receipt=Receipt("whatsapp", by_number[ASESOR].provider_message_id, NotificationStatus.DELIVERED, at))
    receipt_record(receipt=Receipt("whatsapp", by_number[BODEGA].provider_message_id, NotificationStatus.READ, at))

    statuses = {number: row.status for number, row in rows_by_recipient(d, "whatsapp").items()}
    assert statuses == {JEFE: "sent", ASESOR: "delivered", BODEGA: "read"}
    d.refresh_from_db()
    assert d.status == "read"


def test_a_redelivered_task_of_one_number_sends_nothing(client_api, staff):
    d = dispatch(client_api)
    row = rows_by_recipient(d, "whatsapp")[ASESOR]

    assert send_notification_task.apply(args=[str(row.id)]).get() == "skipped"
    assert len(staff["whatsapp"].sent) == 3
