"""GET /api/v1/analytics/summary/, recent/ and health/ over a known set of log rows.

Time is frozen at NOW (10:00 in Guayaquil, 15:00 UTC) so that every window edge and every local day is
known; created_at is set with update() because it is auto_now_add.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.analytics import selectors
from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog, ServicePhase, ServiceType

pytestmark = pytest.mark.django_db

GYE = ZoneInfo("America/Guayaquil")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=GYE)
SUMMARY = "/api/v1/analytics/summary/"
RECENT = "/api/v1/analytics/recent/"
HEALTH = "/api/v1/analytics/health/"


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=GYE)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def catalog(db):
    service_type = ServiceType.objects.create(slug="analytics-type", name="Tipo de prueba")
    phase = ServicePhase.objects.create(slug="analytics-phase", name="Fase de prueba", order=99)
    return service_type, phase


def make_dispatch(catalog, at: datetime) -> Dispatch:
    service_type, phase = catalog
    dispatch = Dispatch.objects.create(
        event_type="vehicle_received", service_type=service_type, phase=phase, target="clients"
    )
    Dispatch.objects.filter(pk=dispatch.pk).update(created_at=at)
    return dispatch


def make_log(channel: str, status: str, at: datetime, **fields) -> NotificationLog:
    fields.setdefault("event_type", "vehicle_received")
    row = NotificationLog.objects.create(channel=channel, status=status, **fields)
    NotificationLog.objects.filter(pk=row.pk).update(created_at=at)
    row.refresh_from_db()
    return row


@pytest.fixture
def known_rows(frozen, catalog):
    """12 rows inside the 7-day window, 2 more inside 365 days, 1 older than that; 3 dispatches.

    local day   rows (channel status)                                  n  sent failed
    2026-11-13  whatsapp queued (10:30, just inside)                   1  0    0
    2026-11-14  —                                                      0  0    0
    2026-11-15  push sent                                              1  1    0
    2026-11-16  whatsapp sending                                       1  0    0
    2026-11-17  whatsapp delivered (20:00 local = 11-18 01:00 UTC)     1  1    0
    2026-11-18  whatsapp failed (00:30), email sent ← fallback of it   2  1    1
    2026-11-19  whatsapp read (23:30 local = 11-20 UTC), whatsapp
                failed, email failed ← fallback of it                  3  1    2
    2026-11-20  email sent, email delivered, push pending              3  2    0
    """
    d1 = make_dispatch(catalog, local(11, 19, 11, 59))
    d2 = make_dispatch(catalog, local(11, 18, 0, 29))
    make_dispatch(catalog, local(10, 1, 12))  # inside 365 days only
    rows = {}
    rows[1] = make_log("email", "sent", local(11, 20, 9), dispatch=d1)
    rows[2] = make_log("email", "delivered", local(11, 20, 8))
    rows[3] = make_log("whatsapp", "read", local(11, 19, 23, 30))
    rows[4] = make_log("whatsapp", "failed", local(11, 19, 12), dispatch=d1)
    rows[5] = make_log("whatsapp", "failed", local(11, 18, 0, 30), dispatch=d2)
    rows[6] = make_log("email", "sent", local(11, 18, 0, 31), dispatch=d2, fallback_from=rows[5])
    rows[7] = make_log("push", "sent", local(11, 15, 10))
    rows[8] = make_log("push", "pending", local(11, 20, 9, 59))
    rows[9] = make_log("whatsapp", "queued", local(11, 13, 10, 30))
    rows[10] = make_log("whatsapp", "sending", local(11, 16, 13))
    rows[11] = make_log("email", "failed", local(11, 19, 12, 1), dispatch=d1, fallback_from=rows[4])
    rows[12] = make_log("whatsapp", "delivered", local(11, 17, 20))
    # Outside the 7-day window: one minute before its start, then older.
    rows[13] = make_log("email", "sent", local(11, 13, 9, 59))
    rows[14] = make_log("whatsapp", "failed", local(10, 1, 12))
    rows[15] = make_log("push", "sent", local(11, 1, 12, year=2025))  # older than 365 days
    return rows


def counters(n, sent, delivered, read, failed, pending, fallbacks, rate):
    return {
        "notifications": n,
        "sent": sent,
        "delivered": delivered,
        "read": read,
        "failed": failed,
        "pending": pending,
        "fallbacks": fallbacks,
        "success_rate": rate,
    }


def day(date: str, n: int, sent: int, failed: int) -> dict:
    return {"date": date, "notifications": n, "sent": sent, "failed": failed}


# --- summary ----------------------------------------------------------------------------------------


def test_summary_default_window_every_number(client_api, known_rows):
    r = client_api.get(SUMMARY)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["days"] == 7
    assert body["since"] == "2026-11-13T10:00:00-05:00"
    assert body["until"] == "2026-11-20T10:00:00-05:00"
    assert body["timezone"] == "America/Guayaquil"
    assert body["totals"] == {"dispatches": 2, **counters(12, 6, 3, 1, 3, 3, 2, 66.7)}
    assert body["by_channel"] == {
        "email": counters(4, 3, 1, 0, 1, 0, 2, 75.0),
        "whatsapp": counters(6, 2, 2, 1, 2, 2, 0, 50.0),
        "push": counters(2, 1, 0, 0, 0, 1, 0, 100.0),
    }
    assert body["daily"] == [
        day("2026-11-13", 1, 0, 0),
        day("2026-11-14", 0, 0, 0),
        day("2026-11-15", 1, 1, 0),
        day("2026-11-16", 1, 0, 0),
        day("2026-11-17", 1, 1, 0),
        day("2026-11-18", 2, 1, 1),
        day("2026-11-19", 3, 1, 2),
        day("2026-11-20", 3, 2, 0),
    ]
    # The series adds up to the totals.
    assert sum(p["notifications"] for p in body["daily"]) == body["totals"]["notifications"]
    assert sum(p["sent"] for p in body["daily"]) == body["totals"]["sent"]
    assert sum(p["failed"] for p in body["daily"]) == body["totals"]["failed"]


def test_summary_one_day(client_api, known_rows):
    body = client_api.get(SUMMARY, {"days": "1"}).json()
    assert body["since"] == "2026-11-19T10:00:00-05:00"
    # rows 1, 2, 3, 4, 8, 11; dispatch d1 only.
    assert body["totals"] == {"dispatches": 1, **counters(6, 3, 2, 1, 2, 1, 1, 60.0)}
    assert body["by_channel"]["email"] == counters(3, 2, 1, 0, 1, 0, 1, 66.7)
    assert body["by_channel"]["whatsapp"] == counters(2, 1, 1, 1, 1, 0, 0, 50.0)
    assert body["by_channel"]["push"] == counters(1, 0, 0, 0, 0, 1, 0, None)
    assert body["daily"] == [day("2026-11-19", 3, 1, 2), day("2026-11-20", 3, 2, 0)]


def test_summary_365_days_includes_older_rows_but_not_the_oldest(client_api, known_rows):
    body = client_api.get(SUMMARY, {"days": 365}).json()
    assert body["totals"] == {"dispatches": 3, **counters(14, 7, 3, 1, 4, 3, 2, 63.6)}
    assert body["by_channel"]["email"] == counters(5, 4, 1, 0, 1, 0, 2, 80.0)
    assert body["by_channel"]["whatsapp"] == counters(7, 2, 2, 1, 3, 2, 0, 40.0)
    assert body["by_channel"]["push"] == counters(2, 1, 0, 0, 0, 1, 0, 100.0)
    daily = body["daily"]
    assert len(daily) == 366
    assert daily[0] == day("2025-11-20", 0, 0, 0)
    assert daily[-1] == day("2026-11-20", 3, 2, 0)
    assert [d["date"] for d in daily] == sorted({d["date"] for d in daily})
    by_date = {d["date"]: d for d in daily}
    assert by_date["2026-10-01"] == day("2026-10-01", 1, 0, 1)
    assert by_date["2026-11-13"] == day("2026-11-13", 2, 1, 0)
    assert sum(d["notifications"] for d in daily) == 14
    assert sum(1 for d in daily if d["notifications"]) == 8


def test_summary_empty_database_has_every_channel_and_day(client_api, frozen):
    body = client_api.get(SUMMARY, {"days": 3}).json()
    zero = counters(0, 0, 0, 0, 0, 0, 0, None)
    assert body["totals"] == {"dispatches": 0, **zero}
    assert body["by_channel"] == {"email": zero, "whatsapp": zero, "push": zero}
    assert body["daily"] == [day(f"2026-11-{d}", 0, 0, 0) for d in (17, 18, 19, 20)]


# Sent empty is sent: a 400 like any unreadable value (leave `days` out for the default).
@pytest.mark.parametrize("value", ["", "0", "366", "-1", "abc", "7.0", "1e2", " 7", "+7", "9999999"])
def test_summary_rejects_bad_days(client_api, value):
    r = client_api.get(SUMMARY, {"days": value})
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "validation_error"
    assert [e["attr"] for e in body["errors"]] == ["days"]
    assert "entre 1 y 365" in body["errors"][0]["detail"]


@pytest.mark.parametrize(("query", "expected"), [({"days": "1"}, 1), ({"days": "365"}, 365), ({}, 7)])
def test_summary_accepts_days_at_the_edges_and_absent_means_default(client_api, frozen, query, expected):
    r = client_api.get(SUMMARY, query)
    assert r.status_code == 200, r.content
    assert r.json()["days"] == expected
    assert len(r.json()["daily"]) == expected + 1


def _bulk_logs(count: int) -> None:
    channels, statuses = ["email", "whatsapp", "push"], ["sent", "failed", "pending", "read"]
    NotificationLog.objects.bulk_create(
        NotificationLog(channel=channels[i % 3], status=statuses[i % 4], event_type="custom") for i in range(count)
    )


@pytest.mark.parametrize("rows", [10, 1000])
def test_summary_query_count_does_not_grow_with_rows(client_api, django_assert_max_num_queries, rows):
    _bulk_logs(rows)
    with django_assert_max_num_queries(3):
        summary = selectors.analytics_summary(days=30)
    assert summary["totals"]["notifications"] == rows
    assert sum(c["notifications"] for c in summary["by_channel"].values()) == rows
    assert sum(d["notifications"] for d in summary["daily"]) == rows
    # Through the API, the same: the API key comes from the process's configuration snapshot, which the first
    # request of the process loads.
    client_api.get(SUMMARY, {"days": 1})
    with django_assert_max_num_queries(3):
        r = client_api.get(SUMMARY, {"days": 30})
    assert r.json()["totals"]["notifications"] == rows


def test_summary_and_recent_require_an_api_key(anon_api):
    for url in (SUMMARY, RECENT):
        r = anon_api.get(url)
        assert r.status_code == 401, url
        assert r.json()["type"] == "client_error"


# --- recent -----------------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    carlos = CustomerContactInfo.objects.create(customer_id="customer-001", email="carlos@example.com")
    ana = CustomerContactInfo.objects.create(customer_id="customer-002", phone="+593991234567")
    return carlos, ana


@pytest.fixture
def recent_rows(frozen, catalog, people):
    carlos, ana = people
    dispatch = make_dispatch(catalog, local(11, 20, 9))
    return [
        make_log(
            "email",
            "sent",
            local(11, 20, 9, 5),
            customer=carlos,
            dispatch=dispatch,
            recipient="carlos@example.com",
            attempts=1,
            sent_at=local(11, 20, 9, 5),
        ),
        make_log(
            "whatsapp",
            "failed",
            local(11, 20, 9, 4),
            customer=ana,
            recipient="+593991234567",
            attempts=4,
            error_message="El número no está registrado en WhatsApp.",
            failed_at=local(11, 20, 9, 4),
        ),
        make_log("push", "sent", local(11, 20, 9, 3), customer=carlos, recipient="sub-1, sub-2", attempts=1),
        make_log(
            "email", "pending", local(11, 19, 8), recipient="taller@example.com, jefe@example.com", event_type="custom"
        ),
        make_log("whatsapp", "sent", local(10, 2, 8), customer=ana, recipient="+593991234567"),
    ]


def test_recent_newest_first_with_every_field_masked(client_api, recent_rows):
    r = client_api.get(RECENT)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["limit"] == 50
    results = body["results"]
    assert [x["id"] for x in results] == [str(row.id) for row in recent_rows]
    first = results[0]
    assert first == {
        "id": str(recent_rows[0].id),
        "dispatch_id": str(recent_rows[0].dispatch_id),
        "channel": "email",
        "event_type": "vehicle_received",
        "status": "sent",
        "attempts": 1,
        "customer_id": "customer-001",
        "recipient": "c***@example.com",
        "error": None,
        "created_at": "2026-11-20T09:05:00-05:00",
        "sent_at": "2026-11-20T09:05:00-05:00",
        "failed_at": None,
    }
    whatsapp = results[1]
    assert whatsapp["recipient"] == "+593******567"
    assert whatsapp["error"] == "El número no está registrado en WhatsApp."
    assert (whatsapp["attempts"], whatsapp["failed_at"], whatsapp["dispatch_id"]) == (
        4,
        "2026-11-20T09:04:00-05:00",
        None,
    )
    assert results[2]["recipient"] == "2 dispositivo(s) push"
    assert results[3]["recipient"] == "t***@example.com, j***@example.com"
    assert results[3]["customer_id"] is None
    raw = r.content.decode()
    for secret in ("carlos@example.com", "991234567", "sub-1", "taller@"):
        assert secret not in raw


def test_recent_limit(client_api, recent_rows):
    body = client_api.get(RECENT, {"limit": 2}).json()
    assert body["limit"] == 2
    assert [x["id"] for x in body["results"]] == [str(recent_rows[0].id), str(recent_rows[1].id)]


def test_recent_caps_at_200(client_api, frozen):
    _bulk_logs(205)
    assert len(client_api.get(RECENT, {"limit": 200}).json()["results"]) == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "whatsapp"}, [1, 4]),
        ({"status": "sent"}, [0, 2, 4]),
        ({"customer_id": "customer-001"}, [0, 2]),
        ({"customer_id": "customer-002", "status": "sent"}, [4]),
        ({"channel": "email", "status": "pending"}, [3]),
        ({"customer_id": "customer-999"}, []),
    ],
)
def test_recent_filters(client_api, recent_rows, params, expected):
    r = client_api.get(RECENT, params)
    assert r.status_code == 200, r.content
    assert [x["id"] for x in r.json()["results"]] == [str(recent_rows[i].id) for i in expected]


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "diez"}, "limit"),
        ({"channel": "sms"}, "channel"),
        ({"status": "lost"}, "status"),
        ({"customer_id": "no valid!"}, "customer_id"),
        ({"customer_id": "x" * 101}, "customer_id"),
    ],
)
def test_recent_rejects_bad_values_naming_the_field(client_api, params, attr):
    r = client_api.get(RECENT, params)
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "validation_error"
    assert [e["attr"] for e in body["errors"]] == [attr]


def test_recent_is_one_query(client_api, recent_rows, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(selectors.analytics_recent(limit=50))
        [row.customer.customer_id for row in rows if row.customer_id]


# --- health -----------------------------------------------------------------------------------------


def traffic(channel: str, *, sent: int = 0, failed: int = 0, pending: int = 0, hours_ago: float = 1) -> None:
    at = NOW - timedelta(hours=hours_ago)
    for status, count in (("delivered", sent), ("failed", failed), ("queued", pending)):
        for _ in range(count):
            make_log(channel, status, at)


def channel(configured, sent, failed, rate, status):
    return {"configured": configured, "sent": sent, "failed": failed, "success_rate": rate, "status": status}


def whatsapp(configured, sent, failed, rate, status):
    """WhatsApp adds its instances when configured (none here: EVOLUTION_INSTANCE is empty in the suite)."""
    return channel(configured, sent, failed, rate, status) | ({"instances": []} if configured else {})


def test_health_each_threshold_and_the_worst_wins(client_api, frozen, fake_senders):
    traffic("email", sent=9, failed=1)  # 90.0 → healthy (edge)
    traffic("whatsapp", sent=1, failed=1)  # 50.0 → degraded (edge)
    traffic("push", sent=1, failed=2)  # 33.3 → unhealthy
    traffic("push", sent=5, hours_ago=25)  # older than 24 h: not counted
    r = client_api.get(HEALTH)
    assert r.status_code == 200, r.content
    assert r.json() == {
        "status": "unhealthy",
        "window_hours": 24,
        "checked_at": "2026-11-20T10:00:00-05:00",
        "channels": {
            "email": channel(True, 9, 1, 90.0, "healthy"),
            "whatsapp": whatsapp(True, 1, 1, 50.0, "degraded"),
            "push": channel(True, 1, 2, 33.3, "unhealthy"),
        },
    }


def test_health_just_below_the_thresholds(client_api, frozen, fake_senders):
    traffic("email", sent=8, failed=1)  # 88.9 → degraded
    traffic("whatsapp", sent=1, failed=2)  # 33.3 → unhealthy
    traffic("push", sent=0, failed=1)  # 0.0 → unhealthy
    body = client_api.get(HEALTH).json()
    assert body["channels"]["email"] == channel(True, 8, 1, 88.9, "degraded")
    assert body["channels"]["whatsapp"] == whatsapp(True, 1, 2, 33.3, "unhealthy")
    assert body["channels"]["push"] == channel(True, 0, 1, 0.0, "unhealthy")
    assert body["status"] == "unhealthy"


def test_health_idle_channels_do_not_count(client_api, frozen, fake_senders):
    traffic("email", sent=3)
    traffic("whatsapp", pending=2)  # traffic, but nothing finished yet
    traffic("push", failed=4, hours_ago=30)
    body = client_api.get(HEALTH).json()
    assert body["channels"] == {
        "email": channel(True, 3, 0, 100.0, "healthy"),
        "whatsapp": whatsapp(True, 0, 0, None, "idle"),
        "push": channel(True, 0, 0, None, "idle"),
    }
    assert body["status"] == "healthy"


def test_health_all_idle_is_healthy(client_api, frozen, fake_senders):
    body = client_api.get(HEALTH).json()
    assert body["status"] == "healthy"
    assert {c["status"] for c in body["channels"].values()} == {"idle"}


def test_health_unconfigured_channel_is_reported_but_not_in_the_overall_status(client_api, frozen, fake_senders):
    fake_senders["push"].configured = False
    traffic("email", sent=19, failed=1)  # 95.0 healthy
    traffic("whatsapp", sent=3, failed=1)  # 75.0 degraded
    traffic("push", failed=2)  # unhealthy, but push is not configured
    body = client_api.get(HEALTH).json()
    assert body["channels"]["push"] == channel(False, 0, 2, 0.0, "unhealthy")
    assert body["channels"]["whatsapp"]["configured"] is True
    assert body["status"] == "degraded"


def test_health_with_no_channel_configured_is_unhealthy(client_api, frozen, fake_senders):
    for fake in fake_senders.values():
        fake.configured = False
    body = client_api.get(HEALTH).json()
    assert body["status"] == "unhealthy"
    assert [c["configured"] for c in body["channels"].values()] == [False, False, False]


def test_health_anonymous_callers_get_the_overall_status_only(anon_api, frozen, fake_senders):
    traffic("whatsapp", sent=1, failed=1)
    r = anon_api.get(HEALTH)
    assert r.status_code == 200
    assert r.json() == {"status": "degraded"}


def test_health_is_public_even_with_a_wrong_key(frozen, fake_senders):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key not.a-real-key")
    r = client.get(HEALTH)
    assert r.status_code == 200 and r.json() == {"status": "healthy"}  # a wrong key is an anonymous caller


def test_health_is_one_query(frozen, fake_senders, django_assert_num_queries):
    traffic("email", sent=2, failed=1)
    with django_assert_num_queries(1):
        health = selectors.analytics_channel_health(with_instances=False)
    assert health["channels"]["email"]["success_rate"] == 66.7


# --- definitions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "failed", "rate"),
    [(0, 0, None), (1, 0, 100.0), (0, 3, 0.0), (2, 1, 66.7), (1, 2, 33.3), (1, 15, 6.3), (1799, 201, 90.0)],
)
def test_success_rate_rounds_half_up_to_one_decimal(sent, failed, rate):
    assert selectors.success_rate(sent=sent, failed=failed) == rate


@pytest.mark.parametrize(
    ("rate", "status"),
    [
        (None, "idle"),
        (100.0, "healthy"),
        (90.0, "healthy"),
        (89.9, "degraded"),
        (50.0, "degraded"),
        (49.9, "unhealthy"),
    ],
)
def test_health_status_thresholds(rate, status):
    assert selectors.health_status(rate) == status


def test_openapi_marks_health_public_and_tags_analytics(anon_api):
    schema = anon_api.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for url in (SUMMARY, RECENT, HEALTH):
        operation = paths[url]["get"]
        assert operation["tags"] == ["Analítica"]
        assert operation["summary"] and operation["description"]
        assert operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert {} in paths[HEALTH]["get"]["security"]  # public; a key gets the whole report
    assert paths[SUMMARY]["get"].get("security") != [{}]
