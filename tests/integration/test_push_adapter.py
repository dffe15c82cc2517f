"""PushSender against a local push service that verifies VAPID and decrypts aes128gcm (SPEC §9, §12)."""

import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode

from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage
from apps.notifications.adapters import get_sender, reset_senders
from apps.notifications.adapters.push import PushSender
from apps.notifications.models import CustomerContactInfo, PushSubscription
from tests.fakes.push_service import FakePushService

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def new_vapid_keys() -> tuple[str, str]:
    """(applicationServerKey, private key) as web-push tools print them: base64url point and raw scalar."""
    vapid = Vapid02()
    vapid.generate_keys()
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point), b64urlencode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big"))


@pytest.fixture
def push_settings(settings, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # requests honours HTTP(S)_PROXY
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    settings.VAPID_CONTACT_EMAIL = "soporte@ambacar.ec"
    # The allow-list refuses IP literals: endpoints say "localhost", the server listens on 127.0.0.1.
    settings.PUSH_ALLOWED_HOSTS = ["localhost"]
    settings.PUSH_ALLOW_INSECURE_ENDPOINTS = True
    settings.PUSH_TIMEOUT = 5
    settings.PUSH_TTL_SECONDS = 3600
    settings.FRONTEND_URL = "https://app.ambacar.ec"
    return settings


@pytest.fixture
def push_service(push_settings):
    with FakePushService(endpoint_host="localhost", app_server_key=push_settings.VAPID_PUBLIC_KEY) as svc:
        yield svc


@pytest.fixture
def subscribe(push_service):
    customer = CustomerContactInfo.objects.create(customer_id="CLI-0001", name="Ana Pérez")

    def make(sid: str, *, app_server_key: str | None = None, **fields) -> PushSubscription:
        info = push_service.new_subscription(sid, app_server_key=app_server_key)
        fields = {"endpoint": info["endpoint"], **info["keys"], **fields}
        return PushSubscription.objects.create(customer=customer, **fields)

    return make


def message(*subs: PushSubscription, **overrides) -> OutboundMessage:
    fields = {
        "notification_id": "n-1",
        "channel": "push",
        "recipients": tuple(str(s.id) for s in subs),
        "subject": "Su vehículo está listo ✔",
        "body": "Puede retirarlo hoy hasta las 18:00.",
        "tag": "dispatch-42",
    }
    return OutboundMessage(**(fields | overrides))


def test_payload_decrypts_to_the_exact_json_sent_with_a_valid_vapid_jwt(push_service, subscribe):
    sub = subscribe("phone", failure_count=2)

    result = PushSender().send(message(sub))

    assert result.detail == "Notificación push entregada a 1 de 1 dispositivos"
    (req,) = push_service.requests
    expected = {
        "title": "Su vehículo está listo ✔",
        "body": "Puede retirarlo hoy hasta las 18:00.",
        "url": "https://app.ambacar.ec",  # message.url empty → FRONTEND_URL
        "tag": "dispatch-42",
    }
    assert req["status"] == 201, req["detail"]
    assert req["plaintext"] == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert push_service.received["phone"] == [expected]
    assert req["headers"]["ttl"] == "3600"
    assert req["headers"]["content-encoding"] == "aes128gcm"
    assert req["claims"]["aud"] == push_service.origin
    assert req["claims"]["sub"] == "mailto:soporte@ambacar.ec"
    assert time.time() < req["claims"]["exp"] <= time.time() + 24 * 3600
    sub.refresh_from_db()
    assert sub.last_success_at is not None and sub.failure_count == 0 and sub.is_active


def test_message_url_is_used_when_given(push_service, subscribe):
    sub = subscribe("phone")
    PushSender().send(message(sub, url="https://app.ambacar.ec/ordenes/42"))
    assert push_service.received["phone"][0]["url"] == "https://app.ambacar.ec/ordenes/42"


def test_every_active_subscription_receives_and_inactive_ones_are_skipped(push_service, subscribe):
    phone, laptop, old = subscribe("phone"), subscribe("laptop"), subscribe("old", is_active=False)

    result = PushSender().send(message(phone, laptop, old))

    assert result.detail == "Notificación push entregada a 2 de 2 dispositivos"
    assert len(push_service.received["phone"]) == len(push_service.received["laptop"]) == 1
    assert push_service.requests_for("old") == []


def test_one_session_is_reused_across_sends(push_service, subscribe):
    phone, laptop = subscribe("phone"), subscribe("laptop")
    sender = PushSender()

    sender.send(message(phone, laptop))
    sender.send(message(phone))

    assert [r["status"] for r in push_service.requests] == [201, 201, 201]
    assert len({r["client_port"] for r in push_service.requests}) == 1  # one TCP connection: keep-alive


def test_gone_subscription_is_deactivated_while_the_other_device_succeeds(push_service, subscribe):
    phone, old = subscribe("phone"), subscribe("old")
    push_service.gone("old")

    result = PushSender().send(message(phone, old))

    assert result.detail == "Notificación push entregada a 1 de 2 dispositivos"
    old.refresh_from_db()
    phone.refresh_from_db()
    assert not old.is_active and old.failure_count == 1
    assert phone.is_active and phone.last_success_at is not None


def test_all_gone_is_permanent_and_deactivates_every_subscription(push_service, subscribe):
    a, b = subscribe("a"), subscribe("b")
    push_service.gone("a")
    push_service.gone("b")

    with pytest.raises(SendError) as exc:
        PushSender().send(message(a, b))

    assert exc.value.permanent and "410" in exc.value.message
    assert PushSubscription.objects.filter(is_active=True).count() == 0
    with pytest.raises(SendError) as again:
        PushSender().send(message(a, b))
    assert again.value.permanent and again.value.message == "El cliente no tiene suscripciones push activas"
    assert len(push_service.requests) == 2  # the second send contacted nobody


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_transient(push_service, subscribe, status):
    sub = subscribe("phone")
    push_service.fail_next(1, status)

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert not exc.value.permanent and str(status) in exc.value.message
    sub.refresh_from_db()
    assert sub.is_active and sub.failure_count == 1 and sub.last_success_at is None


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_request_and_vapid_rejections_are_permanent_and_keep_the_subscription(push_service, subscribe, status):
    sub = subscribe("phone")
    push_service.fail_next(1, status)

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert exc.value.permanent and str(status) in exc.value.message
    sub.refresh_from_db()
    assert sub.is_active and sub.failure_count == 1


def test_a_transient_failure_anywhere_makes_the_whole_failure_transient(push_service, subscribe):
    a, b = subscribe("a"), subscribe("b")
    push_service.gone("a")
    push_service.fail_next(1, 500)  # consumed by "b": gone subscriptions answer before forced failures

    with pytest.raises(SendError) as exc:
        PushSender().send(message(a, b))

    assert not exc.value.permanent
    assert PushSubscription.objects.get(pk=a.pk).is_active is False
    assert PushSubscription.objects.get(pk=b.pk).is_active is True


def test_a_subscription_made_with_another_vapid_key_is_refused_by_the_service(push_service, subscribe):
    other_public_key, _ = new_vapid_keys()
    sub = subscribe("phone", app_server_key=other_public_key)

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert exc.value.permanent and "403" in exc.value.message
    assert "VAPID" in push_service.requests[0]["detail"]


def test_timeout_is_transient(push_service, subscribe, push_settings):
    push_settings.PUSH_TIMEOUT = 0.3
    push_service.delay(5)
    sub = subscribe("phone")

    started = time.monotonic()
    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert time.monotonic() - started < 3
    assert not exc.value.permanent and "tiempo de espera" in exc.value.message


def test_connection_refused_is_transient(push_service, subscribe):
    sub = subscribe("phone")
    push_service.stop()

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert not exc.value.permanent and "conexión" in exc.value.message


def test_redirects_are_not_followed(push_service, subscribe):
    sub = subscribe("phone")
    push_service.fail_next(1, 307)  # the fake redirects back to the same endpoint

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert exc.value.permanent and "redirección" in exc.value.message
    assert len(push_service.requests) == 1


def test_not_configured_is_permanent_and_contacts_nobody(push_service, subscribe, push_settings):
    sub = subscribe("phone")
    push_settings.VAPID_PRIVATE_KEY = ""
    sender = PushSender()

    assert not sender.is_configured()
    with pytest.raises(SendError) as exc:
        sender.send(message(sub))

    assert exc.value.permanent and "no está configurado" in exc.value.message
    assert push_service.requests == []


def test_a_private_key_that_does_not_match_the_public_key_is_permanent(push_service, subscribe, push_settings):
    sub = subscribe("phone")
    _, push_settings.VAPID_PRIVATE_KEY = new_vapid_keys()

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert exc.value.permanent and "no corresponde" in exc.value.message
    assert push_service.requests == []


def test_endpoint_not_allowed_at_send_time_is_never_contacted(push_service, subscribe):
    phone = subscribe("phone")
    # Same push service, but addressed by IP literal: the allow-list refuses it.
    by_ip = subscribe("by-ip", endpoint=push_service.origin.replace("localhost", "127.0.0.1") + "/push/by-ip")

    result = PushSender().send(message(phone, by_ip))

    assert result.detail == "Notificación push entregada a 1 de 2 dispositivos"
    assert push_service.requests_for("by-ip") == []
    by_ip.refresh_from_db()
    assert by_ip.failure_count == 1 and by_ip.is_active


@pytest.mark.parametrize(
    "change", [{"PUSH_ALLOWED_HOSTS": [".mozilla.com"]}, {"PUSH_ALLOW_INSECURE_ENDPOINTS": False}], ids=["host", "http"]
)
def test_allow_list_is_rechecked_at_send_time(push_service, subscribe, push_settings, change):
    sub = subscribe("phone")  # stored while it was allowed
    for name, value in change.items():
        setattr(push_settings, name, value)

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub))

    assert exc.value.permanent and "endpoint no permitido" in exc.value.message
    assert push_service.requests == []


