"""A taller's email sender (TallerChannelConfig.sender_name / sender_address) is the From of its emails, through
the whole path: the dispatch resolves it from the configuration snapshot, the row keeps it, the real SMTP adapter
writes it, and a real SMTP server (aiosmtpd) receives it, as the header and as the envelope sender."""

from __future__ import annotations

import logging

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from apps.notifications.adapters import reset_senders
from apps.notifications.models import CustomerContactInfo, Dispatch, NotificationLog, Taller, TallerChannelConfig
from apps.notifications.seed.examples import DISPATCH_EXAMPLE
from apps.notifications.services.email_senders import email_sender_for
from tests.fakes.smtp_server import ScriptedInbox
from tests.services import free_port

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/notifications/events/dispatch/"
DEFAULT_FROM = "Ambacar Service <notificaciones@ambacar.test>"


class EnvelopeServer(ScriptedInbox):
    """Also remembers each message's envelope sender (MAIL FROM): the address SPF checks."""

    def __init__(self):
        super().__init__()
        self.mail_from: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.mail_from.append(envelope.mail_from)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp():
    handler = EnvelopeServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=controller.port,
        EMAIL_TIMEOUT=2,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        DEFAULT_FROM_EMAIL=DEFAULT_FROM,
        NOTIFICATION_SENDERS={},  # the real email adapter; WhatsApp is not configured in tests
    ):
        reset_senders()
        yield handler
        reset_senders()
    controller.stop()


@pytest.fixture
def email_customer(seeded):
    """Reachable by email only, so the plan is email whatever the WhatsApp settings."""
    return CustomerContactInfo.objects.create(customer_id="customer-001", name="Carlos Mendoza", email="c@example.com")


def email_config(taller: Taller | None = None, **fields) -> None:
    taller = taller or Taller.objects.get(is_default=True)
    TallerChannelConfig.objects.update_or_create(taller=taller, channel="email", defaults=fields)


def dispatch(client_api, **changes) -> NotificationLog:
    response = client_api.post(URL, {**DISPATCH_EXAMPLE, **changes}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["channel_plan"] == ["email"]
    [row] = Dispatch.objects.get(id=response.json()["dispatch_id"]).notifications.all()
    assert row.status == "sent", row.error_message
    return row


def test_the_default_tallers_sender_is_the_from_of_its_emails(client_api, email_customer, smtp):
    email_config(sender_name="Taller Ñandú, Quito", sender_address="avisos@nandu.ec")

    row = dispatch(client_api)

    [received] = smtp.messages
    assert received["From"] == row.sender == '"Taller Ñandú, Quito" <avisos@nandu.ec>'
    assert received["From"].addresses[0].display_name == "Taller Ñandú, Quito"
    assert smtp.mail_from == ["avisos@nandu.ec"]


def test_the_dispatchs_own_taller_is_the_one_that_signs(client_api, email_customer, smtp):
    email_config(sender_name="Ambacar Matriz", sender_address="matriz@ambacar.ec")
    cuenca = Taller.objects.create(slug="cuenca", name="Ambacar Cuenca")
    email_config(cuenca, sender_address="cuenca@ambacar.ec")  # no name of its own: the default's

    dispatch(client_api, taller_id="cuenca")

    assert [m["From"] for m in smtp.messages] == ["Ambacar Service <cuenca@ambacar.ec>"]
    assert smtp.mail_from == ["cuenca@ambacar.ec"]


def test_without_a_sender_of_its_own_the_email_leaves_with_the_default(client_api, email_customer, smtp):
    email_config(sender_name="", sender_address="")
    row = dispatch(client_api)
    Taller.objects.create(slug="cuenca", name="Ambacar Cuenca")  # no email config at all
    dispatch(client_api, taller_id="cuenca")

    assert row.sender == ""
    assert [m["From"] for m in smtp.messages] == [DEFAULT_FROM, DEFAULT_FROM]
    assert smtp.mail_from == ["notificaciones@ambacar.test"] * 2


def test_a_sender_that_cannot_be_a_header_falls_back_to_the_default_and_is_logged(
    client_api, email_customer, smtp, caplog
):
    """The admin refuses these values; one written around it must not inject headers nor stop the email."""
    email_config(sender_name="Taller\r\nBcc: x@evil.test", sender_address="avisos@taller.ec")

    with caplog.at_level(logging.WARNING, logger="apps.notifications.services.email_senders"):
        row = dispatch(client_api)

    assert row.sender == ""
    [received] = smtp.messages
    assert received["From"] == DEFAULT_FROM and received["Bcc"] is None
    assert "cannot be a From header" in caplog.text


@pytest.mark.parametrize(
    ("name", "address", "expected"),
    [
        ("Taller Norte", "avisos@norte.ec", "Taller Norte <avisos@norte.ec>"),
        ("Taller Norte", "", "Taller Norte <notificaciones@ambacar.test>"),
        ("", "avisos@norte.ec", "Ambacar Service <avisos@norte.ec>"),
        ('Taller "Norte"', " avisos@norte.ec ", '"Taller \\"Norte\\"" <avisos@norte.ec>'),
        ("", "", ""),
        ("Taller Norte", "avisos@norte.ec\r\nBcc: x@evil.test", ""),
        ("Taller Norte", "no es un email", ""),
        ("Taller\x00Norte", "avisos@norte.ec", ""),
    ],
)
def test_the_from_of_a_tallers_config(settings, name, address, expected):
    settings.DEFAULT_FROM_EMAIL = DEFAULT_FROM
    config = TallerChannelConfig(channel="email", sender_name=name, sender_address=address)
    assert email_sender_for(config) == expected
    assert email_sender_for(None) == ""
