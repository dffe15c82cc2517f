"""/api/v1/notifications/push/: subscribe (upsert), unsubscribe, status, VAPID public key."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings
from rest_framework.test import APIClient

from apps.notifications.models import CustomerContactInfo, PushSubscription

SUBSCRIBE = "/api/v1/notifications/push/subscribe/"
STATUS = "/api/v1/notifications/push/status/"
VAPID = "/api/v1/notifications/push/vapid-public-key/"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91bHkq3x"
ALLOWED = ["fcm.googleapis.com", ".push.services.mozilla.com", "web.push.apple.com"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("push_hosts"),
]


@pytest.fixture
def push_hosts():
    with override_settings(PUSH_ALLOWED_HOSTS=ALLOWED, PUSH_ALLOW_INSECURE_ENDPOINTS=False):
        yield


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_keys() -> dict:
    """What a browser hands over: a real P-256 public key and a 16-byte auth secret."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def payload(customer_id="customer-001", endpoint=ENDPOINT, keys=None, **extra) -> dict:
    return {
        "customer_id": customer_id,
        "subscription": {"endpoint": endpoint, "keys": keys or new_keys()},
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
        **extra,
    }


@pytest.fixture
def customer():
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza")


@pytest.fixture
def other_customer():
    return CustomerContactInfo.objects.create(customer_id="customer-002", name="Ana Torres")


def errors_of(response) -> list[tuple[str, str | None]]:
    body = response.json()
    assert body["type"] in ("validation_error", "client_error", "server_error"), body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
        assert error["detail"]
    return [(error["code"], error["attr"]) for error in body["errors"]]


# --- authentication ------------------------------------------------------------------------------

