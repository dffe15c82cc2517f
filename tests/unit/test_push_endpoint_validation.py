"""The SSRF gate of Web Push (push_endpoint_validate) and the subscription key checks."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings

from apps.core.exceptions import ApplicationError
from apps.core.webpush import (
    p256_point_decode,
    push_endpoint_validate,
    push_host_allowed,
    push_keys_validate,
)
from apps.notifications.services.push import push_public_key_get

ALLOWED = ["fcm.googleapis.com", ".push.services.mozilla.com", "web.push.apple.com", ".notify.windows.com"]


def b64url(raw: bytes, *, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if padded else text.rstrip("=")


def real_point() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def off_curve_point() -> bytes:
    """65 bytes that look like an uncompressed point but are not on P-256."""
    point = bytearray(real_point())
    point[-1] ^= 0x01  # flip one bit of Y: (X, Y') is no longer on the curve
    return bytes(point)


# --- host matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("fcm.googleapis.com", True),  # exact entry
        ("FCM.googleapis.com", True),  # hosts are case-insensitive
        ("xfcm.googleapis.com", False),  # no dot boundary
        ("sub.fcm.googleapis.com", False),  # a plain entry means exactly that host
        ("fcm.googleapis.com.attacker.io", False),  # allowed name as a prefix
        ("evilfcm.googleapis.com.attacker.io", False),
        ("googleapis.com", False),
        ("push.services.mozilla.com", True),  # ".domain" allows the domain itself
        ("updates.push.services.mozilla.com", True),  # and its subdomains
        ("a.b.push.services.mozilla.com", True),
        ("evilpush.services.mozilla.com", False),  # no dot boundary
        ("push.services.mozilla.com.evil.io", False),
        ("web.push.apple.com", True),
        ("api.web.push.apple.com", False),
        ("wns2-par02p.notify.windows.com", True),
        ("notify.windows.com.evil.io", False),
    ],
)
def test_host_matching_respects_the_dot_boundary(host, allowed):
    assert push_host_allowed(host, ALLOWED) is allowed


def test_a_bare_dot_entry_allows_nothing():
    assert push_host_allowed("anything.example.com", ["."]) is False
    assert push_host_allowed("anything.example.com", ["", "  "]) is False


def test_host_matching_uses_settings_by_default():
    with override_settings(PUSH_ALLOWED_HOSTS=["push.example.com"]):
        assert push_host_allowed("push.example.com") is True
        assert push_host_allowed("fcm.googleapis.com") is False


# --- endpoints ---------------------------------------------------------------------------------


@override_settings(PUSH_ALLOWED_HOSTS=ALLOWED, PUSH_ALLOW_INSECURE_ENDPOINTS=False)
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",
        "https://fcm.googleapis.com:443/fcm/send/abc",  # explicit default port
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
        "HTTPS://FCM.GOOGLEAPIS.COM/fcm/send/abc",
    ],
)
def test_valid_endpoints_pass(endpoint):
    assert push_endpoint_validate(endpoint) is None


@override_settings(PUSH_ALLOWED_HOSTS=ALLOWED, PUSH_ALLOW_INSECURE_ENDPOINTS=False)
@pytest.mark.parametrize(
    "endpoint, code",
    [
        ("http://fcm.googleapis.com/fcm/send/abc", "push_endpoint_not_https"),
        ("ftp://fcm.googleapis.com/x", "push_endpoint_not_https"),
        ("//fcm.googleapis.com/x", "push_endpoint_not_https"),
        ("fcm.googleapis.com/fcm/send/abc", "push_endpoint_not_https"),
        ("https://fcm.googleapis.com:8443/fcm/send/abc", "push_endpoint_port"),
        ("https://fcm.googleapis.com:80/x", "push_endpoint_port"),
        ("https://fcm.googleapis.com:99999/x", "invalid_push_endpoint"),
        ("https://fcm.googleapis.com:abc/x", "invalid_push_endpoint"),
        ("https://xfcm.googleapis.com/x", "push_endpoint_host_not_allowed"),
        ("https://evilfcm.googleapis.com.attacker.io/x", "push_endpoint_host_not_allowed"),
        ("https://fcm.googleapis.com.attacker.io/x", "push_endpoint_host_not_allowed"),
        ("https://fcm.googleapis.com./x", "invalid_push_endpoint"),  # trailing dot
        ("https://user:pass@fcm.googleapis.com/x", "push_endpoint_userinfo"),
        ("https://fcm.googleapis.com@attacker.io/x", "push_endpoint_userinfo"),
        ("https://attacker.io\\@fcm.googleapis.com/x", "push_endpoint_userinfo"),
        ("https://127.0.0.1/x", "push_endpoint_ip_literal"),
        ("https://169.254.169.254/latest/meta-data", "push_endpoint_ip_literal"),
        ("https://[::1]/x", "push_endpoint_ip_literal"),
        ("https://[fd00::1]:443/x", "push_endpoint_ip_literal"),
        ("https://2130706433/x", "push_endpoint_ip_literal"),  # 127.0.0.1 as one number
        ("https://127.1/x", "push_endpoint_ip_literal"),
        ("https://fcm.googleapis.com/fcm send", "invalid_push_endpoint"),
        ("https://fcm.googleapis.com/x\r\nHost: evil", "invalid_push_endpoint"),
        ("https://fcm.googleapís.com/x", "invalid_push_endpoint"),
        ("https://fcm.googleapis.com%2eattacker.io/x", "invalid_push_endpoint"),
        ("https:///x", "invalid_push_endpoint"),
        ("https://[fcm.googleapis.com]/x", "invalid_push_endpoint"),
        ("", "invalid_push_endpoint"),
        ("https://fcm.googleapis.com/" + "a" * 1000, "invalid_push_endpoint"),
    ],
)
def test_unsafe_endpoints_are_rejected(endpoint, code):
    with pytest.raises(ApplicationError) as info:
        push_endpoint_validate(endpoint)
    assert info.value.code == code
    assert info.value.status_code == 400
    assert info.value.attr == "endpoint"


@override_settings(PUSH_ALLOWED_HOSTS=["localhost", ".push.example.com"], PUSH_ALLOW_INSECURE_ENDPOINTS=True)
def test_insecure_mode_allows_http_and_any_port_for_allowed_hosts_only():
    push_endpoint_validate("http://localhost:8099/push/abc")
    push_endpoint_validate("https://localhost:8443/push/abc")
    push_endpoint_validate("http://a.push.example.com/x")
    for endpoint, code in [
        ("http://attacker.io:8099/push", "push_endpoint_host_not_allowed"),
        ("http://127.0.0.1:8099/push", "push_endpoint_ip_literal"),
        ("http://user@localhost:8099/push", "push_endpoint_userinfo"),
        ("ftp://localhost/push", "push_endpoint_not_https"),
    ]:
        with pytest.raises(ApplicationError) as info:
            push_endpoint_validate(endpoint)
        assert info.value.code == code, endpoint


@override_settings(PUSH_ALLOWED_HOSTS=[], PUSH_ALLOW_INSECURE_ENDPOINTS=False)
def test_an_empty_allow_list_allows_nothing():
    with pytest.raises(ApplicationError) as info:
        push_endpoint_validate("https://fcm.googleapis.com/fcm/send/abc")
    assert info.value.code == "push_endpoint_host_not_allowed"


# --- keys --------------------------------------------------------------------------------------


def test_real_keys_are_accepted_and_returned_canonical():
    point, secret = real_point(), os.urandom(16)
    p256dh, auth = push_keys_validate(p256dh=b64url(point), auth=b64url(secret))
    assert base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4)) == point
    assert base64.urlsafe_b64decode(auth + "==") == secret
    assert "=" not in p256dh and "=" not in auth


def test_padding_is_optional_and_the_standard_alphabet_is_tolerated():
    point, secret = real_point(), os.urandom(16)
    canonical = push_keys_validate(p256dh=b64url(point), auth=b64url(secret))
    assert push_keys_validate(p256dh=b64url(point, padded=True), auth=b64url(secret, padded=True)) == canonical
    standard = (base64.b64encode(point).decode(), base64.b64encode(secret).decode())
    assert push_keys_validate(p256dh=standard[0], auth=standard[1]) == canonical


@pytest.mark.parametrize(
    "make_p256dh",
    [
        lambda: b64url(off_curve_point()),
        lambda: b64url(real_point()[:64]),  # truncated
        lambda: b64url(real_point() + b"\x00"),  # too long
        lambda: b64url(b"\x02" + real_point()[1:33]),  # compressed form
        lambda: b64url(b"\x05" + real_point()[1:]),  # wrong prefix
        lambda: b64url(b"\x04" + b"\x00" * 64),  # the point at infinity is not a public key
        lambda: "not base64!",
        lambda: "",
        lambda: "A",  # impossible base64 length
    ],
)
def test_p256dh_must_be_an_uncompressed_point_on_the_curve(make_p256dh):
    with pytest.raises(ApplicationError) as info:
        push_keys_validate(p256dh=make_p256dh(), auth=b64url(os.urandom(16)))
    assert (info.value.code, info.value.attr, info.value.status_code) == ("invalid_p256dh", "p256dh", 400)


@pytest.mark.parametrize("auth", [b64url(os.urandom(15)), b64url(os.urandom(17)), b64url(b""), "%%%", "A"])
def test_auth_must_be_sixteen_bytes(auth):
    with pytest.raises(ApplicationError) as info:
        push_keys_validate(p256dh=b64url(real_point()), auth=auth)
    assert (info.value.code, info.value.attr) == ("invalid_auth", "auth")


def test_point_decoder_returns_the_raw_point():
    point = real_point()
    assert p256_point_decode(b64url(point)) == point
    with pytest.raises(ValueError):
        p256_point_decode(b64url(off_curve_point()))


# --- VAPID public key --------------------------------------------------------------------------


def test_vapid_public_key_is_returned_canonical():
    point = real_point()
    with override_settings(VAPID_PUBLIC_KEY=b64url(point, padded=True)):
        assert push_public_key_get() == b64url(point)


@pytest.mark.parametrize("configured", ["", "not-a-key", b64url(off_curve_point())])
def test_vapid_public_key_missing_or_invalid_is_not_configured(configured):
    with override_settings(VAPID_PUBLIC_KEY=configured), pytest.raises(ApplicationError) as info:
        push_public_key_get()
    assert (info.value.code, info.value.status_code) == ("push_not_configured", 503)
