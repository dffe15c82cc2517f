"""Pure part of the Web Push adapter: how a push service's answer or a transport error is classified."""

import pytest
import requests

from apps.notifications.adapters.push import (
    GONE,
    OK,
    PERMANENT,
    TRANSIENT,
    classify_exception,
    classify_status,
)


@pytest.mark.parametrize(
    ("status", "kind"),
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
def test_push_status_classification(status, kind):
    got, reason = classify_status(status)
    assert got == kind
    assert reason


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.ConnectTimeout(), TRANSIENT),
        (requests.ReadTimeout(), TRANSIENT),
        (requests.ConnectionError(), TRANSIENT),
        (requests.exceptions.ProxyError(), TRANSIENT),
        (requests.TooManyRedirects(), PERMANENT),
    ],
)
def test_push_exception_classification(exc, kind):
    assert classify_exception(exc)[0] == kind