def test_payload_too_large_is_permanent_before_any_request(push_service, subscribe):
    sub = subscribe("phone")

    with pytest.raises(SendError) as exc:
        PushSender().send(message(sub, body="x" * 4000))

    assert exc.value.permanent
    assert push_service.requests == []


def test_registry_builds_the_push_sender(push_service, subscribe):
    reset_senders()
    try:
        sender = get_sender("push")
        assert isinstance(sender, PushSender) and sender.channel == "push"
        assert sender.send(message(subscribe("phone"))).detail.endswith("1 de 1 dispositivos")
    finally:
        reset_senders()


def test_the_local_push_service_refuses_a_forged_vapid_signature(push_service, push_settings):
    """The double must be able to say no, or the VAPID assertions above prove nothing."""
    info = push_service.new_subscription("phone")
    forger = Vapid02()
    forger.generate_keys()
    claims = {"sub": "mailto:x@example.com", "aud": push_service.origin, "exp": int(time.time()) + 3600}
    token = forger.sign(claims)["Authorization"].split("t=", 1)[1].split(",k=")[0]
    forged = f"vapid t={token},k={push_settings.VAPID_PUBLIC_KEY}"  # our public key, someone else's signature

    response = requests.post(info["endpoint"], data=b"x", headers={"TTL": "60", "Authorization": forged}, timeout=5)

    assert response.status_code == 403
    assert "InvalidSignature" in push_service.requests[0]["detail"]
    assert push_service.received["phone"] == []


def test_malformed_stored_keys_fail_that_device_only(push_service, subscribe):
    phone = subscribe("phone")
    broken = subscribe("broken", p256dh="!!!", auth="@@")  # bypasses push_keys_validate, as a bad import could

    result = PushSender().send(message(phone, broken, recipients=(str(phone.id), str(broken.id), "+593991234567")))

    assert result.detail == "Notificación push entregada a 1 de 2 dispositivos"
    assert push_service.requests_for("broken") == []
    assert PushSubscription.objects.get(pk=broken.pk).failure_count == 1


def test_a_pem_private_key_is_accepted(push_service, subscribe, push_settings):
    vapid = Vapid02()
    vapid.generate_keys()
    push_settings.VAPID_PRIVATE_KEY = vapid.private_pem().decode()
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    push_settings.VAPID_PUBLIC_KEY = b64urlencode(point)
    sub = subscribe("phone", app_server_key=push_settings.VAPID_PUBLIC_KEY)

    PushSender().send(message(sub))

    assert push_service.requests[0]["claims"]["aud"] == push_service.origin
    assert len(push_service.received["phone"]) == 1