ENDPOINTS = [
    ("post", SUBSCRIBE),
    ("delete", SUBSCRIBE),
    ("get", STATUS + "customer-001/"),
    ("get", VAPID),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_requires_an_api_key(anon_api, customer, method, url):
    response = getattr(anon_api, method)(url, payload(), format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "not_authenticated"
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_rejects_a_wrong_api_key(customer, method, url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key wrong.key")
    response = getattr(client, method)(url, payload(), format="json")
    assert response.status_code == 401
    assert errors_of(response)[0][0] == "authentication_failed"


# --- subscribe -----------------------------------------------------------------------------------


def test_subscribe_creates_a_subscription(client_api, customer):
    keys = new_keys()
    response = client_api.post(SUBSCRIBE, payload(keys=keys), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer_id"] == "customer-001"
    assert body["endpoint"] == ENDPOINT
    assert body["is_active"] is True
    assert body["user_agent"].startswith("Mozilla/5.0")
    assert "p256dh" not in body and "auth" not in body
    stored = PushSubscription.objects.get(endpoint=ENDPOINT)
    assert (stored.customer, stored.p256dh, stored.auth) == (customer, keys["p256dh"], keys["auth"])


def test_subscribe_stores_keys_without_padding(client_api, customer):
    keys = new_keys()
    padded = {name: value + "=" * (-len(value) % 4) for name, value in keys.items()}
    assert client_api.post(SUBSCRIBE, payload(keys=padded), format="json").status_code == 201
    stored = PushSubscription.objects.get()
    assert (stored.p256dh, stored.auth) == (keys["p256dh"], keys["auth"])


def test_subscribe_again_updates_and_reactivates(client_api, customer):
    assert client_api.post(SUBSCRIBE, payload(), format="json").status_code == 201
    PushSubscription.objects.update(is_active=False, failure_count=3)
    keys = new_keys()
    response = client_api.post(SUBSCRIBE, payload(keys=keys, user_agent="Chrome/131"), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is True
    stored = PushSubscription.objects.get()
    assert (stored.p256dh, stored.auth, stored.user_agent) == (keys["p256dh"], keys["auth"], "Chrome/131")
    assert stored.is_active is True and stored.failure_count == 0


def test_subscribe_moves_an_endpoint_to_another_customer(client_api, customer, other_customer):
    assert client_api.post(SUBSCRIBE, payload(), format="json").status_code == 201
    response = client_api.post(SUBSCRIBE, payload(customer_id="customer-002"), format="json")
    assert response.status_code == 200
    assert response.json()["customer_id"] == "customer-002"
    assert PushSubscription.objects.get().customer == other_customer
    assert client_api.get(STATUS + "customer-001/").json()["active_subscriptions"] == 0


def test_subscribe_optional_user_agent_and_long_user_agent(client_api, customer):
    body = payload()
    del body["user_agent"]
    assert client_api.post(SUBSCRIBE, body, format="json").status_code == 201
    other = payload(endpoint=ENDPOINT + "2", user_agent="x" * 900)
    assert client_api.post(SUBSCRIBE, other, format="json").status_code == 201
    assert len(PushSubscription.objects.get(endpoint=ENDPOINT + "2").user_agent) == 500


def test_subscribe_accepts_explicit_443_and_subdomains_of_dot_entries(client_api, customer):
    for endpoint in [
        "https://fcm.googleapis.com:443/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    ]:
        response = client_api.post(SUBSCRIBE, payload(endpoint=endpoint), format="json")
        assert response.status_code == 201, (endpoint, response.content)


@pytest.mark.parametrize(
    "endpoint, code",
    [
        ("http://fcm.googleapis.com/fcm/send/abc", "push_endpoint_not_https"),
        ("https://fcm.googleapis.com:8443/fcm/send/abc", "push_endpoint_port"),
        ("https://xfcm.googleapis.com/fcm/send/abc", "push_endpoint_host_not_allowed"),
        ("https://evilfcm.googleapis.com.attacker.io/x", "push_endpoint_host_not_allowed"),
        ("https://fcm.googleapis.com.attacker.io/x", "push_endpoint_host_not_allowed"),
        ("https://127.0.0.1/push", "push_endpoint_ip_literal"),
        ("https://[::1]/push", "push_endpoint_ip_literal"),
        ("https://user:pw@fcm.googleapis.com/x", "push_endpoint_userinfo"),
        ("no es una url", "invalid_push_endpoint"),
        ("https://fcm.googleapis.com/" + "a" * 1000, "max_length"),
    ],
)
def test_subscribe_rejects_unsafe_endpoints(client_api, customer, endpoint, code):
    response = client_api.post(SUBSCRIBE, payload(endpoint=endpoint), format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response) == [(code, "subscription.endpoint")]
    assert not PushSubscription.objects.exists()


@override_settings(PUSH_ALLOWED_HOSTS=["localhost"], PUSH_ALLOW_INSECURE_ENDPOINTS=True)
def test_insecure_mode_allows_http_and_other_ports(client_api, customer):
    response = client_api.post(SUBSCRIBE, payload(endpoint="http://localhost:8099/push/abc"), format="json")
    assert response.status_code == 201, response.content
    response = client_api.post(SUBSCRIBE, payload(endpoint="http://127.0.0.1:8099/push/abc"), format="json")
    assert errors_of(response) == [("push_endpoint_ip_literal", "subscription.endpoint")]


def off_curve(p256dh: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(p256dh + "="))
    raw[-1] ^= 0x01
    return b64url(bytes(raw))


@pytest.mark.parametrize(
    "make_keys, expected",
    [
        (lambda k: {**k, "p256dh": off_curve(k["p256dh"])}, ("invalid_p256dh", "subscription.keys.p256dh")),
        (lambda k: {**k, "p256dh": k["p256dh"][:-4]}, ("invalid_p256dh", "subscription.keys.p256dh")),
        (lambda k: {**k, "p256dh": "@@@"}, ("invalid_p256dh", "subscription.keys.p256dh")),
        (lambda k: {**k, "auth": b64url(os.urandom(15))}, ("invalid_auth", "subscription.keys.auth")),
        (lambda k: {**k, "auth": b64url(os.urandom(32))}, ("invalid_auth", "subscription.keys.auth")),
        (lambda k: {"p256dh": k["p256dh"]}, ("required", "subscription.keys.auth")),
        (lambda k: {**k, "p256dh": ""}, ("blank", "subscription.keys.p256dh")),
        (lambda k: {**k, "p256dh": "A" * 201}, ("max_length", "subscription.keys.p256dh")),
    ],
)
def test_subscribe_rejects_bad_keys(client_api, customer, make_keys, expected):
    response = client_api.post(SUBSCRIBE, payload(keys=make_keys(new_keys())), format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response) == [expected]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body, expected",
    [
        (payload(customer_id="nobody"), [("does_not_exist", "customer_id")]),
        ({**payload(), "customer_id": None}, [("null", "customer_id")]),
        ({k: v for k, v in payload().items() if k != "subscription"}, [("required", "subscription")]),
        ({**payload(), "subscription": "texto"}, [("invalid", "subscription")]),
        ({**payload(), "subscription": {"keys": new_keys()}}, [("required", "subscription.endpoint")]),
        ({**payload(), "subscription": {"endpoint": ENDPOINT}}, [("required", "subscription.keys")]),
    ],
)
def test_subscribe_validation_names_the_field(client_api, customer, body, expected):
    response = client_api.post(SUBSCRIBE, body, format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response) == expected


def test_subscribe_for_an_inactive_customer_is_a_400(client_api, customer):
    customer.is_active = False
    customer.save()
    response = client_api.post(SUBSCRIBE, payload(), format="json")
    assert response.status_code == 400
    assert errors_of(response) == [("inactive_customer", "customer_id")]


# --- unsubscribe ---------------------------------------------------------------------------------


def test_unsubscribe_deactivates(client_api, customer):
    client_api.post(SUBSCRIBE, payload(), format="json")
    response = client_api.delete(SUBSCRIBE, {"endpoint": ENDPOINT}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    assert PushSubscription.objects.get().is_active is False
    assert client_api.delete(SUBSCRIBE, {"endpoint": ENDPOINT}, format="json").status_code == 204
    # subscribing again reactivates the same row
    assert client_api.post(SUBSCRIBE, payload(), format="json").status_code == 200
    assert PushSubscription.objects.get().is_active is True


def test_unsubscribe_unknown_endpoint_is_a_404(client_api, customer):
    response = client_api.delete(SUBSCRIBE, {"endpoint": ENDPOINT}, format="json")
    assert response.status_code == 404
    assert errors_of(response) == [("not_found", "endpoint")]


@pytest.mark.parametrize("body, code", [({}, "required"), ({"endpoint": ""}, "blank"), ({"endpoint": None}, "null")])
def test_unsubscribe_validation(client_api, body, code):
    response = client_api.delete(SUBSCRIBE, body, format="json")
    assert response.status_code == 400
    assert errors_of(response) == [(code, "endpoint")]


# --- status --------------------------------------------------------------------------------------


def test_status_counts_active_subscriptions(client_api, customer):
    assert client_api.get(STATUS + "customer-001/").json() == {
        "customer_id": "customer-001",
        "subscribed": False,
        "active_subscriptions": 0,
    }
    client_api.post(SUBSCRIBE, payload(), format="json")
    client_api.post(SUBSCRIBE, payload(endpoint=ENDPOINT + "-tablet"), format="json")
    client_api.post(SUBSCRIBE, payload(endpoint=ENDPOINT + "-old"), format="json")
    client_api.delete(SUBSCRIBE, {"endpoint": ENDPOINT + "-old"}, format="json")
    response = client_api.get(STATUS + "customer-001/")
    assert response.status_code == 200
    assert response.json() == {"customer_id": "customer-001", "subscribed": True, "active_subscriptions": 2}


def test_status_of_unknown_customer_is_a_404(client_api):
    response = client_api.get(STATUS + "nobody/")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "not_found"


# --- VAPID public key ----------------------------------------------------------------------------


def test_vapid_public_key(client_api):
    key = new_keys()["p256dh"]
    with override_settings(VAPID_PUBLIC_KEY=key):
        response = client_api.get(VAPID)
    assert response.status_code == 200
    assert response.json() == {"public_key": key}


@pytest.mark.parametrize("configured", ["", "no-es-una-clave"])
def test_vapid_public_key_not_configured_is_a_503(client_api, configured):
    with override_settings(VAPID_PUBLIC_KEY=configured):
        response = client_api.get(VAPID)
    assert response.status_code == 503
    assert response.json()["type"] == "server_error"
    assert errors_of(response) == [("push_not_configured", None)]
