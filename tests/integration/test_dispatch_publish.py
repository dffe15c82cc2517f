"""A dispatch's first rows are stored already queued and published after the commit (docs/decisions.md,
«Rendimiento»): what becomes of them when the broker refuses, half-takes or never gets the publish.

The broker port is Celery's publish (`send_notification_task.apply_async`): refused with the error a dead Redis
gives, or a real dead broker (a port where nothing listens). The sweeps run as Beat would run them; their tasks run
in-process (the suite's eager mode) against the faked channels.
"""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from apps.notifications.models import Dispatch, NotificationLog
from apps.notifications.seed.examples import DISPATCH_EXAMPLE as SEED_EXAMPLE
from apps.notifications.services.outbox import notification_relay_pending
from apps.notifications.tasks import retry_failed_notifications, send_notification_task
from config.celery import app
from tests.factories import ASESOR, BODEGA, JEFE, STAFF_BODY, rows_by_recipient
from tests.services import dead_broker

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/notifications/events/dispatch/"


def post(client_api, body=SEED_EXAMPLE, **headers):
    response = client_api.post(URL, body, format="json", **headers)
    assert response.status_code == 202, response.content
    return response.json(), Dispatch.objects.get(id=response.json()["dispatch_id"])


def relay_after_grace() -> int:
    NotificationLog.objects.update(created_at=F("created_at") - timedelta(minutes=1))
    return notification_relay_pending()


class Broker:
    """Celery's publish, scripted: each call takes the next outcome ("ok", "refuse", "stop", or "deliver" = the
    message arrives and is consumed at once, then the reply is lost)."""

    def __init__(self, *outcomes: str):
        self.outcomes = list(outcomes)
        self.calls = 0
        self.published: list[str] = []

    def __call__(self, args=None, **kwargs):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if outcome == "refuse":
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        if outcome == "stop":
            raise SystemExit(1)  # what gunicorn's timeout (SIGABRT) and SIGQUIT raise in a worker mid-request
        self.published.append(args[0])
        if outcome == "deliver":
            send_notification_task.apply(args=args)
            raise TimeoutError("Timeout reading from socket")


class Publishing:
    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.eager = app.conf.task_always_eager
        app.conf.task_always_eager = False

    def __call__(self, broker: Broker) -> Broker:
        self.monkeypatch.setattr(send_notification_task, "apply_async", broker)
        return broker

    def back_to_the_suite_broker(self) -> None:
        """Publishing runs the task in-process again, as the suite's broker does."""
        self.monkeypatch.undo()
        app.conf.task_always_eager = self.eager


@pytest.fixture
def publishing(monkeypatch):
    """While the test posts, tasks are published through a scripted broker (`publishing(Broker(...))`)."""
    publishing = Publishing(monkeypatch)
    yield publishing
    publishing.back_to_the_suite_broker()


def test_a_row_the_broker_took_is_stored_queued(client_api, customer, fake_senders, publishing):
    broker = publishing(Broker("ok"))
    body, dispatch = post(client_api)
    [row] = dispatch.notifications.all()
    assert broker.published == [str(row.id)]
    assert row.status == "queued"
    assert row.queued_at is not None and row.queued_at <= row.updated_at  # stored with its row, not after
    assert body["notifications"] == [{"id": str(row.id), "channel": "whatsapp", "status": "queued"}]


def test_a_row_the_broker_refused_goes_back_to_pending_for_the_relay(client_api, customer, fake_senders):
    with dead_broker():
        body, dispatch = post(client_api)
    [row] = dispatch.notifications.all()
    assert (row.status, row.queued_at) == ("pending", None)
    assert body["notifications"] == [{"id": str(row.id), "channel": "whatsapp", "status": "pending"}]
    assert relay_after_grace() == 1  # the broker is back (in-process)
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_senders["whatsapp"].sent) == 1


def test_after_the_first_refusal_the_other_rows_go_back_to_pending_untried(client_api, staff, publishing):
    """A broker that refuses (or hangs until its socket timeout) is not asked again for each address."""
    broker = publishing(Broker("ok", "refuse"))
    _, dispatch = post(client_api, STAFF_BODY)
    by_number = rows_by_recipient(dispatch, "whatsapp")
    assert broker.calls == 2, "the first taken, the second refused, the third never tried"
    assert broker.published == [str(by_number[JEFE].id)]
    assert {n: by_number[n].status for n in (JEFE, ASESOR, BODEGA)} == {
        JEFE: "queued",
        ASESOR: "pending",
        BODEGA: "pending",
    }


def test_a_process_stopped_in_the_middle_of_the_publish_leaves_its_rows_to_the_relay(client_api, staff, publishing):
    publishing(Broker("ok", "stop"))
    with pytest.raises(SystemExit):
        post(client_api, STAFF_BODY)
    [dispatch] = Dispatch.objects.all()
    by_number = rows_by_recipient(dispatch, "whatsapp")
    assert [by_number[n].status for n in (JEFE, ASESOR, BODEGA)] == ["queued", "pending", "pending"]


def test_a_task_that_arrived_although_its_publish_failed_is_not_moved_back(
    client_api, customer, fake_senders, publishing
):
    """The reply was lost but the message got through and was sent: moving the row back to pending would make the
    relay send it a second time."""
    publishing(Broker("deliver"))
    body, dispatch = post(client_api)
    [row] = dispatch.notifications.all()
    assert row.status == "sent"
    assert body["notifications"][0]["status"] == "queued", "the row the answer describes was not moved back"
    publishing.back_to_the_suite_broker()
    assert relay_after_grace() == 0
    assert len(fake_senders["whatsapp"].sent) == 1


def test_a_row_whose_task_never_reached_the_broker_is_handed_over_by_the_stuck_sweep(
    client_api, customer, fake_senders, publishing
):
    """What a process killed outright between the commit and the publish leaves: a queued row with no task. The
    relay takes pending rows only; the stuck sweep hands it over once its lease has passed."""
    publishing(Broker("ok"))  # taken, then lost with the process that was publishing it
    _, dispatch = post(client_api)
    publishing.back_to_the_suite_broker()
    [row] = dispatch.notifications.all()
    assert row.status == "queued"
    assert relay_after_grace() == 0
    assert retry_failed_notifications.apply().get()["requeued"] == 0, "within its lease a queued row is waiting"
    NotificationLog.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert retry_failed_notifications.apply().get()["requeued"] == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(fake_senders["whatsapp"].sent) == 1


def test_with_an_idempotency_key_a_refused_row_is_relayed_and_the_answer_replays(client_api, customer, fake_senders):
    """The key's answer is stored in the acceptance's transaction, before the publish: it and its replays describe
    the row as it was stored (queued); the dispatch's detail shows where it is now."""
    with dead_broker():
        body, dispatch = post(client_api, HTTP_IDEMPOTENCY_KEY="evento-1")
    [row] = dispatch.notifications.all()
    assert row.status == "pending"
    assert body["notifications"][0]["status"] == "queued"
    replay = client_api.post(URL, SEED_EXAMPLE, format="json", HTTP_IDEMPOTENCY_KEY="evento-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == body
    detail = client_api.get(f"/api/v1/notifications/dispatches/{dispatch.id}/").json()
    assert detail["notifications"][0]["status"] == "pending"
    assert relay_after_grace() == 1
    row.refresh_from_db()
    assert row.status == "sent"
