"""The email adapter against a real SMTP server (aiosmtpd) on 127.0.0.1: what each SMTP phase's failure means,
and a Message-ID that stays the same across the attempts of one notification."""

from __future__ import annotations

import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from apps.core.constants import ErrorKind
from apps.core.exceptions import SendError
from apps.core.ports import OutboundMessage
from apps.notifications.adapters import get_sender, reset_senders
from apps.notifications.adapters.email import EmailSender, message_id_for
from tests.fakes.smtp_server import ScriptedInbox
from tests.services import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp():
    handler = ScriptedInbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port, handler.controller = port, controller
    settings = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=1,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        DEFAULT_FROM_EMAIL="Ambacar Service <notificaciones@ambacar.test>",
    )
    with settings:
        yield handler
    handler.controller.stop()


@pytest.fixture
def sender(smtp):
    email = EmailSender()
    yield email
    email.close()


def message(to: str = "carlos@example.com", **overrides) -> OutboundMessage:
    fields = {
        "notification_id": "6f1c2a4e-0000-4000-8000-000000000001",
        "channel": "email",
        "recipient": to,
        "subject": "Su vehículo está listo",
        "body": "Hola Carlos,\nsu vehículo está listo.",
        "html_body": "<p>Hola Carlos,<br>su vehículo está listo.</p>",
    }
    return OutboundMessage(**(fields | overrides))


def send_error(sender: EmailSender, msg: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as info:
        sender.send(msg)
    return info.value


def test_text_and_html_with_a_message_id_of_the_notification(smtp, sender):
    result = sender.send(message())

    [received] = smtp.messages
    assert received["To"] == "carlos@example.com"
    assert received["Message-ID"] == result.provider_message_id == message_id_for(message().notification_id)
    assert received["X-Notification-Id"] == message().notification_id
    assert "su vehículo está listo" in received.get_body(preferencelist=("plain",)).get_content()
    assert "<br>" in received.get_body(preferencelist=("html",)).get_content()


def test_the_from_is_the_messages_sender_else_the_default(smtp, sender):
    sender.send(message(sender="Taller Norte <avisos@norte.ec>"))
    sender.send(message(notification_id="6f1c2a4e-0000-4000-8000-000000000004"))

    assert [m["From"] for m in smtp.messages] == [
        "Taller Norte <avisos@norte.ec>",
        "Ambacar Service <notificaciones@ambacar.test>",
    ]


def test_every_attempt_of_a_notification_carries_the_same_message_id(smtp, sender):
    """A mailbox that got the first attempt can drop a resend after an unknown outcome."""
    sender.send(message())
    sender.send(message())
    sender.send(message(notification_id="6f1c2a4e-0000-4000-8000-000000000002"))

    ids = [m["Message-ID"] for m in smtp.messages]
    assert ids[0] == ids[1] != ids[2]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [("550 5.1.1 No such user", ErrorKind.PERMANENT), ("450 4.2.1 Mailbox busy", ErrorKind.TRANSIENT)],
)
def test_a_refused_recipient_is_classified_by_its_code(smtp, sender, reply, kind):
    smtp.refuse["nadie@example.com"] = reply
    error = send_error(sender, message("nadie@example.com"))
    assert error.kind == kind and reply[:3] in error.message
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("reply", "kind"),
    [("554 5.7.1 Rejected as spam", ErrorKind.PERMANENT), ("451 4.3.0 Try again later", ErrorKind.TRANSIENT)],
)
def test_data_refused_by_the_server_was_not_delivered(smtp, sender, reply, kind):
    smtp.data_reply = reply
    error = send_error(sender, message())
    assert error.kind == kind and reply[:3] in error.message


def test_a_timeout_after_the_data_is_an_unknown_outcome(smtp, sender):
    """The server took the whole message and did not confirm in time: it may well deliver it (RFC 1047)."""
    smtp.data_delay = 2.5  # EMAIL_TIMEOUT is 1 s
    started = time.monotonic()
    error = send_error(sender, message())

    assert time.monotonic() - started < 2.5
    assert error.kind == ErrorKind.UNKNOWN_OUTCOME and "pudo entregarse" in error.message


def test_nothing_listening_is_transient():
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_TIMEOUT=1,
    ):
        error = send_error(EmailSender(), message())
    assert error.kind == ErrorKind.TRANSIENT and "No se pudo contactar" in error.message


def test_a_connection_the_server_dropped_while_idle_is_reopened_once(smtp, sender):
    sender.send(message())
    smtp.controller.stop()  # the server goes away and comes back: the pooled connection is dead
    smtp.controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port)
    smtp.controller.start()

    sender.send(message(notification_id="6f1c2a4e-0000-4000-8000-000000000003"))

    assert len(smtp.messages) == 2


@pytest.mark.parametrize("field", ["subject", "recipient", "sender"])
def test_a_newline_in_a_header_is_permanent_and_sends_nothing(smtp, sender, field):
    value = {
        "subject": "Hola\r\nBcc: x@evil.test",
        "recipient": "carlos@example.com\r\nBcc: x@evil.test",
        "sender": "Taller <avisos@taller.ec>\r\nBcc: x@evil.test",
    }[field]
    error = send_error(sender, message(**{field: value}))
    assert error.kind == ErrorKind.PERMANENT
    assert smtp.messages == []


def test_each_worker_thread_sends_over_its_own_connection_reused_across_its_messages(smtp):
    """The threads pool: Django's SMTP backend sends under a lock, so a connection shared by the threads would
    let one slot send at a time. Each thread gets its own sender and keeps its connection; fakes stay shared."""
    reset_senders()
    seen: dict[str, tuple] = {}

    def slot(name: str):
        sender = get_sender("email")
        sockets = []
        for i in range(3):
            sender.send(message(notification_id=f"6f1c2a4e-0000-4000-8000-{name}{i:011d}"))
            sockets.append(sender._connection.connection)
        seen[name] = (sender, get_sender("email"), sockets)

    try:
        threads = [threading.Thread(target=slot, args=(f"{n}",)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        senders = {id(first) for first, again, _ in seen.values() if first is again}
        assert len(senders) == 4  # one per thread, the same one every time in that thread
        assert all(len({id(s) for s in sockets}) == 1 for _, _, sockets in seen.values())  # reused
        assert len(smtp.messages) == 12
        with override_settings(NOTIFICATION_SENDERS={"email": "tests.fakes.channel.FakeEmailSender"}):
            shared = []
            worker = threading.Thread(target=lambda: shared.append(get_sender("email")))
            worker.start()
            worker.join()
            assert shared[0] is get_sender("email")  # a fake counts every thread's sends in one place
    finally:
        for sender, _, _ in seen.values():
            sender.close()
        reset_senders()
