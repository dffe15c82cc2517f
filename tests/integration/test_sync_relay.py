"""Sync batches in the Beat sweeps (SPEC §7, §11): nothing accepted is lost, finished batches are purged.

A dead broker is a real one: Celery points at a port where nothing listens, so publishing fails the way it
does when Redis is down. "The broker is back" is the suite's eager mode: the relayed task runs in-process.
"""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.queue import broker_was_reset
from apps.notifications.models import CustomerContactInfo, Vehicle
from apps.notifications.tasks import purge_old_notification_logs, relay_pending_notifications
from apps.synchronization import tasks
from apps.synchronization.models import SyncBatch
from apps.synchronization.services import sync_batches_purge, sync_batches_relay_pending
from tests.services import dead_broker, postgres_or_fail

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS_URL = "/api/internal/v1/customers/sync/"
VEHICLES_URL = "/api/internal/v1/vehicles/sync/"
PENDING, QUEUED, DONE, FAILED = SyncBatch.Status.values


@pytest.fixture
def internal() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_INTERNAL_SECRET=django_settings.INTERNAL_API_SECRET_KEY)
    return client


def customer(i: int) -> dict:
    return {"customer_id": f"customer-{i:04d}", "name": f"Cliente {i}", "phone": f"09{91000000 + i:08d}"}


def accept_while_broker_down(client, *bodies) -> list[SyncBatch]:
    """Batches accepted (202) that never reached the broker, aged past the relay's grace period."""
    with dead_broker():
        for body in bodies:
            r = client.post(CUSTOMERS_URL, body, format="json")
            assert r.status_code == 202, r.content
    SyncBatch.objects.update(created_at=F("created_at") - timedelta(minutes=1))
    batches = list(SyncBatch.objects.order_by("created_at"))  # in the order they were accepted
    assert {b.status for b in batches} == {PENDING}
    return batches


def statuses() -> dict[str, str]:
    return {str(b.task_id): b.status for b in SyncBatch.objects.all()}


@pytest.fixture
def published(monkeypatch):
    """Task ids handed to Celery by the sync tasks (the call still goes through, eager or not)."""
    calls: list[str] = []
    for task in (tasks.sync_customers, tasks.sync_vehicles):
        original = task.apply_async

        def spy(*args, _original=original, **kwargs):
            calls.append(kwargs["task_id"])
            return _original(*args, **kwargs)

        monkeypatch.setattr(task, "apply_async", spy)
    return calls


# --- relay --------------------------------------------------------------------------------------------


def test_a_batch_accepted_while_the_broker_was_down_is_applied_by_the_relay_task(internal):
    # The broker's sentinel as any running system has it after its first relay. Without it the relay reports a
    # reset (tests/integration/test_broker_reset.py): that depended on whether an earlier test had relayed since
    # Redis started.
    broker_was_reset()
    with dead_broker():
        r = internal.post(CUSTOMERS_URL, {"customers": [customer(1), customer(2)]}, format="json")
    assert r.status_code == 202, r.content
    batch = SyncBatch.objects.get()
    assert batch.status == PENDING
    assert not CustomerContactInfo.objects.exists()

    # Broker back, but the batch is seconds old: its own request may still be enqueueing it.
    assert relay_pending_notifications.apply().get() == {"notifications": 0, "sync_batches": 0, "broker_reset": False}
    assert SyncBatch.objects.get().status == PENDING

    SyncBatch.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert relay_pending_notifications.apply().get() == {"notifications": 0, "sync_batches": 1, "broker_reset": False}

    batch.refresh_from_db()
    assert batch.status == DONE
    assert batch.result["created"] == 2
    assert sorted(CustomerContactInfo.objects.values_list("phone", flat=True)) == ["+593991000001", "+593991000002"]
    # Under the task id the webhook answered with.
    status = internal.get(f"/api/internal/v1/tasks/{r.json()['task_id']}/status/").json()
    assert (status["status"], status["result"]["created"]) == ("SUCCESS", 2)
    assert relay_pending_notifications.apply().get()["sync_batches"] == 0


def test_vehicle_batches_are_relayed_with_their_own_task(internal, published):
    with dead_broker():
        r = internal.post(VEHICLES_URL, {"vehicle_id": "vehicle-1", "customer_id": "owner-1"}, format="json")
    assert r.status_code == 202, r.content
    SyncBatch.objects.update(created_at=timezone.now() - timedelta(minutes=1))

    assert sync_batches_relay_pending() == 1

    assert SyncBatch.objects.get().status == DONE
    assert Vehicle.objects.get(vehicle_id="vehicle-1").customer.customer_id == "owner-1"
    assert published == [r.json()["task_id"], r.json()["task_id"]]  # the webhook's try, then the relay's


def test_with_the_broker_still_down_the_relay_stops_at_the_first_failure(internal, published):
    accept_while_broker_down(internal, customer(1), customer(2), customer(3))
    published.clear()

    with dead_broker():
        started = time.monotonic()
        assert sync_batches_relay_pending() == 0
        elapsed = time.monotonic() - started

    assert len(published) == 1, "one failed publish is enough to know the broker is down"
    assert elapsed < 5, f"the sweep waited {elapsed:.1f}s on a dead broker"
    assert set(statuses().values()) == {PENDING}
    assert not CustomerContactInfo.objects.exists()


