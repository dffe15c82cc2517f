"""Pure part of the Web Push adapter: how a push service's answer or a transport error is classified."""

import pytest
import requests

from apps.notifications.adapters.push import SUBSCRIPTION_GONE, classify_exception, classify_status

OK, GONE, PERMANENT, TRANSIENT, UNKNOWN = "ok", "gone", "permanent", "transient", "unknown_outcome"


def outcome(error) -> str:
    if error is None:
        return OK
    return GONE if error.code == SUBSCRIPTION_GONE else error.kind.value


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, OK),
        (201, OK),
        (202, OK),
        (404, GONE),
        (410, GONE),
        (413, PERMANENT),
        (400, PERMANENT),
        (401, PERMANENT),
        (403, PERMANENT),
        (307, PERMANENT),
        (415, PERMANENT),
        (408, TRANSIENT),
        (429, TRANSIENT),
        (500, TRANSIENT),
        (502, TRANSIENT),
        (503, TRANSIENT),
        (504, TRANSIENT),
    ],
)
def test_push_status_classification(status, expected):
    error = classify_status(status)
    assert outcome(error) == expected
    if error is not None:
        assert error.message


def test_a_gone_subscription_is_permanent():
    assert classify_status(410).kind == PERMANENT


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.ConnectTimeout(), TRANSIENT),
        (requests.ReadTimeout(), UNKNOWN),  # the request was written: the push service may have queued it
        (requests.ConnectionError(), TRANSIENT),
        (requests.exceptions.ProxyError(), TRANSIENT),
        (requests.TooManyRedirects(), PERMANENT),
    ],
)
def test_push_exception_classification(exc, expected):
    assert outcome(classify_exception(exc)) == expected
