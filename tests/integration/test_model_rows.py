"""The send's and the dispatch's reads build their instances from a plain cursor's row (apps/core/rows.py): every
concrete field as the ORM reads it, with the backend's converters applied (SQLite keeps UUIDs as hex text)."""

import pytest
from django.db import connection
from django.utils import timezone

from apps.notifications.models import CustomerContactInfo, NotificationLog
from apps.notifications.services.plan import customer_with_facts
from apps.notifications.services.send_statements import notification_for_send
from tests.factories import dispatch_with_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def assert_as_the_orm_reads_it(read, model, pk) -> None:
    stored = model.objects.get(pk=pk)
    for field in model._meta.concrete_fields:
        mine, theirs = getattr(read, field.attname), getattr(stored, field.attname)
        assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    assert not read._state.adding and read._state.db == "default"


def test_the_send_reads_its_row_as_the_orm_does(customer):
    [row] = dispatch_with_rows(customer=customer, plan=("email",), recipients={"email": ["carlos@example.com"]})
    NotificationLog.objects.filter(id=row.id).update(next_attempt_at=timezone.now(), round=2)
    read = notification_for_send(row.id)
    assert_as_the_orm_reads_it(read, NotificationLog, row.id)
    assert read.request_id == "" and read.quiet_hours is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement customer read is PostgreSQL's")
def test_the_dispatch_reads_its_customer_as_the_orm_does(customer):
    CustomerContactInfo.objects.filter(pk=customer.pk).update(synced_at=timezone.now())
    read = customer_with_facts(customer.customer_id)
    assert_as_the_orm_reads_it(read, CustomerContactInfo, customer.pk)
    assert (read.preference_channels, read.push_ids, read.phone_absent) == ([], [], False)
