"""PushSender against a local push service that verifies VAPID and decrypts aes128gcm (SPEC §9, §12).

The adapter is pure: it gets one device's endpoint and keys and says what the push service answered. What the
delivery service does with several devices (and gone subscriptions) is in test_push_delivery.py."""

import json
import time
from dataclasses import dataclass

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage, PushKeys
from apps.notifications.adapters import get_sender, reset_senders
from apps.notifications.adapters.push import SUBSCRIPTION_GONE, PushSender
from tests.fakes.push_service import FakePushService, new_vapid_keys

pytestmark = pytest.mark.integration


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


@dataclass(frozen=True)
class Device:
    endpoint: str
    p256dh: str
    auth: str


@pytest.fixture
def subscribe(push_service):
    """A browser subscription the local push service knows, as the service stores it."""

    def make(sid: str, *, app_server_key: str | None = None, **fields) -> Device:
        info = push_service.new_subscription(sid, app_server_key=app_server_key)
        return Device(**({"endpoint": info["endpoint"], **info["keys"]} | fields))

    return make


def message(device: Device, **overrides) -> OutboundMessage:
    fields = {
        "notification_id": "n-1",
        "channel": "push",
        "recipient": device.endpoint,
        "push_keys": PushKeys(p256dh=device.p256dh, auth=device.auth),
        "subject": "Su vehículo está listo ✔",
        "body": "Puede retirarlo hoy hasta las 18:00.",
        "tag": "dispatch-42",
    }
    return OutboundMessage(**(fields | overrides))