def test_a_queued_batch_past_its_lease_is_enqueued_again_and_a_fresh_one_is_not(internal, settings):
    settings.NOTIFICATION_STUCK_AFTER_SECONDS = 600
    lost, fresh = accept_while_broker_down(internal, customer(1), customer(2))
    # Both reached the broker once; Redis restarted without persistence and lost the messages.
    now = timezone.now()
    SyncBatch.objects.filter(pk=lost.pk).update(status=QUEUED, updated_at=now - timedelta(seconds=601))
    SyncBatch.objects.filter(pk=fresh.pk).update(status=QUEUED, updated_at=now - timedelta(seconds=599))

    assert sync_batches_relay_pending(now=now) == 1

    assert statuses() == {str(lost.task_id): DONE, str(fresh.task_id): QUEUED}
    assert list(CustomerContactInfo.objects.values_list("customer_id", flat=True)) == [customer(1)["customer_id"]]


def test_a_relayed_queued_batch_gets_a_new_lease(internal, monkeypatch, settings):
    settings.NOTIFICATION_STUCK_AFTER_SECONDS = 600
    (batch,) = accept_while_broker_down(internal, customer(1))
    now = timezone.now()
    SyncBatch.objects.filter(pk=batch.pk).update(status=QUEUED, updated_at=now - timedelta(hours=1))
    # The broker takes every message and loses it: the batch is never processed.
    lost: list[str] = []
    monkeypatch.setattr(tasks.sync_customers, "apply_async", lambda *a, **kw: lost.append(kw["task_id"]))

    assert sync_batches_relay_pending(now=now) == 1
    assert sync_batches_relay_pending(now=now + timedelta(seconds=599)) == 0  # still within the new lease
    assert sync_batches_relay_pending(now=now + timedelta(seconds=601)) == 1

    assert lost == [str(batch.task_id)] * 2
    batch.refresh_from_db()
    assert batch.status == QUEUED


def test_done_and_failed_batches_are_never_relayed(internal, published):
    r = internal.post(CUSTOMERS_URL, customer(1), format="json")  # broker up: applied at once
    assert r.status_code == 202, r.content
    failed = SyncBatch.objects.create(
        kind=SyncBatch.Kind.CUSTOMERS,
        task_id=uuid.uuid4(),
        item_count=1,
        payload=[{"customer_id": "customer-0009", "name": "Nunca"}],
        status=FAILED,
    )
    SyncBatch.objects.update(
        created_at=timezone.now() - timedelta(days=1), updated_at=timezone.now() - timedelta(days=1)
    )
    CustomerContactInfo.objects.filter(customer_id="customer-0001").update(name="Editado después")
    published.clear()

    assert sync_batches_relay_pending() == 0

    assert published == []
    assert statuses() == {r.json()["task_id"]: DONE, str(failed.task_id): FAILED}
    assert CustomerContactInfo.objects.get(customer_id="customer-0001").name == "Editado después"
    assert not CustomerContactInfo.objects.filter(customer_id="customer-0009").exists()


def test_two_relays_at_once_enqueue_each_batch_once(internal, monkeypatch):
    postgres_or_fail()
    batches = accept_while_broker_down(internal, *(customer(i) for i in range(4)))
    published: list[str] = []
    original = tasks.sync_customers.apply_async

    def slow_publish(*args, **kwargs):
        published.append(kwargs["task_id"])
        time.sleep(0.05)  # a sweep still holds its rows when the other one looks
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.sync_customers, "apply_async", slow_publish)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(sync_batches_relay_pending())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]

    # SKIP LOCKED lets the two sweeps split the rows ([0, 4] when one locks all first, [1, 3] when their scans
    # overlap) but never take the same one: every batch is published once.
    assert sum(results) == 4
    assert sorted(published) == sorted(str(b.task_id) for b in batches)
    assert set(statuses().values()) == {DONE}
    assert CustomerContactInfo.objects.count() == 4


# --- purge --------------------------------------------------------------------------------------------


def test_purge_deletes_only_finished_batches_past_retention(internal, settings):
    settings.LOG_RETENTION_DAYS = 30
    batches = accept_while_broker_down(internal, *(customer(i) for i in range(6)))
    now = timezone.now()
    ages_and_statuses = [(31, DONE), (31, FAILED), (400, PENDING), (400, QUEUED), (29, DONE), (29, FAILED)]
    for batch, (days, status) in zip(batches, ages_and_statuses, strict=True):
        SyncBatch.objects.filter(pk=batch.pk).update(status=status, created_at=now - timedelta(days=days))

    assert purge_old_notification_logs.apply().get() == {"notification_logs": 0, "sync_batches": 2}

    # The two finished 31-day-old batches are gone; unfinished ones stay however old, recent ones stay.
    kept = list(zip(batches, ages_and_statuses, strict=True))[2:]
    assert statuses() == {str(b.task_id): status for b, (_, status) in kept}
    assert sync_batches_purge() == 0


def test_purge_works_in_slices(internal, settings):
    settings.LOG_RETENTION_DAYS = 30
    accept_while_broker_down(internal, *(customer(i) for i in range(5)))
    SyncBatch.objects.update(status=DONE, created_at=timezone.now() - timedelta(days=31))

    assert sync_batches_purge(batch=2) == 5
    assert not SyncBatch.objects.exists()


def test_the_sync_task_logs_under_the_request_that_accepted_its_batch(monkeypatch):
    """A worker applying a batch later names the webhook call's request id, and forgets it afterwards."""
    from apps.core.logging import request_id_var
    from apps.synchronization import services
    from apps.synchronization.tasks import sync_customers

    batch = SyncBatch.objects.create(
        kind=SyncBatch.Kind.CUSTOMERS, task_id=uuid.uuid4(), item_count=0, payload=[], request_id="syncreq00001"
    )
    seen = []
    monkeypatch.setattr(services, "sync_batch_apply", lambda batch: seen.append(request_id_var.get()) or {})
    sync_customers.apply(args=[str(batch.id)]).get()
    assert seen == ["syncreq00001"]
    assert request_id_var.get() == "-"
