"""A push row through the delivery service, the real push adapter and the local push service (SPEC §9): one push
per active device, success when any device accepted it, gone subscriptions deactivated by the service."""

import pytest
from django.core.management import call_command

from apps.notifications.adapters import reset_senders
from apps.notifications.models import CustomerContactInfo, NotificationLog, PushSubscription
from apps.notifications.services.delivery import notification_send
from apps.notifications.services.transitions import FAILED, RETRY, SENT
from tests.factories import dispatch_with_rows
from tests.fakes.push_service import FakePushService, new_vapid_keys

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def push_service(settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    settings.VAPID_CONTACT_EMAIL = "soporte@ambacar.ec"
    settings.PUSH_ALLOWED_HOSTS = ["localhost"]
    settings.PUSH_ALLOW_INSECURE_ENDPOINTS = True
    settings.PUSH_TIMEOUT = 5
    reset_senders()
    with FakePushService(endpoint_host="localhost", app_server_key=settings.VAPID_PUBLIC_KEY) as svc:
        yield svc
    reset_senders()


@pytest.fixture
def customer(push_service):
    call_command("seed_initial_data", verbosity=0)
    return CustomerContactInfo.objects.create(customer_id="CLI-0001", name="Ana Pérez")


@pytest.fixture
def subscribe(push_service, customer):
    def make(sid: str, **fields) -> PushSubscription:
        info = push_service.new_subscription(sid)
        return PushSubscription.objects.create(
            customer=customer, **({"endpoint": info["endpoint"], **info["keys"]} | fields)
        )

    return make


def push_row(customer, subscriptions, *, plan=("push",)) -> NotificationLog:
    ids = [str(s.id) for s in subscriptions]
    recipients = {"push": ids, "email": ["ana@example.com"]}
    [row] = dispatch_with_rows(customer=customer, plan=plan, recipients=recipients)
    return row


def test_every_active_device_receives_once_and_inactive_ones_are_skipped(push_service, customer, subscribe):
    phone, laptop, old = subscribe("phone"), subscribe("laptop"), subscribe("old", is_active=False)
    row = push_row(customer, [phone, laptop, old])  # "old" was active at acceptance, not at send time

    assert notification_send(notification_id=row.id).result == SENT

    assert len(push_service.received["phone"]) == len(push_service.received["laptop"]) == 1
    assert push_service.requests_for("old") == []
    assert push_service.received["phone"][0]["tag"] == str(row.dispatch_id)
    phone.refresh_from_db()
    assert phone.last_success_at is not None and phone.failure_count == 0


def test_a_device_subscribed_after_acceptance_receives_too(push_service, customer, subscribe):
    row = push_row(customer, [subscribe("phone")])
    subscribe("tablet")  # the customer subscribed another browser before the worker got to the row

    notification_send(notification_id=row.id)

    assert len(push_service.received["tablet"]) == 1


def test_a_gone_device_is_deactivated_while_the_other_one_succeeds(push_service, customer, subscribe):
    phone, old = subscribe("phone"), subscribe("old")
    push_service.gone("old")
    row = push_row(customer, [phone, old])

    assert notification_send(notification_id=row.id).result == SENT

    old.refresh_from_db()
    assert not old.is_active and old.failure_count == 1
    assert PushSubscription.objects.get(pk=phone.pk).is_active


def test_all_devices_gone_fails_the_row_at_once_and_falls_back(push_service, customer, subscribe):
    a, b = subscribe("a"), subscribe("b")
    push_service.gone("a")
    push_service.gone("b")
    row = push_row(customer, [a, b], plan=("push", "email"))

    assert notification_send(notification_id=row.id).result == FAILED

    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_kind) == ("failed", 1, "permanent")
    assert "410" in row.error_message
    assert PushSubscription.objects.filter(is_active=True).count() == 0
    [email] = NotificationLog.objects.filter(fallback_from=row)
    assert email.channel == "email"


def test_a_transient_failure_on_any_device_retries_the_row(push_service, customer, subscribe):
    a, b = subscribe("a"), subscribe("b")
    push_service.gone("a")
    push_service.fail_next(1, 500)  # consumed by "b": gone subscriptions answer before forced failures
    row = push_row(customer, [a, b])

    assert notification_send(notification_id=row.id).result == RETRY

    row.refresh_from_db()
    assert (row.status, row.error_kind) == ("queued", "transient")
    assert PushSubscription.objects.get(pk=a.pk).is_active is False
    assert PushSubscription.objects.get(pk=b.pk).failure_count == 1


def test_a_device_with_malformed_keys_or_a_refused_endpoint_fails_alone(push_service, customer, subscribe):
    phone = subscribe("phone")
    broken = subscribe("broken", p256dh="!!!", auth="@@")  # bypasses push_keys_validate, as a bad import could
    by_ip = subscribe("by-ip", endpoint=push_service.origin.replace("localhost", "127.0.0.1") + "/push/by-ip")
    row = push_row(customer, [phone, broken, by_ip])

    assert notification_send(notification_id=row.id).result == SENT

    assert push_service.requests_for("broken") == [] and push_service.requests_for("by-ip") == []
    for sub in (broken, by_ip):
        sub.refresh_from_db()
        assert sub.failure_count == 1 and sub.is_active  # a permanent failure, but not "gone"