def send_error(sender: PushSender, msg: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as info:
        sender.send(msg)
    return info.value


def test_payload_decrypts_to_the_exact_json_sent_with_a_valid_vapid_jwt(push_service, subscribe):
    result = PushSender().send(message(subscribe("phone")))

    assert result.detail == "aceptada"
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


def test_message_url_is_used_when_given(push_service, subscribe):
    PushSender().send(message(subscribe("phone"), url="https://app.ambacar.ec/ordenes/42"))
    assert push_service.received["phone"][0]["url"] == "https://app.ambacar.ec/ordenes/42"


def test_one_session_is_reused_across_sends(push_service, subscribe):
    phone, laptop = subscribe("phone"), subscribe("laptop")
    sender = PushSender()

    sender.send(message(phone))
    sender.send(message(laptop))
    sender.send(message(phone))

    assert [r["status"] for r in push_service.requests] == [201, 201, 201]
    assert len({r["client_port"] for r in push_service.requests}) == 1  # one TCP connection: keep-alive


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_permanent_and_says_so(push_service, subscribe, status):
    device = subscribe("old")
    if status == 410:
        push_service.gone("old")
    else:
        push_service.fail_next(1, 404)

    error = send_error(PushSender(), message(device))

    assert (error.kind, error.code) == (ErrorKind.PERMANENT, SUBSCRIPTION_GONE)
    assert str(status) in error.message


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_transient(push_service, subscribe, status):
    push_service.fail_next(1, status)

    error = send_error(PushSender(), message(subscribe("phone")))

    assert error.kind == ErrorKind.TRANSIENT and str(status) in error.message and not error.code


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_request_and_vapid_rejections_are_permanent(push_service, subscribe, status):
    push_service.fail_next(1, status)

    error = send_error(PushSender(), message(subscribe("phone")))

    assert error.kind == ErrorKind.PERMANENT and str(status) in error.message and not error.code


def test_a_subscription_made_with_another_vapid_key_is_refused_by_the_service(push_service, subscribe):
    other_public_key, _ = new_vapid_keys()

    error = send_error(PushSender(), message(subscribe("phone", app_server_key=other_public_key)))

    assert error.kind == ErrorKind.PERMANENT and "403" in error.message
    assert "VAPID" in push_service.requests[0]["detail"]


def test_a_read_timeout_has_an_unknown_outcome(push_service, subscribe, push_settings):
    push_settings.PUSH_TIMEOUT = 0.3
    push_service.delay(5)

    started = time.monotonic()
    error = send_error(PushSender(), message(subscribe("phone")))

    assert time.monotonic() - started < 3
    assert error.kind == ErrorKind.UNKNOWN_OUTCOME and "no respondió a tiempo" in error.message


def test_connection_refused_is_transient(push_service, subscribe):
    device = subscribe("phone")
    push_service.stop()

    error = send_error(PushSender(), message(device))

    assert error.kind == ErrorKind.TRANSIENT and "conexión" in error.message


def test_redirects_are_not_followed(push_service, subscribe):
    push_service.fail_next(1, 307)  # the fake redirects back to the same endpoint

    error = send_error(PushSender(), message(subscribe("phone")))

    assert error.kind == ErrorKind.PERMANENT and "redirección" in error.message
    assert len(push_service.requests) == 1


def test_not_configured_is_permanent_and_contacts_nobody(push_service, subscribe, push_settings):
    device = subscribe("phone")
    push_settings.VAPID_PRIVATE_KEY = ""
    sender = PushSender()

    assert not sender.is_configured()
    error = send_error(sender, message(device))

    assert error.kind == ErrorKind.PERMANENT and "no está configurado" in error.message
    assert push_service.requests == []


def test_a_private_key_that_does_not_match_the_public_key_is_permanent(push_service, subscribe, push_settings):
    device = subscribe("phone")
    _, push_settings.VAPID_PRIVATE_KEY = new_vapid_keys()

    error = send_error(PushSender(), message(device))

    assert error.kind == ErrorKind.PERMANENT and "no corresponde" in error.message
    assert push_service.requests == []


def test_endpoint_not_allowed_at_send_time_is_never_contacted(push_service, subscribe):
    # Same push service, but addressed by IP literal: the allow-list refuses it.
    by_ip = subscribe("by-ip", endpoint=push_service.origin.replace("localhost", "127.0.0.1") + "/push/by-ip")

    error = send_error(PushSender(), message(by_ip))

    assert error.kind == ErrorKind.PERMANENT and "endpoint no permitido" in error.message
    assert push_service.requests_for("by-ip") == []


@pytest.mark.parametrize(
    "change", [{"PUSH_ALLOWED_HOSTS": [".mozilla.com"]}, {"PUSH_ALLOW_INSECURE_ENDPOINTS": False}], ids=["host", "http"]
)
def test_allow_list_is_rechecked_at_send_time(push_service, subscribe, push_settings, change):
    device = subscribe("phone")  # stored while it was allowed
    for name, value in change.items():
        setattr(push_settings, name, value)

    error = send_error(PushSender(), message(device))

    assert error.kind == ErrorKind.PERMANENT and "endpoint no permitido" in error.message
    assert push_service.requests == []


def test_payload_too_large_is_permanent_before_any_request(push_service, subscribe):
    error = send_error(PushSender(), message(subscribe("phone"), body="x" * 4000))

    assert error.kind == ErrorKind.PERMANENT
    assert push_service.requests == []


def test_malformed_stored_keys_are_permanent_without_a_request(push_service, subscribe):
    broken = subscribe("broken", p256dh="!!!", auth="@@")  # bypasses push_keys_validate, as a bad import could

    error = send_error(PushSender(), message(broken))

    assert error.kind == ErrorKind.PERMANENT and "claves de la suscripción inválidas" in error.message
    assert push_service.requests_for("broken") == []


def test_registry_builds_the_push_sender(push_service, subscribe):
    reset_senders()
    try:
        sender = get_sender("push")
        assert isinstance(sender, PushSender) and sender.channel == "push"
        assert sender.send(message(subscribe("phone"))).detail == "aceptada"
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


def test_a_pem_private_key_is_accepted(push_service, subscribe, push_settings):
    vapid = Vapid02()
    vapid.generate_keys()
    push_settings.VAPID_PRIVATE_KEY = vapid.private_pem().decode()
    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    push_settings.VAPID_PUBLIC_KEY = b64urlencode(point)
    device = subscribe("phone", app_server_key=push_settings.VAPID_PUBLIC_KEY)

    PushSender().send(message(device))

    assert push_service.requests[0]["claims"]["aud"] == push_service.origin
    assert len(push_service.received["phone"]) == 1
