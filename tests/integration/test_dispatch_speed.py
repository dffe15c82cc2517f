"""What a dispatch costs (issue 13): SQL statements per dispatch whatever the plan's length, the configuration read
from a snapshot that every process drops when the admin or the API changes it, and one Redis round trip to publish.

Counts, not times: statements as `connection.execute_wrapper` sees them, Redis commands as redis-py sends them.
"""

import pytest
from django.db import connection
from django.urls import reverse

from apps.core.constants import Channel
from apps.core.metrics import KEY, _field, metrics_flush
from apps.notifications.models import (
    CustomerChannelPreference,
    Dispatch,
    NotificationTemplate,
    OrchestrationConfig,
    PhaseChannelConfig,
    PushSubscription,
    ServicePhase,
)
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE
from apps.notifications.services import config_cache
from config.celery import app
from tests.integration.conftest import Statements, version_heard

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/events/dispatch/"
# The one-statement writes are PostgreSQL's (a data-modifying CTE, array subqueries); SQLite takes the ORM's path.
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the counted path is PostgreSQL's")


def count_statements(client, body=None, **headers) -> tuple[int, object]:
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.post(URL, body or SEED_EXAMPLE, format="json", **headers)
    assert response.status_code == 202, response.content
    return len(statements.sql), response


def _plan_of(customer, length: int) -> None:
    """The seed example's plan made `length` channels long: WhatsApp, then email, then push."""
    channels = [Channel.WHATSAPP, Channel.EMAIL, Channel.PUSH][:length]
    for priority, channel in enumerate([Channel.WHATSAPP, Channel.EMAIL, Channel.PUSH], start=1):
        CustomerChannelPreference.objects.create(
            customer=customer, channel=channel, priority=priority, is_enabled=channel in channels
        )
    if length == 3:
        config = OrchestrationConfig.objects.get(service_type__slug="mantenimiento-preventivo", target="clients")
        PhaseChannelConfig.objects.filter(config=config, phase__slug="phase-schedule", channel=Channel.PUSH).update(
            is_enabled=True
        )
        config_cache.config_version_bump()  # the test's own queryset update sends no signal
        PushSubscription.objects.create(
            customer=customer, endpoint="https://push.example.com/1", p256dh="k" * 87, auth="a" * 22
        )


@on_postgresql
@pytest.mark.parametrize("length", [1, 2, 3])
def test_two_statements_per_dispatch_whatever_the_plan(client_api, customer, fake_senders, queued_only, length):
    _plan_of(customer, length)
    count_statements(client_api)  # a process's first request loads the configuration snapshot
    statements, response = count_statements(client_api)
    assert len(response.json()["channel_plan"]) == length
    # The customer with its preferences, devices and absent-number flag; the dispatch with its first rows, stored
    # already queued (nothing is written after the publish).
    assert statements == 2
    [row] = Dispatch.objects.get(id=response.json()["dispatch_id"]).notifications.all()
    assert row.status == "queued" and row.queued_at is not None


@on_postgresql
def test_at_most_six_statements_with_an_idempotency_key(client_api, customer, fake_senders, queued_only):
    count_statements(client_api, HTTP_IDEMPOTENCY_KEY="warm-up")
    statements, _ = count_statements(client_api, HTTP_IDEMPOTENCY_KEY="a-new-key")
    assert statements <= 6


def test_the_first_rows_are_answered_without_reading_them_back(client_api, customer, fake_senders, queued_only):
    count_statements(client_api)
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client_api.post(URL, SEED_EXAMPLE, format="json")
    body = response.json()
    [row] = body["notifications"]
    assert Dispatch.objects.get(id=body["dispatch_id"]).notifications.get().id.hex == row["id"].replace("-", "")
    assert not [sql for sql in statements.sql if sql.lstrip().upper().startswith("SELECT") and "notificationlog" in sql]


# --- the snapshot follows every change ---------------------------------------------------------------------------


def _another_process_holds(snapshot) -> None:
    """Another process still holds the snapshot it loaded before the change (only the shared version moved)."""
    config_cache._Local.snapshot = snapshot


def test_a_template_changed_through_the_api_reaches_every_process(client_api, customer, fake_senders, queued_only):
    first = client_api.post(URL, SEED_EXAMPLE, format="json").json()
    template_id = Dispatch.objects.get(id=first["dispatch_id"]).rendered["whatsapp"]["template_id"]
    stale = config_cache.config_snapshot()
    template = NotificationTemplate.objects.get(id=template_id)
    response = client_api.patch(
        f"/api/v1/notifications/templates/{template_id}/",
        {"body": template.body + " Texto nuevo desde la API."},
        format="json",
    )
    assert response.status_code == 200, response.content

    _another_process_holds(stale)
    second = client_api.post(URL, SEED_EXAMPLE, format="json").json()
    rendered = Dispatch.objects.get(id=second["dispatch_id"]).rendered["whatsapp"]["body"]
    assert rendered.endswith("Texto nuevo desde la API.")


