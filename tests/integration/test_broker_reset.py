"""A broker that forgot its queues (Redis restarted without persistence, or flushed): the relay sweep notices the
missing sentinel and hands every queued row over again at once, instead of waiting out the stuck lease."""

import json
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from apps.core.queue import BROKER_SENTINEL, broker_was_reset
from apps.notifications.models import CustomerContactInfo, NotificationLog
from apps.notifications.services.outbox import notification_enqueue, notification_relay_pending
from tests.e2e.conftest import broker
from tests.factories import dispatch_with_rows
from tests.services import free_port, redis_db_url, redis_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

BROKER_DB = 10


@pytest.fixture
def broker_redis():
    url = redis_db_url(redis_or_fail(), BROKER_DB)
    client = redis.Redis.from_url(url)
    client.flushdb()
    with broker(url):
        yield client
    client.flushdb()


def queued_messages(client) -> dict[str, str | None]:
    """{notification id: eta} of the messages waiting in the notifications queue."""
    messages = [json.loads(raw)["headers"] for raw in client.lrange("notifications", 0, -1)]
    return {headers["argsrepr"].strip("[]'"): headers["eta"] for headers in messages}


def test_the_sentinel_says_reset_once_per_loss(broker_redis):
    assert broker_was_reset() is True  # first time ever: harmless, every queued row is claimed once
    assert broker_was_reset() is False
    assert broker_redis.exists(BROKER_SENTINEL)
    broker_redis.flushdb()  # what a restart without persistence leaves
    assert broker_was_reset() is True
    assert broker_was_reset() is False


def test_without_a_redis_broker_there_is_nothing_to_reset():
    with broker("memory://localhost/"):  # the embedded mode: tasks run in-process
        assert broker_was_reset() is False


def test_after_a_reset_queued_rows_are_handed_over_at_once(broker_redis):
    call_command("seed_initial_data", verbosity=0)
    customer = CustomerContactInfo.objects.create(customer_id="c-1", name="Ana", phone="+593991234567")
    rows = [
        dispatch_with_rows(customer=customer, plan=("whatsapp",), recipients={"whatsapp": ["+593991234567"]})[0]
        for _ in range(3)
    ]
    # As the broker held them before it lost its data: two queued, one waiting for its retry's countdown.
    NotificationLog.objects.filter(id__in=[r.id for r in rows]).update(status="queued", updated_at=timezone.now())
    NotificationLog.objects.filter(id=rows[2].id).update(next_attempt_at=timezone.now() + timedelta(minutes=1))

    assert notification_relay_pending() == 0  # queued rows inside their lease wait for the broker...
    assert notification_relay_pending(broker_reset=True) == 3  # ...unless the broker lost them

    messages = queued_messages(broker_redis)
    assert sorted(messages) == sorted(str(r.id) for r in rows)
    assert messages[str(rows[0].id)] is None and messages[str(rows[1].id)] is None
    # The retry keeps what is left of its countdown.
    assert messages[str(rows[2].id)] is not None


def test_the_first_publish_after_an_outage_asks_for_a_relay(broker_redis):
    call_command("seed_initial_data", verbosity=0)
    customer = CustomerContactInfo.objects.create(customer_id="c-1", name="Ana", phone="+593991234567")
    first, second = [
        dispatch_with_rows(customer=customer, plan=("whatsapp",), recipients={"whatsapp": ["+593991234567"]})[0]
        for _ in range(2)
    ]
    with broker(f"redis://127.0.0.1:{free_port()}/0"):  # Redis down
        assert notification_enqueue(first.id) is False
    assert broker_redis.llen("maintenance") == 0

    assert notification_enqueue(second.id) is True  # Redis is back
    [relay] = [json.loads(raw)["headers"]["task"] for raw in broker_redis.lrange("maintenance", 0, -1)]
    assert relay == "notifications.relay_pending_notifications"
    assert notification_enqueue(second.id) is True
    assert broker_redis.llen("maintenance") == 1  # asked once