def test_the_matrix_changed_in_the_admin_reaches_every_process(
    client_api, customer, fake_senders, queued_only, admin_client, admin_pages
):
    assert client_api.post(URL, SEED_EXAMPLE, format="json").json()["channel_plan"] == ["whatsapp", "email"]
    stale = config_cache.config_snapshot()
    config = OrchestrationConfig.objects.get(service_type__slug="mantenimiento-preventivo", target="clients")
    phases = {phase.id: phase.slug for phase in ServicePhase.objects.all()}
    ticked = {
        f"matrix-{phases[cell.phase_id]}-{cell.channel}"
        for cell in PhaseChannelConfig.objects.filter(config=config, is_enabled=True)
    }
    ticked.discard("matrix-phase-schedule-whatsapp")
    payload = {
        "name": config.name,
        "service_type": str(config.service_type_id),
        "target": config.target,
        "is_active": "on",
        **dict.fromkeys(ticked, "on"),
    }
    url = reverse("admin:notifications_orchestrationconfig_change", args=[config.pk])
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context and response.context["errors"]

    _another_process_holds(stale)
    assert client_api.post(URL, SEED_EXAMPLE, format="json").json()["channel_plan"] == ["email"]


def test_a_revoked_key_is_refused_by_every_process(client_api, customer, fake_senders, queued_only):
    from rest_framework_api_key.models import APIKey

    assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code == 202
    stale = config_cache.config_snapshot()
    key = APIKey.objects.get(name="tests")
    key.revoked = True
    key.save()

    _another_process_holds(stale)
    assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code in (401, 403)


def test_without_a_change_the_snapshot_is_reused(client_api, customer, fake_senders, queued_only):
    client_api.post(URL, SEED_EXAMPLE, format="json")
    loaded = config_cache.config_snapshot()
    client_api.post(URL, SEED_EXAMPLE, format="json")
    assert config_cache.config_snapshot() is loaded


# --- the publish ---------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not app.conf.broker_url.startswith("redis"), reason="the broker is Redis only with REDIS_URL")
def test_the_publish_is_one_redis_round_trip(client_api, customer, fake_senders, queued_only, redis_commands):
    from apps.notifications.services.outbox import notification_enqueue

    client_api.post(URL, SEED_EXAMPLE, format="json")  # the process's producer connects once
    row = Dispatch.objects.latest("created_at").notifications.get()
    redis_commands.clear()
    assert notification_enqueue(row.id)
    assert len(redis_commands) == 1, redis_commands


@pytest.mark.skipif(not app.conf.broker_url.startswith("redis"), reason="the broker is Redis only with REDIS_URL")
def test_a_dispatch_costs_one_redis_round_trip(client_api, customer, fake_senders, queued_only, redis_commands):
    client_api.post(URL, SEED_EXAMPLE, format="json")
    version_heard()
    redis_commands.clear()
    assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code == 202
    # The publish. The configuration's version comes from the process's listener (config_version.py); the request's
    # metrics wait for the process's writer.
    assert len(redis_commands) == 1, redis_commands
    assert "LPUSH" in redis_commands[0]


@pytest.mark.skipif(not app.conf.broker_url.startswith("redis"), reason="the broker is Redis only with REDIS_URL")
def test_the_metrics_of_many_dispatches_are_one_write(
    client_api, customer, fake_senders, queued_only, redis_commands, own_metrics_store
):
    accepted = _field("ambacar_dispatches_total", {"status": "accepted"})
    before = float(own_metrics_store.client.hget(KEY, accepted) or 0)
    for _ in range(3):
        assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code == 202
    assert float(own_metrics_store.client.hget(KEY, accepted) or 0) == before
    redis_commands.clear()
    metrics_flush()
    # A PING (were Redis down, the sums would wait) and one MULTI/EXEC for the three requests.
    assert len(redis_commands) == 2, redis_commands
    assert float(own_metrics_store.client.hget(KEY, accepted)) == before + 3


def test_the_answer_is_what_its_serializer_renders(client_api, customer, fake_senders, queued_only):
    """The 202 body is built without the serializer (its cost); it must stay exactly what the schema's serializer
    renders for the same dispatch."""
    from apps.notifications.serializers.dispatch import DispatchAcceptedSerializer

    body = client_api.post(URL, SEED_EXAMPLE, format="json").json()
    dispatch = Dispatch.objects.get(id=body["dispatch_id"])
    [row] = dispatch.notifications.all()
    expected = DispatchAcceptedSerializer(
        {
            **body,
            "dispatch_id": dispatch.id,
            "notifications": [{"id": row.id, "channel": row.channel, "status": row.status}],
            "created_at": dispatch.created_at,
        }
    ).data
    assert body == expected
    assert body["notifications"][0]["status"] == "queued"


def test_with_the_version_unreadable_each_request_reads_the_configuration_once(
    client_api, customer, fake_senders, queued_only, monkeypatch
):
    """Redis down: no snapshot can be trusted across requests, but one request still reads the database once."""
    loads = []
    real_load = config_cache._load
    monkeypatch.setattr(config_cache, "config_version_read", lambda: (False, None))
    monkeypatch.setattr(config_cache, "_load", lambda version: loads.append(version) or real_load(version))
    for _ in range(2):
        assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code == 202
    assert len(loads) == 2


@pytest.mark.skipif(not app.conf.broker_url.startswith("redis"), reason="the broker is Redis only with REDIS_URL")
def test_a_dispatch_builds_no_redis_client(client_api, customer, fake_senders, queued_only, monkeypatch):
    """The cache and the broker reuse their clients: redis-py 8's constructor cost more than the command it served
    (apps/core/cache.py, apps/core/broker.py)."""
    import redis

    client_api.post(URL, SEED_EXAMPLE, format="json")  # the process's first cache read and publish build theirs
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("connection_pool"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    assert client_api.post(URL, SEED_EXAMPLE, format="json").status_code == 202
    assert built == []
